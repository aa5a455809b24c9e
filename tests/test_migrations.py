"""kb migrations 0004-0006: every claim that was one sentence on one page becomes a claim (the
proposition) with one appearance (the sentence), nothing lost, history kept. Run on a copy of
the demo as it was before (tests/data/migrations/README.md)."""

import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from kb.models import Appearance, Citation, Claim, Evidence, SourceConflict

BEFORE = Path(__file__).resolve().parent / "data" / "migrations" / "demo-before-appearances.json"
OLD = [("kb", "0003_history_reason_text")]


def _load_into(apps, objects: list[dict]) -> None:
    """dumpdata output written through the models as they were at that migration."""
    with transaction.atomic():  # foreign keys are checked at commit, whatever the order
        for obj in objects:
            model = apps.get_model(obj["model"])
            values = {"pk": obj["pk"]}
            for field in model._meta.concrete_fields:
                if field.name in obj["fields"]:
                    values[field.attname] = obj["fields"][field.name]
            model.objects.create(**values)
        # Rows written with their own ids leave the id sequences behind; without this the
        # migration's first new history row would take id 1 again (as loaddata does it).
        models = {apps.get_model(obj["model"]) for obj in objects}
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_each_claim_becomes_a_claim_with_one_appearance_and_keeps_its_history():
    objects = json.loads(BEFORE.read_text(encoding="utf-8"))
    executor = _migrate(OLD)
    # Only kb goes back: the studies tables stay at their latest migration, and the rows are
    # written through the models as the database now has them.
    studies_now = [node for node in executor.loader.graph.leaf_nodes() if node[0] == "studies"]
    old_apps = executor.loader.project_state([*OLD, *studies_now]).apps
    _load_into(old_apps, objects)
    before = Counter(obj["model"] for obj in objects)
    old_claims = {o["pk"]: o["fields"] for o in objects if o["model"] == "kb.claim"}
    old_links = {
        (o["fields"]["claim"], o["fields"]["study"]): o["fields"]["cited_by_source"]
        for o in objects
        if o["model"] == "kb.evidence"
    }
    old_citations = {
        o["fields"]["reference"]: o["fields"]["claim"]
        for o in objects
        if o["model"] == "kb.citation"
    }

    executor = _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    # kb 0011: the free-text conflicts of interest became one row per line, each with a kind.
    old_sources = {o["pk"]: o["fields"] for o in objects if o["model"] == "kb.source"}
    for source_id, fields in old_sources.items():
        lines = [line for line in fields["conflicts_of_interest"].splitlines() if line]
        stored = SourceConflict.objects.filter(source_id=source_id).order_by("position")
        assert [c.text for c in stored] == lines
        assert {c.kind for c in stored} <= {"sells"}
    assert SourceConflict.objects.count() == 4

    assert Claim.objects.count() == before["kb.claim"] == 64
    assert Appearance.objects.count() == 64
    assert Evidence.objects.count() == before["kb.evidence"]
    assert Citation.objects.count() == before["kb.citation"] == 9
    for appearance in Appearance.objects.select_related("claim"):
        old = old_claims[appearance.claim_id]
        assert (appearance.quote, appearance.source_id, appearance.position) == (
            old["quote"],
            old["source"],
            old["position"],
        )
        assert appearance.claim.statement == (old["statement"] or old["quote"])
        # The sentence's flags move to the sentence; the rest stay with the claim.
        assert set(appearance.flags) | set(appearance.claim.flags) == set(old["flags"])
        assert appearance.overstated == ("overstated" in old["editor_flags"])
        assert "citation_mismatch" not in appearance.claim.flags
        # Verdicts are kept, except that kb 0009 gave low-certainty evidence against its own step.
        renamed = {("unproven", "low"): ("possibly_not_supported", "low")}
        old_grade = (old["verdict"], old["certainty"])
        assert (appearance.claim.verdict, appearance.claim.certainty) == renamed.get(
            old_grade, old_grade
        )
    # Each citation now belongs to the sentence of the claim it belonged to.
    for citation in Citation.objects.select_related("appearance"):
        assert citation.appearance.claim_id == old_citations[citation.reference_id]
    # "Cited by the source" is derived from the citations now, and says what it said.
    for evidence in Evidence.objects.all():
        assert evidence.cited_by_source == old_links[evidence.claim_id, evidence.study_id]
    # History: every old row kept, one row for each appearance created and each claim changed.
    assert Claim.history.count() == before["kb.historicalclaim"] + 64
    assert Appearance.history.filter(history_type="+").count() == 64
    assert Evidence.history.count() == before["kb.historicalevidence"]
    for claim in Claim.objects.all():
        assert claim.history.count() == 1 + sum(
            1
            for o in objects
            if o["model"] == "kb.historicalclaim" and o["fields"]["id"] == claim.pk
        )
