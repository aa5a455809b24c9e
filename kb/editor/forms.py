"""The editors' forms: each validates one workbench change and hands a service
(kb.services.claims, kb.services.articles) plain values.

Every form that writes a claim carries its version (a hidden input with the class
"claim-version", which htmx responses refresh across the page) for the services' conflict check.
"""

from django import forms

from kb.articles import MAX_BYTES, ArticleError, extract_article, extract_from_url
from kb.editor.queue import STATES as QUEUE_STATES
from kb.models import Compound, Source, Topic
from kb.vocabulary import (
    DOWNGRADE_DOMAINS,
    EDITOR_FLAGS,
    ClaimKind,
    Flag,
    Indirectness,
    Judgement,
    Stance,
    Verdict,
)
from studies import limits
from studies.designs import Design
from studies.fetching import MAX_IDENTIFIERS, parse_identifiers


def _area(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "cols": 60})


class VersionForm(forms.Form):
    # Several forms share one page: each gets its own element ids ("claim_statement", ...).
    id_prefix = "id"

    version = forms.IntegerField(
        min_value=1, widget=forms.HiddenInput(attrs={"class": "claim-version"})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class ClaimForm(VersionForm):
    id_prefix = "claim"
    statement = forms.CharField(
        widget=_area(3),
        max_length=limits.STATEMENT,
        help_text="The testable proposition, naming population and outcome.",
    )
    kind = forms.ChoiceField(choices=ClaimKind.choices)
    topic = forms.ModelChoiceField(
        required=False,
        queryset=Topic.objects.all(),
        empty_label="—",
        help_text="What readers find the claim under on the compound page.",
    )
    population = forms.CharField(required=False, max_length=300)
    outcome = forms.CharField(required=False, max_length=300)
    editor_flags = forms.MultipleChoiceField(
        label="Editor's flags",
        required=False,
        choices=[(flag.value, flag.label) for flag in EDITOR_FLAGS],
        widget=forms.CheckboxSelectMultiple,
    )

    @classmethod
    def for_claim(cls, claim, **kwargs):
        initial = {
            "version": claim.version,
            "statement": claim.statement,
            "kind": claim.kind,
            "population": claim.population,
            "outcome": claim.outcome,
            "topic": claim.topic_id,
            "editor_flags": claim.editor_flags,
        }
        return cls(initial=initial, **kwargs)

    def clean_statement(self):
        statement = self.cleaned_data["statement"]
        if not limits.has_words(statement):
            raise forms.ValidationError(
                "Write the proposition in words: a statement of punctuation alone says nothing."
            )
        return statement

    def values(self) -> dict:
        """The keyword arguments of kb.services.claims.update_claim."""
        data = dict(self.cleaned_data)
        topic = data.pop("topic")
        return data | {"topic_id": topic.pk if topic else None}


class EvidenceForm(forms.Form):
    """One evidence row's weighing, a part of GradingForm (which carries the claim's version)."""

    stance = forms.ChoiceField(required=False, choices=[("", "Not weighed yet"), *Stance.choices])
    indirectness = forms.MultipleChoiceField(
        required=False, choices=Indirectness.choices, widget=forms.CheckboxSelectMultiple
    )
    harm = forms.BooleanField(
        required=False, label="Reports more serious adverse events with the compound"
    )
    note = forms.CharField(required=False, max_length=limits.NOTE, widget=_area(2))
    design = forms.ChoiceField(
        required=False,
        label="Study design",
        choices=[("", "Not classified"), *Design.choices],
        help_text="Saving a row you changed confirms the design for every claim that weighs "
        "this study.",
    )

    @classmethod
    def for_evidence(cls, evidence, data=None):
        initial = {
            "stance": evidence.stance or "",
            "indirectness": evidence.indirectness,
            "harm": evidence.harm,
            "note": evidence.note,
            "design": evidence.study.design or "",
        }
        return cls(data, initial=initial, prefix=f"ev{evidence.pk}")

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "stance": data["stance"] or None,
            "indirectness": data["indirectness"],
            "harm": data["harm"],
            "note": data["note"],
            "design": data["design"] or None,
        }


class JudgementsForm(VersionForm):
    """The five GRADE reasons to rate down (blank = not judged) and the two to rate up."""

    id_prefix = "grade"

    large_effect = forms.TypedChoiceField(
        coerce=int,
        choices=[(0, "No"), (1, "Large (+1)"), (2, "Very large (+2)")],
        label="Large effect",
    )
    large_effect_reason = forms.CharField(
        required=False, max_length=limits.NOTE, widget=_area(), label="Reason"
    )
    dose_response = forms.BooleanField(required=False, label="Dose-response gradient (+1)")
    dose_response_reason = forms.CharField(
        required=False, max_length=limits.NOTE, widget=_area(), label="Reason"
    )

    field_order = ["version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for domain, label in DOWNGRADE_DOMAINS:
            self.fields[domain] = forms.ChoiceField(
                label=label, required=False, choices=[("", "Not judged"), *Judgement.choices]
            )
            self.fields[f"{domain}_reason"] = forms.CharField(
                label=f"Reason ({label.lower()})",
                required=False,
                max_length=limits.NOTE,
                widget=_area(),
            )
        first_domain = self.fields[DOWNGRADE_DOMAINS[0][0]]  # the J shortcut
        first_domain.widget.attrs.update({"accesskey": "j", "aria-keyshortcuts": "Alt+Shift+J"})
        self.order_fields(
            [
                "version",
                *[name for domain, _ in DOWNGRADE_DOMAINS for name in (domain, f"{domain}_reason")],
            ]
        )

    @classmethod
    def for_claim(cls, claim, **kwargs):
        names = [name for domain, _ in DOWNGRADE_DOMAINS for name in (domain, f"{domain}_reason")]
        initial = {name: getattr(claim, name) or "" for name in names}
        initial.update(
            version=claim.version,
            large_effect=claim.large_effect,
            large_effect_reason=claim.large_effect_reason,
            dose_response=claim.dose_response,
            dose_response_reason=claim.dose_response_reason,
        )
        return cls(initial=initial, **kwargs)

    def domain_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (label, self[domain], self[f"{domain}_reason"]) for domain, label in DOWNGRADE_DOMAINS
        ]

    def clean(self):
        data = super().clean()
        for domain, label in DOWNGRADE_DOMAINS:
            judged = data.get(domain)
            if (
                judged in (Judgement.SERIOUS, Judgement.VERY_SERIOUS)
                and not data.get(f"{domain}_reason", "").strip()
            ):
                self.add_error(
                    f"{domain}_reason",
                    f"Say why the {label.lower()} is {Judgement(judged).label.lower()}.",
                )
        if data.get("large_effect") and not data.get("large_effect_reason", "").strip():
            self.add_error("large_effect_reason", "Say why the effect is large.")
        if data.get("dose_response") and not data.get("dose_response_reason", "").strip():
            self.add_error("dose_response_reason", "Say what the dose-response gradient is.")
        return data

    def judgements(self) -> dict:
        data = self.cleaned_data
        result = {}
        for domain, _ in DOWNGRADE_DOMAINS:
            result[domain] = data[domain] or None
            result[f"{domain}_reason"] = data[f"{domain}_reason"]
        for name in ("large_effect", "large_effect_reason", "dose_response"):
            result[name] = data[name]
        result["dose_response_reason"] = data["dose_response_reason"]
        return result


class PublishNowForm(forms.Form):
    """The grading form's last part: a public reason, to publish in the same step."""

    public_reason = forms.CharField(
        label="Public reason (to publish now)",
        required=False,
        max_length=1000,
        widget=_area(2),
        help_text="Readers see it in the claim's changelog, with the date and who published.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="publish-now_%s", **kwargs)
        self.fields["public_reason"].widget.attrs.update(
            {"accesskey": "p", "aria-keyshortcuts": "Alt+Shift+P"}
        )


class GradingForm:
    """The weighing of every evidence row and the GRADE judgements: one form, one Save.

    The judgements part carries the claim's version, which the whole save is checked against.
    Each row is posted with its id in `evidence` and its fields prefixed "ev<id>-"; only rows
    listed are validated and saved, so a row added by another editor meanwhile is left alone.
    """

    def __init__(self, data=None, *, claim, evidence, publish: bool = False):
        self.data = data
        self.publish = publish
        self.publishing = PublishNowForm(data)
        if data is None:
            self.judgements = JudgementsForm.for_claim(claim)
            self.rows = {ev.pk: EvidenceForm.for_evidence(ev) for ev in evidence}
        else:
            listed = set(data.getlist("evidence"))
            self.judgements = JudgementsForm(data)
            self.rows = {
                ev.pk: EvidenceForm.for_evidence(ev, data)
                for ev in evidence
                if str(ev.pk) in listed
            }

    def is_valid(self) -> bool:
        forms_ = [self.judgements, self.publishing, *self.rows.values()]
        valid = all([form.is_valid() for form in forms_])
        if valid and self.publish and not self.public_reason():
            self.publishing.add_error(
                "public_reason",
                "Say publicly why you publish: readers see the reason in the changelog.",
            )
            return False
        return valid

    def public_reason(self) -> str:
        return self.publishing.cleaned_data["public_reason"].strip()

    @property
    def cleaned_data(self) -> dict:
        return self.judgements.cleaned_data

    def weighings(self) -> dict[int, dict]:
        """{evidence id: keyword arguments of kb.services.claims.set_evidence} of the rows the
        editor changed: one Save must not confirm the design of a row nobody looked at."""
        return {pk: row.values() for pk, row in self.rows.items() if row.has_changed()}


class OverrideForm(VersionForm):
    id_prefix = "override"
    verdict = forms.ChoiceField(
        required=False,
        label="Verdict readers see",
        choices=[
            ("", "The derived verdict (no override)"),
            *[(code, label) for code, label in Verdict.choices if code != Verdict.UNGRADED],
        ],
    )
    rationale = forms.CharField(
        required=False,
        max_length=limits.NOTE,
        widget=_area(3),
        help_text="Why the rules get this claim wrong.",
    )

    @classmethod
    def for_claim(cls, claim, **kwargs):
        initial = {
            "version": claim.version,
            "verdict": claim.verdict_override or "",
            "rationale": claim.override_rationale,
        }
        return cls(initial=initial, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("verdict") and not data.get("rationale", "").strip():
            self.add_error("rationale", "An override needs a rationale.")
        return data


class PublishForm(VersionForm):
    """Publish the claim as it stands, with the reason readers see in its changelog."""

    id_prefix = "publish"
    reason = forms.CharField(
        label="Public reason",
        max_length=1000,
        widget=_area(2),
        help_text="Readers see it in the claim's changelog, with the date and who published.",
    )


class AppearanceForm(VersionForm):
    """A form about one sentence making the claim. Its fields keep their plain names (the
    version input is refreshed across the page by name and class), and the element ids are
    made unique per sentence and form: "ap12-overstated_version"."""

    action = ""

    def __init__(self, *args, appearance_id: int, **kwargs):
        kwargs.setdefault("auto_id", f"ap{appearance_id}-{self.action}_%s")
        super().__init__(*args, **kwargs)


class OverstatedForm(AppearanceForm):
    """Mark one sentence overstated or not: a one-button form that sends the opposite of the
    sentence's current judgement."""

    action = "overstated"
    overstated = forms.BooleanField(required=False, widget=forms.HiddenInput)

    @classmethod
    def for_appearance(cls, appearance, version: int, **kwargs):
        initial = {"version": version, "overstated": not appearance.overstated}
        return cls(initial=initial, appearance_id=appearance.pk, **kwargs)


class MoveAppearanceForm(AppearanceForm):
    """Move one sentence to another claim of the same compound; `claims` are the choices,
    (claim id, label) pairs."""

    action = "move"
    to_claim = forms.TypedChoiceField(coerce=int, label="Move this sentence to")

    def __init__(self, *args, claims=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_claim"].choices = [("", "Choose another claim…"), *claims]

    @classmethod
    def for_appearance(cls, appearance, version: int, claims, **kwargs):
        return cls(
            initial={"version": version}, appearance_id=appearance.pk, claims=claims, **kwargs
        )


class AddEvidenceForm(VersionForm):
    """Link a stored study (`study`) or a fetched record kept in the session (`record`).

    The version is optional: adding a link overwrites nothing another editor did (a study
    already linked is refused), so the search results carry none that a save could leave stale.
    """

    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    study = forms.IntegerField(required=False, widget=forms.HiddenInput)
    record = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if bool(data.get("study")) == bool(data.get("record")):
            raise forms.ValidationError("Choose one study to add.")
        return data


class StudySearchForm(forms.Form):
    q = forms.CharField(
        label="Find a study",
        max_length=300,
        help_text="Words from the title or journal, or a PMID, DOI, PubMed or doi.org URL.",
    )


class QueueFilterForm(forms.Form):
    STATES = [("", "All needing attention"), *QUEUE_STATES.items()]

    state = forms.ChoiceField(required=False, choices=STATES)
    compound = forms.ModelChoiceField(
        required=False, queryset=Compound.objects.all(), to_field_name="slug"
    )
    source = forms.ModelChoiceField(required=False, queryset=Source.objects.all())
    flag = forms.ChoiceField(required=False, choices=[("", "Any flag"), *Flag.choices])


# ---------------------------------------------------------------------------------------------
# Importing an article


FORMATS = [
    ("auto", "Detect (HTML if it contains tags)"),
    ("html", "HTML"),
    ("text", "Plain text"),
]


class ArticleInputForm(forms.Form):
    text = forms.CharField(
        label="Paste the article",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
        help_text="Its text with the reference list, or the page's HTML.",
    )
    file = forms.FileField(
        label="or upload it",
        required=False,
        help_text=f"An HTML or text file of at most {MAX_BYTES // 1024 // 1024} MB.",
    )
    url = forms.URLField(
        label="or give its web address",
        required=False,
        max_length=1000,
        help_text="A public http(s) page; the workbench fetches it once.",
    )
    fmt = forms.ChoiceField(
        label="Read pasted text or a file as",
        choices=FORMATS,
        initial="auto",
        widget=forms.RadioSelect,
    )
    compound = forms.ModelChoiceField(
        label="Compound the claims are about",
        queryset=Compound.objects.order_by("name"),
        empty_label=None,
    )

    def clean(self):
        data = super().clean()
        given = [
            name
            for name, value in (
                ("text", (data.get("text") or "").strip()),
                ("file", data.get("file")),
                ("url", data.get("url")),
            )
            if value
        ]
        if not given and not self.errors:
            raise forms.ValidationError(
                "Nothing to import: paste the article, upload a file or give its web address."
            )
        if len(given) > 1:
            raise forms.ValidationError(
                "Give the article one way only: pasted text, a file or a web address."
            )
        data["given"] = given[0] if given else None
        return data

    def article(self):
        """The extracted article (nothing stored), or ArticleError saying why there is none."""
        data = self.cleaned_data
        if data["given"] == "url":
            return extract_from_url(data["url"])
        if data["given"] == "file":
            upload = data["file"]
            if upload.size > MAX_BYTES:
                raise ArticleError(
                    f"The file is too large ({upload.size / 1024 / 1024:.1f} MB; the limit is "
                    f"{MAX_BYTES // 1024 // 1024} MB)."
                )
            return extract_article(upload.read(MAX_BYTES + 1), fmt=data["fmt"])
        return extract_article(data["text"], fmt=data["fmt"])


class ProposedClaimForm(forms.Form):
    quote = forms.CharField(
        label="Quote",
        max_length=limits.QUOTE,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text="The article's sentence as it should be stored.",
    )
    kind = forms.ChoiceField(label="Kind", choices=ClaimKind.choices)

    @classmethod
    def for_claim(cls, index: int, claim):
        return cls(initial={"quote": claim.quote, "kind": claim.kind}, prefix=f"c{index}")


class SaveForm(forms.Form):
    compound = forms.ModelChoiceField(
        label="Compound", queryset=Compound.objects.order_by("name"), empty_label=None
    )
    fetch = forms.BooleanField(
        label="Fetch references no stored study matches from PubMed and Crossref",
        required=False,
        initial=True,
        help_text="Offline, they stay unresolved and you are told which.",
    )


class PlacementForm(forms.Form):
    """Where one proposed sentence goes: onto one of the compound's claims it most likely
    restates (`choices`: (claim id, label) pairs, best first), or onto a new claim with a
    topic. The values are checked against the choices kept with the preview, so a claim the
    matching did not offer cannot be posted in."""

    NEW = "new"

    placement = forms.ChoiceField(widget=forms.RadioSelect)
    topic = forms.ModelChoiceField(
        label="Topic if it becomes a new claim",
        queryset=Topic.objects.all(),
        required=False,
        empty_label="Proposed from the sentence's words on saving",
    )

    def __init__(self, *args, index: int, choices=(), sentence: int | None = None, **kwargs):
        # `sentence`: the sentence's number on the page, as the preview shows it.
        kwargs.setdefault("prefix", f"p{index}")
        super().__init__(*args, **kwargs)
        number = index + 1 if sentence is None else sentence
        self.fields["placement"].label = f"Where sentence {number} goes"
        self.fields["placement"].choices = [*choices, (self.NEW, "A new claim")]

    @classmethod
    def for_proposal(cls, index: int, proposal, choices=(), **kwargs):
        initial = {"placement": str(proposal.placement), "topic": proposal.topic}
        return cls(initial=initial, index=index, choices=choices, **kwargs)

    def values(self) -> tuple[int | str, int | None]:
        """(the claim id or NEW, the new claim's topic id)."""
        placement, topic = self.cleaned_data["placement"], self.cleaned_data["topic"]
        return (
            placement if placement == self.NEW else int(placement),
            topic.pk if topic else None,
        )


class BulkFetchForm(forms.Form):
    """PMIDs and DOIs (or their PubMed and doi.org addresses) to fetch and store, one task."""

    identifiers = forms.CharField(
        label="PMIDs and DOIs",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            f"Up to {MAX_IDENTIFIERS}, one a line (or separated by spaces or commas); PubMed "
            "and doi.org addresses too."
        ),
    )

    def clean_identifiers(self) -> list[tuple[str, str]]:
        found, problems = parse_identifiers(self.cleaned_data["identifiers"])
        if problems:
            shown = problems[:5] + (
                [f"… and {len(problems) - 5} more"] if len(problems) > 5 else []
            )
            raise forms.ValidationError(
                ["Nothing was fetched: these are not PMIDs or DOIs.", *shown]
            )
        if not found:
            raise forms.ValidationError("Enter at least one PMID or DOI.")
        if len(found) > MAX_IDENTIFIERS:
            raise forms.ValidationError(
                f"{len(found)} identifiers: at most {MAX_IDENTIFIERS} at a time. Nothing was "
                "fetched."
            )
        return found
