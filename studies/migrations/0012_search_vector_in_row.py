"""Stored search vectors kept in the row (STORAGE MAIN), not in the TOAST table.

A study's vector is about 2 kB, just over the size at which PostgreSQL moves a value out of the
row (EXTENDED, the default): every candidate a search reads then cost an index lookup and about
four buffers in the TOAST table, twice (the match, then the rank). At 200,000 studies that was
most of a search's database time (issue 16: 501 candidates matched and ranked in 19 ms, 1.5 ms
with the vectors in the row). With MAIN, the abstract and the raw record (EXTENDED) leave the
row first; a vector too large for a page still goes out of line.

VACUUM FULL rewrites the stored rows so that the setting applies to them too (a minute or two
at 200,000 studies, its indexes rebuilt; the table is locked meanwhile). Not in a transaction:
VACUUM cannot run in one.
"""

from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("studies", "0011_phrase_pairs"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE studies_study ALTER COLUMN search_vector SET STORAGE MAIN",
            "ALTER TABLE studies_study ALTER COLUMN search_vector SET STORAGE EXTENDED",
        ),
        migrations.RunSQL("VACUUM FULL studies_study", migrations.RunSQL.noop),
    ]
