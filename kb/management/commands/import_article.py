"""Import a marketing article from a file, standard input or a URL.

    manage.py import_article article.html --compound cerebrolysin
    manage.py import_article https://example.com/page --compound cerebrolysin --json
    manage.py import_article article.txt --json          # extract only, save nothing

With --json, stdout carries exactly one JSON document (kb.articles.article_to_json, each
proposed claim with its "matches": the compound's claims it most likely restates, best first)
and all messages go to stderr, so the output can be piped. The matches are ranked before
anything is saved, so a sentence never matches the claim its own save creates; saving attaches
each sentence to its preselected match (kb.matching.preselected) and makes the others new draft
claims.
"""

import json
import sys
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from kb import matching, reference_matching
from kb.articles import MAX_BYTES, ArticleError, article_to_json, extract_article, extract_from_url
from kb.models import Compound
from kb.services.articles import Placement, save_article
from kb.vocabulary import ConflictKind


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
        parser.add_argument(
            "--fetch",
            action="store_true",
            help="Fetch references no stored study matches from PubMed or Crossref (online).",
        )

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        compound = options["compound"]
        # A dry run saves nothing, so a compound not stored yet only means no matches.
        compound_obj = self._compound(compound, required=not dry_run) if compound else None
        try:
            article = self._extract(options["location"], options["format"])
        except ArticleError as exc:
            raise CommandError(str(exc)) from None
        for warning in article.warnings:
            self.stderr.write(f"warning: {warning}")
        matches = self._matches(article, compound_obj)

        if compound_obj is not None and not dry_run:
            placements = {
                claim.quote: Placement(claim_ids=(chosen,))
                for claim, found in zip(article.claims, matches, strict=True)
                if (chosen := matching.preselected(found)) is not None
            }
            result = save_article(
                article, compound=compound_obj, placements=placements, fetch=options["fetch"]
            )
            for note in [*result.notes, *result.warnings]:
                self.stderr.write(note)
            self.stderr.write(
                f"Saved source {result.source.pk} “{result.source.title}”: "
                f"{result.references} references "
                f"({len(result.unresolved)} not yet matched to a stored study), "
                f"{result.attached} sentences attached to existing claims, "
                f"{result.claims_created} new draft claims, "
                f"{result.claims_existing} already there."
            )
        elif not dry_run:
            self.stderr.write("Nothing saved: give --compound to save the claims.")

        if options["json"]:
            resolution = reference_matching.resolve(article.references)
            studies = {r.number: resolution.as_json(r.number) for r in article.references}
            data = article_to_json(article, studies)
            for claim, found in zip(data["claims"], matches, strict=True):
                claim["matches"] = [m.as_json() for m in found]
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self._report(article, matches, reference_matching.resolve(article.references))

    def _matches(self, article, compound) -> list[list[matching.Match]]:
        """For each proposed claim, the compound's claims it most likely restates (none
        without a compound), given the stored studies its references resolve to."""
        if compound is None:
            return [[] for _ in article.claims]
        stored = reference_matching.resolve(article.references).studies
        return [
            matching.rank_claims(
                compound, claim.quote, [stored[n].pk for n in claim.references if n in stored]
            )
            for claim in article.claims
        ]

    def _report(self, article, matches, resolution):
        """What was found, readable by a person: metadata, references, citation sites, claims
        and the existing claims they restate."""
        out = self.stdout.write
        out(f"Source: {article.title}")
        for label, value in (
            ("Author", article.author),
            ("Publisher", article.publisher),
            ("Published", article.published),
            ("URL", article.url),
        ):
            if value:
                out(f"  {label}: {value}")
        out(f"\nReferences ({len(article.references)}):")
        for ref in article.references:
            ids = ", ".join(
                f"{name} {value}"
                for name, value in (("DOI", ref.doi), ("PMID", ref.pmid), ("PMCID", ref.pmcid))
                if value
            )
            out(f"  [{ref.number}] {ids or 'no identifier'}{_resolved(ref.number, resolution)}")
            out(f"      {ref.text[:160]}")
        cited = [claim for claim in article.claims if claim.references]
        out(f"\nCitation sites ({sum(len(c.references) for c in cited)}):")
        for claim in cited:
            numbers = ", ".join(str(n) for n in claim.references)
            out(f"  ({numbers}) {claim.quote}")
        out(f"\nConflicts of interest ({len(article.conflicts_of_interest)}):")
        labels = dict(ConflictKind.choices)
        for conflict in article.conflicts_of_interest:
            out(f"  - [{labels.get(conflict.kind, conflict.kind)}] {conflict.text}")
        kinds = Counter(claim.kind for claim in article.claims)
        summary = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
        out(f"\nProposed claims: {len(article.claims)} ({summary}); --json lists them all.")
        restating = [(c, found) for c, found in zip(article.claims, matches, strict=True) if found]
        if restating:
            out(f"\nLikely restating existing claims ({len(restating)}):")
            for claim, found in restating:
                best = found[0]
                chosen = " (preselected)" if matching.preselected(found) else ""
                out(f"  {claim.quote}")
                out(f"      claim {best.claim}, score {best.score:.2f}{chosen}: {best.statement}")

    def _compound(self, key: str, *, required: bool = True) -> Compound | None:
        compound = Compound.objects.filter(Q(slug=key) | Q(name__iexact=key)).first()
        if compound is None and not required:
            self.stderr.write(f"No compound {key!r} stored yet: no matches to report.")
        elif compound is None:
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


def _resolved(number: int, resolution) -> str:
    """How a reference resolves to a stored study, or the near match an editor may confirm."""
    study = resolution.studies.get(number)
    if study is not None:
        return f" -> study {study.pk} (by {resolution.how[number]})"
    near = resolution.near.get(number)
    if near is not None:
        return (
            f" -> suggestion: study {near.study.pk} “{near.study.title[:60]}” "
            f"(title {near.similarity:.0%} alike, confidence {near.confidence:.0%}; confirm it)"
        )
    return ""
