"""Which of a compound's claims a study most likely bears on: PostgreSQL full-text ranking of
each claim (its statement, its topic's name and keywords) against the study's title and
abstract, every word of which may match (an OR of its lexemes, English stemming).

A proposal for the editor, not a judgement: the editor weighs the study against one of them, or
another claim, or dismisses it.
"""

from django.db import connection

from studies import limits
from studies.models import Study

PROPOSED = 3  # claims proposed per study
# Below this a claim shares only common words with the study ("dose", "risk", "patients"): on
# the recorded replies, an aspirin trial scores at most 0.4 against the Cerebrolysin claims and
# a stroke study 0.6 to 0.9 against the stroke claims.
MIN_SCORE = 0.5

# ts_rank_cd of each claim's document against the study's words, ORed, divided by the
# document's length (normalisation 2) so that a long claim does not win by length alone; the
# title's words count twice. The claim's own statement weighs more (A) than its topic's name and
# keywords (B), which carry the synonyms ("ischemic", "ischaemic").
_RANK = """
WITH q AS (
    SELECT replace(plainto_tsquery('english', %(title)s)::text, ' & ', ' | ') AS title,
        replace(plainto_tsquery('english', %(abstract)s)::text, ' & ', ' | ') AS abstract
), d AS (
    SELECT c.id, c.statement,
        setweight(to_tsvector('english', left(c.statement, %(bound)s)), 'A')
        || setweight(to_tsvector('english', coalesce(t.name, '') || ' ' || coalesce(
            (SELECT string_agg(k, ' ') FROM jsonb_array_elements_text(t.keywords) k), '')), 'B')
        AS document
    FROM kb_claim c LEFT JOIN kb_topic t ON t.id = c.topic_id
    WHERE c.compound_id = %(compound)s
)
SELECT d.id, d.statement,
    2 * CASE WHEN q.title <> '' THEN ts_rank_cd(d.document, q.title::tsquery, 2) ELSE 0 END
    + CASE WHEN q.abstract <> '' THEN ts_rank_cd(d.document, q.abstract::tsquery, 2) ELSE 0 END
    AS score
FROM d, q
ORDER BY score DESC, d.id
LIMIT %(limit)s
"""


def likely_claims(compound_id: int, study: Study, *, limit: int = PROPOSED) -> list[dict]:
    """The compound's claims the study most likely bears on, best first, each as
    {"claim", "statement", "score"}; none when nothing scores MIN_SCORE."""
    if not (study.title or study.abstract):
        return []
    # Bounded like every text fed to full-text search (studies.limits.SearchText): a study
    # stored before the limits must not break the ranking.
    params = {
        "title": study.title[: limits.SEARCH_TEXT],
        "abstract": study.abstract[: limits.SEARCH_TEXT],
        "compound": compound_id,
        "bound": limits.SEARCH_TEXT,
    }
    with connection.cursor() as cursor:
        cursor.execute(_RANK, params | {"limit": limit})
        rows = cursor.fetchall()
    return [
        {"claim": pk, "statement": statement, "score": round(score, 3)}
        for pk, statement, score in rows
        if score >= MIN_SCORE
    ]
