"""Import a marketing article from a file, standard input or a URL.

    manage.py import_article article.html --compound cerebrolysin
    manage.py import_article https://example.com/page --compound cerebrolysin --json
    manage.py import_article article.txt --json          # extract only, save nothing

With --json, stdout carries exactly one JSON document (kb.articles.article_to_json) and all
messages go to stderr, so the output can be piped.
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from kb.article_import import save_article
from kb.articles import MAX_BYTES, ArticleError, article_to_json, extract_article, extract_from_url
from kb.models import Compound


class Command(BaseCommand):
    help = (
        "Extract references, citation sites, proposed claims and conflicts of interest from an "
        "article (HTML or plain text; a file, '-' for standard input, or an http(s) URL) and, "
        "with --compound, save them as a source with draft claims."
    )

    def add_arguments(self, parser):
        parser.add_argument("location", help="A file path, '-' for standard input, or a URL.")
        parser.add_argument(
            "--compound",
            help="Slug or name of the compound the claims are about; without it nothing is saved.",
        )
        parser.add_argument(
            "--format",
            choices=["auto", "html", "text"],
            default="auto",
            help="How to read the input (default: HTML if it contains HTML tags).",
        )
        parser.add_argument("--json", action="store_true", help="Print the extraction as JSON.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Extract and report, but save nothing."
        )

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        compound = options["compound"]
        compound_obj = self._compound(compound) if compound and not dry_run else None
        try:
            article = self._extract(options["location"], options["format"])
        except ArticleError as exc:
            raise CommandError(str(exc)) from None
        for warning in article.warnings:
            self.stderr.write(f"warning: {warning}")

        if compound_obj is not None:
            result = save_article(article, compound=compound_obj)
            self.stderr.write(
                f"Saved source {result.source.pk} “{result.source.title}”: "
                f"{result.references} references "
                f"({len(result.unresolved)} not yet matched to a stored study), "
                f"{result.claims_created} new draft claims, "
                f"{result.claims_existing} already there."
            )
        elif not dry_run:
            self.stderr.write("Nothing saved: give --compound to save the claims.")

        if options["json"]:
            self.stdout.write(json.dumps(article_to_json(article), ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{article.title}\n{len(article.references)} references, "
            f"{sum(1 for c in article.claims if c.references)} citation sites, "
            f"{len(article.claims)} proposed claims, "
            f"{len(article.conflicts_of_interest)} conflict-of-interest sentences."
        )

    def _compound(self, key: str) -> Compound:
        compound = Compound.objects.filter(Q(slug=key) | Q(name__iexact=key)).first()
        if compound is None:
            known = ", ".join(Compound.objects.values_list("slug", flat=True)[:20]) or "none yet"
            raise CommandError(f"No compound {key!r}. Known compounds: {known}.")
        return compound

    def _extract(self, location: str, fmt: str):
        if location.startswith(("http://", "https://")):
            return extract_from_url(location)
        if location == "-":
            data = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            path = Path(location)
            if not path.is_file():
                raise CommandError(f"No such file: {location}")
            if path.stat().st_size > MAX_BYTES:
                raise CommandError(
                    f"{location} is too large ({path.stat().st_size / 1024 / 1024:.1f} MB; "
                    f"the limit is {MAX_BYTES // 1024 // 1024} MB)."
                )
            data = path.read_bytes()
        return extract_article(data, fmt=fmt)
