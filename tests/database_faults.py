"""Database faults injected into a running test: the connection Django holds is ended by the
server, as a restart, a failover or an administrator's pg_terminate_backend would end it.

Use in a transactional test (pytest.mark.django_db(transaction=True)): the fault ends the
connection's transaction, which an ordinary test wraps around everything it does."""

import psycopg2
from django.db import connection


def kill_connection() -> None:
    """End the server process behind Django's connection, from a second connection; Django's
    next query fails as it would in production (OperationalError, then InterfaceError)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    settings = connection.get_connection_params()
    other = psycopg2.connect(**settings)
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone() == (True,)
    finally:
        other.close()


def reconnect() -> None:
    """What Django does at the start of the next request: drop the dead connection."""
    connection.close()
