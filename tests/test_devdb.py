"""The embedded development PostgreSQL (kb/devdb.py) of `make run` and `make test`: a port taken
by another program at the moment the server binds (two checkouts starting at once) moves it to
the next free port instead of failing."""

import socket

import pytest

from kb import devdb


@pytest.fixture
def taken_port():
    with socket.socket() as blocker:
        blocker.bind((devdb.HOST, 0))
        blocker.listen()
        yield blocker.getsockname()[1]


def test_a_port_taken_while_the_server_starts_moves_it_to_a_free_one(
    tmp_path, monkeypatch, taken_port
):
    monkeypatch.setenv("DEVDB_DIR", str(tmp_path / "pgdata"))
    monkeypatch.setenv("DEVDB_PORT", "")
    monkeypatch.setattr(devdb, "DEFAULT_PORT", taken_port)
    # The look finds the port free; the program takes it before PostgreSQL binds.
    really_in_use = devdb._port_in_use
    monkeypatch.setattr(
        devdb, "_port_in_use", lambda port: port != taken_port and really_in_use(port)
    )
    try:
        url = devdb.start()
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert port != taken_port
        assert really_in_use(port)
    finally:
        devdb.stop()
