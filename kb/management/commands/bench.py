"""`make bench`: the site under gunicorn and wrk on knowledge-base-scale data.

Run with DATABASE_URL naming the benchmark's own database (the Makefile uses `kb_bench` on the
same server; it is created if missing). Steps: migrate and generate the scale data there
(kb.scale_data, once), SQL queries per page on a small generated data set (`kb_bench_small`)
and on the full one, the PubMed import against a bare iterparse pass and Biopython's
Entrez.read, wrk on each page (fixed URL and a unique URL per request, which no cache can
answer) as a share of /healthz in the same run, search latency, worker memory after mixed
requests, and a 64-connection load. Results go to bench/results.json and into the README
between the bench markers (kb.bench).
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kb import bench
from kb.models import Claim, Compound, Evidence, Source
from kb.scale_data import SLUG_PREFIX, Sizes
from kb.vocabulary import ClaimStatus
from studies.management.commands import benchmark_import

SMALL = Sizes(
    compounds=5,
    claims=120,
    appearances=240,
    studies=2_000,
    evidence=600,
    sources=20,
    large_compounds=1,
    large_claims=60,
    raw_record_chars=8_000,
)
SEARCHES = (
    "ischaemic stroke",
    "randomized placebo",
    "cognitive recovery",
    "neurotrophic peptide rats",
    '"functional recovery"',
)
LARGE = f"{SLUG_PREFIX}001"
STEPS = ("queries", "import", "pages", "search", "memory", "load")

# wrk's request function: the paths in turn; with UNIQUE each request gets a query parameter of
# its own, so that no cache can answer it (the views ignore parameters they do not know).
WRK_SCRIPT = """
local paths = {%(paths)s}
local unique = %(unique)s
local n = math.random(1, 1000000000)
request = function()
  n = n + 1
  local path = paths[(n %% #paths) + 1]
  if unique then
    local sep = string.find(path, "?", 1, true) and "&" or "?"
    path = path .. sep .. "bench=" .. n
  end
  return wrk.format(nil, path)
end
"""


def database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{name}"


def ensure_database(name: str) -> None:
    db = settings.DATABASES["default"]
    server = psycopg2.connect(
        dbname="postgres",
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db["HOST"],
        port=db["PORT"],
    )
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    server.close()


def page_urls() -> dict[str, str]:
    """The benchmarked pages on the generated data of the current database."""
    large = Compound.objects.get(slug=LARGE)
    claim = Claim.objects.filter(compound=large, status=ClaimStatus.PUBLISHED).order_by("pk")[0]
    study = Evidence.objects.filter(claim__compound=large).order_by("study_id")[0].study_id
    source = Source.objects.filter(appearances__claim=claim).order_by("pk")[0]
    return {
        "home": "/",
        "compound (largest)": f"/compounds/{LARGE}/",
        "claim": claim.get_absolute_url(),
        "study": f"/studies/{study}/",
        "source": source.get_absolute_url(),
        "search": "/search/?q=ischaemic+stroke",
        "API (largest compound)": f"/api/compounds/{LARGE}/",
    }


def query_counts() -> dict[str, int]:
    """SQL queries per page (the body read: a streamed one queries as it is read)."""
    urls = page_urls() | {
        "compound, page 2": f"/compounds/{LARGE}/?page=2",
        "claims CSV (largest)": f"/compounds/{LARGE}/claims.csv",
    }
    client, counts = Client(), {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}")
            if response.streaming:
                b"".join(response.streaming_content)
        counts[name] = len(captured)
    return counts


def mixed_paths(count: int = 50) -> list[str]:
    """One cycle of the mixed requests: mostly pages of many different claims, studies, pages
    and compounds, the largest compound's API and CSV once each."""
    claims = list(Claim.objects.published().order_by("?").values_list("pk", flat=True)[:count])
    studies = list(Evidence.objects.order_by("?").values_list("study_id", flat=True)[: count // 2])
    sources = list(Source.objects.order_by("?").values_list("pk", flat=True)[: count // 5])
    slugs = list(Compound.objects.order_by("slug").values_list("slug", flat=True)[:10])
    paths = [f"/api/compounds/{LARGE}/", f"/compounds/{LARGE}/claims.csv", "/"]
    paths += [f"/compounds/{slug}/?page={1 + n % 3}" for n, slug in enumerate(slugs)]
    paths += [f"/api/compounds/{slugs[-1]}/"]
    paths += [f"/claims/{pk}/" for pk in claims]
    paths += [f"/studies/{pk}/" for pk in studies]
    paths += [f"/sources/{pk}/" for pk in sources]
    return paths


class Server:
    """gunicorn with the repo's gunicorn.conf.py and production settings, on the current
    database; its output to a log file."""

    def __init__(self, port: int, workers: int, log: Path, *, max_requests: int | None = None):
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECURE_HTTPS": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url(settings.DATABASES["default"]["NAME"]),
            "WEB_CONCURRENCY": str(workers),
            "PORT": str(port),
        }
        args = [str(Path(sys.executable).with_name("gunicorn")), "kb.wsgi"]
        if max_requests is not None:
            args += ["--max-requests", str(max_requests)]
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn
            args, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(self.base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise CommandError(f"gunicorn did not start; see {log}")
            time.sleep(0.5)

    def wait_until_idle(self, seconds: float = 300) -> None:
        """Until no request is queued or being answered. wrk stops at its deadline, but what it
        left in gunicorn's queue (16 slow pages are many seconds of work) would otherwise be
        answered during, and counted against, the next measurement."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            tables = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
            text = "".join(table.read_text() for table in tables if table.exists())
            if not bench.waiting_connections(text, self.port):
                return
            time.sleep(0.1)

    def workers(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return sorted(children)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def wrk(url: str, paths: list[str], *, unique: bool, connections: int, seconds: int, folder):
    script = Path(folder) / "paths.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "paths": ", ".join(json.dumps(p) for p in paths),
            "unique": "true" if unique else "false",
        }
    )
    threads = min(connections, os.cpu_count() or 1)
    output = subprocess.run(  # noqa: S603 - wrk with our arguments
        [
            shutil.which("wrk") or "wrk",
            "--latency",
            "--timeout",
            "30s",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return bench.parse_wrk(output)


def get(url: str) -> tuple[int, float]:
    """(status, milliseconds) of one GET to our own server, the body read."""
    parts = urllib.parse.urlsplit(url)
    start = time.perf_counter()
    client = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        client.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        answer = client.getresponse()
        answer.read()
    finally:
        client.close()
    return answer.status, (time.perf_counter() - start) * 1000


class Command(BaseCommand):
    help = "The scale benchmark (make bench): see the module's docstring and README.md."

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=int, default=6, help="seconds per wrk run")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--rounds", type=int, default=3)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--search-repeat", type=int, default=20, help="requests per query")
        parser.add_argument(
            "--search-budget", type=float, default=20, help="seconds per query, at least one"
        )
        parser.add_argument("--mixed-requests", type=int, default=10_000)
        parser.add_argument("--load-connections", type=int, default=64)
        parser.add_argument("--load-duration", type=int, default=60)
        parser.add_argument("--import-records", type=int, default=2_000)
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--note", default="", help="a sentence for the README")
        parser.add_argument(
            "--steps",
            default=",".join(STEPS),
            help=f"which steps, comma-separated (default all: {','.join(STEPS)})",
        )
        parser.add_argument("--no-readme", action="store_true")
        parser.add_argument(
            "--count-queries", action="store_true", help="only print query counts (JSON)"
        )

    def handle(self, *args, **o):
        if o["count_queries"]:
            self.stdout.write(json.dumps(query_counts()))
            return
        name = settings.DATABASES["default"]["NAME"]
        if name in {"kb", "postgres"}:
            raise CommandError(
                "Point DATABASE_URL at a database of its own (make bench: kb_bench)."
            )
        started = time.perf_counter()
        self.step_seconds, self.current_step = {}, None
        results = {"machine": bench.machine(), "note": o["note"], "sizes": Sizes().__dict__}
        self.step("setup and data", f"Database {name}: migrate and generate the scale data (once)")
        ensure_database(name)
        call_command("migrate", verbosity=0)
        if not Compound.objects.filter(slug__startswith=SLUG_PREFIX).exists():
            generating = time.perf_counter()
            call_command("generate_scale_data", stdout=self.stdout)
            results["generation_s"] = round(time.perf_counter() - generating, 1)
        call_command("collectstatic", interactive=False, verbosity=0)

        steps = set(o["steps"].split(","))
        if steps - set(STEPS):
            raise CommandError(f"Unknown steps: {', '.join(sorted(steps - set(STEPS)))}")
        if "queries" in steps:
            results["queries"] = self.query_counts(name)
        if "import" in steps:
            self.step("import", "PubMed import against iterparse and Entrez.read")
            results["import"] = self.import_speed(o["import_records"])
        urls = page_urls()
        with tempfile.TemporaryDirectory(prefix="kb-bench-") as folder:
            log = Path(folder) / "gunicorn.log"
            if steps & {"pages", "search"}:
                server = Server(o["port"], o["workers"], log)
                try:
                    if "pages" in steps:
                        results.update(self.pages(server, urls, o, folder))
                    if "search" in steps:
                        results["search"] = self.search(
                            server, o["search_repeat"], o["search_budget"]
                        )
                finally:
                    server.stop()
            if "memory" in steps:
                # A fresh server whose workers are never recycled, so each one's resident
                # memory is what the requests left in it.
                server = Server(o["port"], o["workers"], log, max_requests=0)
                try:
                    results["memory"] = self.memory(server, o["mixed_requests"])
                finally:
                    server.stop()
            if "load" in steps:
                results["load"] = self.load(o, log, folder)
        self.step("done")
        results.update(
            step_seconds=self.step_seconds,
            connections=o["connections"],
            duration_s=o["duration"],
            rounds=o["rounds"],
            workers=o["workers"],
            minutes=round((time.perf_counter() - started) / 60, 1),
            finished=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
        out = Path(settings.BASE_DIR) / "bench" / "results.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
        table = bench.markdown(results)
        if not o["no_readme"]:
            bench.write_into_readme(Path(settings.BASE_DIR) / "README.md", table)
        self.stdout.write("\n" + table + f"\n\nDone in {results['minutes']} min; {out}.")

    def query_counts(self, name: str) -> dict:
        self.step("query counts", "SQL queries per page, small and full data set")
        small = f"{name}_small"
        ensure_database(small)
        env = {**os.environ, "DATABASE_URL": database_url(small)}
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)  # noqa: S603
        sizes = [f"--{k.replace('_', '-')}={v}" for k, v in SMALL.__dict__.items()]
        subprocess.run(  # noqa: S603 - this project's manage.py
            [*manage, "generate_scale_data", "--if-missing", *sizes], env=env, check=True
        )
        counted = subprocess.run(  # noqa: S603 - this project's manage.py
            [*manage, "bench", "--count-queries"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        return {"small": json.loads(counted.stdout), "full": query_counts()}

    def load(self, o: dict, log: Path, folder) -> dict:
        """As make serve runs it: gunicorn.conf.py's worker count (2 x cores + 1)."""
        self.step("load", f"load: {o['load_connections']} connections for {o['load_duration']} s")
        server = Server(o["port"], (os.cpu_count() or 1) * 2 + 1, log)
        try:
            run = wrk(
                server.base,
                mixed_paths(),
                unique=False,
                connections=o["load_connections"],
                seconds=o["load_duration"],
                folder=folder,
            )
        finally:
            server.stop()
        return {
            "connections": o["load_connections"],
            "duration_s": o["load_duration"],
            "requests": run.requests,
            "requests_per_second": run.requests_per_second,
            "p50_ms": run.p50_ms,
            "p99_ms": run.p99_ms,
            "errors": run.errors,
        }

    def step(self, name: str, text: str = "") -> None:
        """Start a step (and end the one before): how long each took goes into the results,
        since the whole run must stay under 20 minutes on the 2-core machine."""
        now = time.perf_counter()
        if self.current_step is not None:
            ended, began = self.current_step
            self.step_seconds[ended] = round(now - began, 1)
        self.current_step = (name, now)
        self.stdout.write(f"== {text or name}", ending="\n")
        self.stdout.flush()

    def pages(self, server: Server, urls: dict, o: dict, folder) -> dict:
        """wrk on /healthz and each page, fixed and unique URLs, rounds taking turns so that
        every page meets the same disturbances; medians, and ratios to /healthz."""
        self.step("pages", "wrk on each page")
        runs = {("healthz", False): []}
        for name in urls:
            runs[(name, False)], runs[(name, True)] = [], []
        for _ in range(o["rounds"]):
            for (name, unique), collected in runs.items():
                path = "/healthz" if name == "healthz" else urls[name]
                server.wait_until_idle()
                if not unique:
                    # A fixed URL is measured as it is served in steady state: already stored
                    # in each worker's page cache (the first request renders it), with the
                    # same warm-up for /healthz.
                    wrk(
                        server.base,
                        [path],
                        unique=False,
                        connections=o["connections"],
                        seconds=1,
                        folder=folder,
                    )
                    server.wait_until_idle()
                run = wrk(
                    server.base,
                    [path],
                    unique=unique,
                    connections=o["connections"],
                    seconds=o["duration"],
                    folder=folder,
                )
                collected.append(run)
                self.stdout.write(
                    f"  {name}{' (unique URLs)' if unique else ''}: "
                    f"{run.requests_per_second:.1f} req/s, p50 {run.p50_ms:.1f} ms, "
                    f"p99 {run.p99_ms:.1f} ms, {run.errors} errors"
                )
        healthz = bench.median_run(runs[("healthz", False)])
        pages = {"healthz": {"url": "/healthz", "fixed": healthz}}
        for name, url in urls.items():
            pages[name] = {"url": url}
            for unique, key in ((False, "fixed"), (True, "unique")):
                run = bench.median_run(runs[(name, unique)])
                run["relative"] = bench.relative_to(run, healthz)
                pages[name][key] = run
        return {"pages": pages}

    def search(self, server: Server, repeat: int, budget: float) -> dict:
        self.step("search", "search latency")
        queries, every, failures = {}, [], []
        for n, query in enumerate(SEARCHES):
            times, spent = [], time.monotonic()
            for k in range(repeat):
                # A slow search (seconds a query) gets fewer samples, not a bench of an hour.
                if times and time.monotonic() - spent > budget:
                    break
                q = urllib.parse.quote(query)
                try:
                    status, ms = get(f"{server.base}/search/?q={q}&bench={n}-{k}-{time.time_ns()}")
                except OSError as error:  # a timeout: recorded, and the bench goes on
                    status, ms = type(error).__name__, None
                if status != 200:
                    failures.append(f"{query!r}: {status}")
                    continue
                times.append(ms)
            every += times
            queries[query] = {
                "p50_ms": bench.percentile(times, 0.5) if times else None,
                "p95_ms": bench.percentile(times, 0.95) if times else None,
                "samples": len(times),
            }
        return {
            "repeat": repeat,
            "queries": queries,
            "p50_ms": bench.percentile(every, 0.5) if every else None,
            "p95_ms": bench.percentile(every, 0.95) if every else None,
            "failures": failures,
        }

    def memory(self, server: Server, requests: int) -> dict:
        self.step("memory", f"worker memory after {requests} mixed requests")
        paths = mixed_paths()
        errors, lock = [], threading.Lock()

        def one(n: int):
            try:
                status, _ = get(server.base + paths[n % len(paths)])
            except OSError as error:
                status = str(error)
            if status != 200:
                with lock:
                    errors.append((paths[n % len(paths)], status))

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(one, range(requests)))
        return {
            "requests": requests,
            "mix": f"a cycle of {len(paths)} paths: the largest compound's API and CSV once "
            "each, compound pages, claims, studies, sources",
            "workers_rss_mib": [bench.rss_mib(pid) for pid in server.workers()],
            "errors": len(errors),
        }

    def import_speed(self, count: int) -> dict:
        source = Path(settings.BASE_DIR) / "tests" / "data" / "pubmed"
        templates = benchmark_import.real_records(source)
        with tempfile.TemporaryDirectory(prefix="kb-bench-import-") as folder:
            path = Path(folder) / "records.xml"
            benchmark_import.build_file(path, templates, count)
            (bare, _), (entrez, _), (parse, _) = benchmark_import.fastest_of(
                3,
                (benchmark_import.bare_pass, path),
                (benchmark_import.entrez_pass, path),
                (benchmark_import.parse_pass, path),
            )
            whole = benchmark_import.import_seconds(path, count)
        rates = {
            "bare_per_s": count / bare,
            "entrez_per_s": count / entrez,
            "parse_per_s": count / parse,
            "import_per_s": count / whole,
        }
        return {
            "records": count,
            **rates,
            "parse_vs_bare": rates["parse_per_s"] / rates["bare_per_s"],
            "parse_vs_entrez": rates["parse_per_s"] / rates["entrez_per_s"],
            "import_vs_bare": rates["import_per_s"] / rates["bare_per_s"],
            "import_vs_entrez": rates["import_per_s"] / rates["entrez_per_s"],
        }
