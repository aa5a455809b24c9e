"""Every claim was one sentence on one page: make each a claim (the proposition) with one
appearance (the sentence), nothing lost.

The sentence, its source and position move to the appearance, with the claim's citations; the
flags that belong to the sentence (citation_mismatch, overstated) move with it; a claim
without a statement takes its sentence as the statement. Each change is recorded in history
(the appearance's creation, the claim's change), dated when the claim was created and now. A
claim that had no source gets one shared placeholder source, so its sentence is kept.

Going back keeps each claim's first appearance only.
"""

from django.db import migrations
from django.utils import timezone

SENTENCE_FLAGS = ("citation_mismatch", "overstated")
REASON = "Migrated: the claim's sentence became its first appearance"
NO_SOURCE = "Sentences recorded without a source (before appearances)"


def _history(model, obj, *, kind: str, when, reason: str) -> None:
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    model.objects.create(
        **values,
        history_date=when,
        history_type=kind,
        history_change_reason=reason,
        history_user_id=None,
    )


def forwards(apps, schema_editor):
    Claim = apps.get_model("kb", "Claim")
    Source = apps.get_model("kb", "Source")
    Appearance = apps.get_model("kb", "Appearance")
    Citation = apps.get_model("kb", "Citation")
    HistoricalAppearance = apps.get_model("kb", "HistoricalAppearance")
    HistoricalClaim = apps.get_model("kb", "HistoricalClaim")
    now = timezone.now()
    placeholder = None
    for claim in Claim.objects.order_by("pk").iterator():
        source_id = claim.source_id
        if source_id is None:
            if placeholder is None:
                placeholder, _ = Source.objects.get_or_create(
                    title=NO_SOURCE, url=None, defaults={"origin_note": REASON}
                )
            source_id = placeholder.pk
        quote = (claim.quote or "").strip() or claim.statement.strip() or "(no sentence recorded)"
        appearance = Appearance.objects.create(
            claim_id=claim.pk,
            source_id=source_id,
            quote=quote,
            position=claim.position,
            seen_at=claim.created_at,
            overstated="overstated" in claim.editor_flags,
            flags=[code for code in claim.flags if code in SENTENCE_FLAGS],
        )
        _history(HistoricalAppearance, appearance, kind="+", when=claim.created_at, reason=REASON)
        Citation.objects.filter(claim_id=claim.pk).update(appearance_id=appearance.pk)
        claim.statement = claim.statement.strip() or quote
        claim.flags = [code for code in claim.flags if code not in SENTENCE_FLAGS]
        claim.editor_flags = [code for code in claim.editor_flags if code != "overstated"]
        claim.save(update_fields=["statement", "flags", "editor_flags"])
        _history(HistoricalClaim, claim, kind="~", when=now, reason=REASON)


def backwards(apps, schema_editor):
    Claim = apps.get_model("kb", "Claim")
    Appearance = apps.get_model("kb", "Appearance")
    Citation = apps.get_model("kb", "Citation")
    HistoricalAppearance = apps.get_model("kb", "HistoricalAppearance")
    HistoricalClaim = apps.get_model("kb", "HistoricalClaim")
    for claim in Claim.objects.order_by("pk").iterator():
        first = Appearance.objects.filter(claim_id=claim.pk).order_by("pk").first()
        if first is None:
            continue
        claim.quote, claim.source_id, claim.position = first.quote, first.source_id, first.position
        claim.flags = sorted({*claim.flags, *first.flags})
        if first.overstated:
            claim.editor_flags = sorted({*claim.editor_flags, "overstated"})
        claim.save(update_fields=["quote", "source_id", "position", "flags", "editor_flags"])
        Citation.objects.filter(appearance__claim_id=claim.pk).update(claim_id=claim.pk)
    Citation.objects.filter(claim_id=None).delete()
    HistoricalClaim.objects.filter(history_change_reason=REASON).delete()
    HistoricalAppearance.objects.all().delete()
    Appearance.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("kb", "0004_appearances")]

    operations = [migrations.RunPython(forwards, backwards)]
