"""The content version: one number that changes whenever anything a public page shows changes.

Public pages are cached by it (kb.page_cache): their ETag and their server-side cache key carry
it, so a cached page is never served after a change and never thrown away without one.

Every writer that changes public content calls `bump()` inside its own transaction (the studies
importer, kb's services, the admin, the demo loader): the new number becomes visible when the
change commits, and not before. Lives in `studies`, the lowest app, so that both apps' writers
reach it without a signal.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.db.models import F
from django.utils import timezone

from studies.models import ContentVersion

NEVER = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Version:
    number: int
    changed_at: datetime


def bump() -> None:
    """Count one change to public content. Call it inside the writer's transaction; two writers
    bumping at once queue on the one row until the first commits."""
    now = timezone.now()
    if not ContentVersion.objects.filter(pk=1).update(number=F("number") + 1, changed_at=now):
        # The row is made by the migration; a flushed test database starts without it.
        ContentVersion.objects.get_or_create(pk=1, defaults={"number": 1, "changed_at": now})


# Written out rather than built by the ORM: every public page, cached or not, runs it first, and
# building the queryset cost twice the database round trip itself.
CURRENT_SQL = f"SELECT number, changed_at FROM {ContentVersion._meta.db_table} WHERE id = 1"  # noqa: S608


def current() -> Version:
    """The committed version (one primary-key read)."""
    with connection.cursor() as cursor:
        cursor.execute(CURRENT_SQL)
        row = cursor.fetchone()
    return Version(*row) if row else Version(0, NEVER)
