"""Measure the article importer on pages whose right answers are written down.

    manage.py measure_import tests/data/articles/constructed-shop-page.html \
        --expected tests/data/articles/constructed-pages-expected.json

For each page: references found, resolved by identifier and by title, suggested; citation sites
right; precision and recall of the proposed claims and of their kinds; conflicts of interest by
kind. Reads the stored studies (load the demo first for the constructed pages); saves nothing.
"""

import json
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kb import reference_matching
from kb.articles import ArticleError, extract_article


def measure(article, expected: dict, resolution) -> dict:
    """The figures of one page against its expected answers (a plain function: no database)."""
    proposed = {c.quote: c.kind for c in article.claims}
    wanted = dict(expected["claims"])
    found = [quote for quote in proposed if quote in wanted]
    sites = {(c.quote, n) for c in article.claims for n in c.references}
    wanted_sites = {(quote, number) for quote, number in expected["sites"]}
    how = {
        str(r.number): resolution.how.get(r.number)
        or ("suggestion" if r.number in resolution.near else None)
        for r in article.references
    }
    conflicts = Counter(c.kind for c in article.conflicts_of_interest)
    return {
        "references": len(article.references),
        "references expected": len(expected["references"]),
        "by identifier": sum(1 for v in how.values() if v == "identifier"),
        "by title": sum(1 for v in how.values() if v == "title"),
        "suggested": sum(1 for v in how.values() if v == "suggestion"),
        "references right": sum(1 for k, v in expected["references"].items() if how.get(k) == v),
        "citation sites": len(sites),
        "citation sites right": len(sites & wanted_sites),
        "citation sites expected": len(wanted_sites),
        "claims proposed": len(proposed),
        "claims expected": len(wanted),
        "claims found": len(found),
        "precision": round(len(found) / len(proposed), 3) if proposed else 0.0,
        "recall": round(len(found) / len(wanted), 3) if wanted else 0.0,
        "kinds right": sum(1 for quote in found if proposed[quote] == wanted[quote]),
        "conflicts": dict(sorted(conflicts.items())),
        "conflicts expected": dict(sorted(expected["conflicts"].items())),
        "missed claims": [quote for quote in wanted if quote not in proposed],
        "extra claims": [quote for quote in proposed if quote not in wanted],
        "wrong kinds": [
            f"{quote} ({proposed[quote]}, not {wanted[quote]})"
            for quote in found
            if proposed[quote] != wanted[quote]
        ],
    }


class Command(BaseCommand):
    help = "Measure the article importer on pages with written-down answers (saves nothing)."

    def add_arguments(self, parser):
        parser.add_argument("pages", nargs="+", help="Article files (HTML or text).")
        parser.add_argument(
            "--expected", required=True, help="JSON of expected answers, keyed by file name."
        )
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")

    def handle(self, *args, **options):
        try:
            expected = json.loads(Path(options["expected"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {options['expected']}: {exc}") from None
        results = {}
        for page in options["pages"]:
            path = Path(page)
            if path.name not in expected:
                raise CommandError(f"{options['expected']} has no answers for {path.name}.")
            try:
                article = extract_article(path.read_bytes())
            except (OSError, ArticleError) as exc:
                raise CommandError(f"{page}: {exc}") from None
            resolution = reference_matching.resolve(article.references)
            results[path.name] = measure(article, expected[path.name], resolution)
        if options["json"]:
            self.stdout.write(json.dumps(results, indent=2, ensure_ascii=False))
            return
        for name, figures in results.items():
            self.stdout.write(f"{name}")
            for key, value in figures.items():
                if isinstance(value, list):
                    for item in value:
                        self.stdout.write(f"  {key}: {item}")
                else:
                    self.stdout.write(f"  {key}: {value}")
