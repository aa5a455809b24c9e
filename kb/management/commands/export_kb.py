"""manage.py export_kb: write all published content as gzipped JSON Lines (kb.data_export)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from kb.data_export import write_dump


class Command(BaseCommand):
    help = "Write every published claim, compound, study and page as gzipped JSON Lines."

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory",
            type=Path,
            default=None,
            help="Where to write the dump (default: settings.DATA_EXPORT_DIR, offered at /data/).",
        )

    def handle(self, *args, directory=None, **options):
        directory = directory or settings.DATA_EXPORT_DIR
        path, lines = write_dump(directory, timezone.now())
        self.stdout.write(f"Wrote {lines} records to {path}")
