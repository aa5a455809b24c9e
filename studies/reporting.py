"""What the studies management commands print: an import's problems and counts, and NCBI's ask
for a contact address."""

from django.conf import settings
from django.core.management.base import BaseCommand

from studies.importer import ImportResult


def report(command: BaseCommand, result: ImportResult) -> None:
    """Problems to stderr, then the closing counts line to stdout."""
    for line in result.problem_lines():
        command.stderr.write(line)
    command.stdout.write(result.summary())


def warn_without_email(command: BaseCommand) -> None:
    if not getattr(settings, "NCBI_EMAIL", ""):
        command.stderr.write(
            "NCBI_EMAIL is not set: NCBI asks every E-utilities client for a contact address."
        )
