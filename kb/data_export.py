"""The bulk data dump: every published claim, with the compounds, studies and pages behind them,
as gzipped JSON Lines (one object a line, its "type" first). Written by `manage.py export_kb`,
offered at /data/. A claim line is the same document as in the compound API."""

import gzip
import json
import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from django.core.serializers.json import DjangoJSONEncoder

from kb import published_state, selectors
from kb.api import claim_json
from kb.models import Claim, Compound, Source
from studies.models import Study

NAME = re.compile(r"^evidence-kb-\d{8}T\d{6}Z\.jsonl\.gz$")
FORMAT_VERSION = 1


def dump_name(when: datetime) -> str:
    return f"evidence-kb-{when:%Y%m%dT%H%M%S}Z.jsonl.gz"


def records(when: datetime) -> Iterator[dict]:
    """Every published record, compound by compound, then the studies and pages they rest on.
    Claims are read in chunks: the dump of any size takes the memory of one chunk."""
    yield {"type": "meta", "format_version": FORMAT_VERSION, "exported_at": when}
    for compound in Compound.objects.order_by("slug"):
        yield {
            "type": "compound",
            "slug": compound.slug,
            "name": compound.name,
            "aliases": compound.aliases,
            "summary": compound.summary,
            "regulatory_notes": compound.regulatory_notes,
        }
        claims = selectors.published_claims_with_appearances(compound)
        for claim in claims:
            yield {"type": "claim", "compound": compound.slug, **claim_json(claim)}
    published = Claim.objects.published()
    weighed = published_state.studies_readers_see_weighed(published)
    studies = Study.objects.filter(weighed).defer("raw_record")
    for study in studies.order_by("pk").iterator(chunk_size=500):
        yield {
            "type": "study",
            "id": study.pk,
            "title": study.title,
            "authors": study.authors,
            "journal": study.journal,
            "year": study.year,
            "volume": study.volume,
            "issue": study.issue,
            "pages": study.pages,
            "doi": study.doi,
            "pmid": study.pmid,
            "design": study.design,
            "retracted": study.retracted,
            "abstract": study.abstract,
        }
    for source in Source.objects.filter(appearances__claim__in=published).distinct().order_by("pk"):
        yield {
            "type": "source",
            "id": source.pk,
            "title": source.title,
            "url": source.url,
            "publisher": source.publisher,
            "published_on": source.published_on,
        }


def write_dump(directory: Path, when: datetime) -> tuple[Path, int]:
    """Write the dump into `directory`; returns its path and number of lines. Written to a
    temporary name and renamed at the end, so /data/ never offers half a file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / dump_name(when)
    partial = path.with_name(path.name + ".partial")
    lines = 0
    with gzip.open(partial, "wt", encoding="utf-8") as out:
        for record in records(when):
            out.write(json.dumps(record, cls=DjangoJSONEncoder, ensure_ascii=False) + "\n")
            lines += 1
    os.replace(partial, path)
    return path, lines


def latest_dump(directory: Path) -> Path | None:
    if not directory.is_dir():
        return None
    dumps = sorted(p for p in directory.iterdir() if NAME.match(p.name))
    return dumps[-1] if dumps else None
