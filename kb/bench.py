"""The scale benchmark's arithmetic and reporting (`make bench`, kb/management/commands/bench.py):
reading wrk's report, medians and percentiles, ratios to /healthz, the machine it ran on, and the
Markdown table written into the README between markers. No I/O beyond the README and /proc."""

from __future__ import annotations

import os
import platform
import re
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip()).groups()
    return float(number) * _UNITS_MS[unit]


@dataclass(frozen=True)
class WrkRun:
    """One wrk run, from its report (wrk --latency)."""

    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    non_2xx: int

    @property
    def errors(self) -> int:
        return self.socket_errors + self.non_2xx


# The states, in /proc/net/tcp, of a server's connection whose request is not answered yet:
# ESTABLISHED, SYN_RECV and CLOSE_WAIT (the client has gone; a sync worker still does the work).
_WAITING_STATES = {"01", "03", "08"}


def waiting_connections(proc_net_tcp: str, port: int) -> int:
    """How many connections to `port` still wait for an answer (the text of /proc/net/tcp)."""
    local_port = f"{port:04X}"
    return sum(
        1
        for line in proc_net_tcp.splitlines()[1:]
        if len(fields := line.split()) > 3
        and fields[1].rpartition(":")[2] == local_port
        and fields[3] in _WAITING_STATES
    )


def parse_wrk(text: str) -> WrkRun:
    """wrk's report (run with --latency) as numbers; ValueError when it is not one."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    total = re.search(r"^\s*(\d+) requests in ", text, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    if not (rate and total and p50 and p99):
        raise ValueError("Not a wrk --latency report:\n" + text[:500])
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return WrkRun(
        requests=int(total.group(1)),
        requests_per_second=float(rate.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def median_run(runs: list[WrkRun]) -> dict:
    """The median of each figure over the rounds, and every round's errors added up."""
    return {
        "requests_per_second": statistics.median(r.requests_per_second for r in runs),
        "p50_ms": statistics.median(r.p50_ms for r in runs),
        "p99_ms": statistics.median(r.p99_ms for r in runs),
        "errors": sum(r.errors for r in runs),
        "rounds": [asdict(r) for r in runs],
    }


def relative_to(page: dict, healthz: dict) -> dict:
    """Throughput as a share of /healthz's, latencies as multiples of its latencies."""

    def ratio(name):
        # None when /healthz itself has no figure (e.g. wrk completed no request).
        return page[name] / healthz[name] if healthz[name] else None

    return {
        "throughput_vs_healthz": ratio("requests_per_second"),
        "p50_vs_healthz": ratio("p50_ms"),
        "p99_vs_healthz": ratio("p99_ms"),
    }


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share 0.5 = median, 0.95 = p95)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceiling without floats drifting
    return ordered[int(rank) - 1]


def machine() -> dict:
    """What the figures were measured on: cores, CPU model, memory, load when it started."""
    model = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
        model = found.group(1).strip() if found else ""
        memory = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        memory_gb = round(int(memory.group(1)) / 2**20, 1) if memory else None
    except OSError:
        memory_gb = None
    return {
        "cores": os.cpu_count(),
        "cpu": model or platform.processor(),
        "memory_gib": memory_gb,
        "system": platform.platform(),
        "load_average": os.getloadavg(),
    }


def rss_mib(pid: int) -> float:
    """A process's resident memory (VmRSS) in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) / 1024


def _fmt(value, digits=1):
    return "-" if value is None else f"{value:,.{digits}f}"


@dataclass(frozen=True)
class Target:
    """One of issue 16's targets: what is measured, its bound, and where a run keeps it."""

    name: str
    bound: str
    figure: object  # callable(results) -> float | bool | None (None: not measured)
    met: object  # callable(value) -> bool
    unit: str = ""


def _page_share(page: str, variant: str):
    def read(results):
        run = results.get("pages", {}).get(page, {}).get(variant)
        return None if not run else run["relative"].get("throughput_vs_healthz")

    return read


def _queries_equal(results):
    queries = results.get("queries")
    return None if not queries else queries["small"] == queries["full"]


TARGETS = (
    Target(
        "cached compound page (largest), throughput",
        ">= 80 % of /healthz",
        _page_share("compound (largest)", "fixed"),
        lambda v: v >= 0.8,
        "share",
    ),
    Target(
        "uncached compound page (largest), throughput",
        ">= 10 % of /healthz",
        _page_share("compound (largest)", "unique"),
        lambda v: v >= 0.1,
        "share",
    ),
    Target(
        "search p95 at full scale",
        "<= 50 ms",
        lambda r: (r.get("search") or {}).get("p95_ms"),
        lambda v: v <= 50,
        "ms",
    ),
    Target("SQL queries per page", "equal at small and full scale", _queries_equal, bool),
    Target(
        "whole study import",
        ">= 0.3x a bare iterparse",
        lambda r: (r.get("import") or {}).get("import_vs_bare"),
        lambda v: v >= 0.3,
        "x",
    ),
    Target(
        "worker memory after the mixed requests",
        "< 300 MiB",
        lambda r: max(
            (r.get("memory") or {}).get("workers_rss_mib") or [None], key=lambda v: v or 0
        ),
        lambda v: v < 300,
        "MiB",
    ),
    Target(
        "64 connections for 60 s",
        "0 errors",
        lambda r: (r.get("load") or {}).get("errors"),
        lambda v: v == 0,
        "errors",
    ),
    Target(
        "scale data generation",
        "< 300 s",
        lambda r: r.get("generation_s"),
        lambda v: v < 300,
        "s",
    ),
)


def _shown(value, unit: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "x":
        return f"{value:.2f}x"
    if isinstance(value, int):
        return f"{value:,} {unit}"
    return f"{_fmt(value)} {unit}"


def target_rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(target, bound, figure, "met" / "missed" / "not measured") for every target."""
    rows = []
    for target in TARGETS:
        value = target.figure(results)
        if value is None:
            rows.append((target.name, target.bound, "-", "not measured"))
        else:
            verdict = "met" if target.met(value) else "missed"
            rows.append((target.name, target.bound, _shown(value, target.unit), verdict))
    return rows


def markdown(results: dict) -> str:
    """The README's table of a bench run."""
    m = results["machine"]
    lines = [
        f"Measured by `make bench` on {results['finished']}: {m['cores']} cores ({m['cpu']}), "
        f"{m['memory_gib']} GiB, load average {m['load_average'][0]:.1f} at the start. "
        f"{results['note']}",
    ]
    steps = results.get("step_seconds")
    if steps:
        lines += [
            "",
            f"The run took {results['minutes']} min: "
            + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in steps.items())
            + ".",
        ]
    lines += ["", "| Target (issue 16) | bound | this run | |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {name} | {bound} | {figure} | {verdict} |"
        for name, bound, figure, verdict in target_rows(results)
    ]
    if results.get("pages"):
        lines += [
            "",
            f"wrk, {results['connections']} connections, {results['duration_s']} s, median of "
            f"{results['rounds']} rounds; gunicorn with gunicorn.conf.py, {results['workers']} "
            "workers, production settings, on the generated data (`kb_bench`).",
            "",
            "| Page | URL | req/s | share of /healthz | p50 ms | p99 ms | p99 vs /healthz "
            "| errors |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
    for name, page in results.get("pages", {}).items():
        for variant, label in (("fixed", ""), ("unique", " (unique URL, never cached)")):
            run = page.get(variant)
            if not run:
                continue
            ratios = run.get("relative", {})
            share = ratios.get("throughput_vs_healthz", 1)
            lines.append(
                f"| {name}{label} | `{page['url']}` | {_fmt(run['requests_per_second'])} | "
                f"{_fmt(None if share is None else 100 * share, 1)} % | "
                f"{_fmt(run['p50_ms'])} | {_fmt(run['p99_ms'])} | "
                f"{_fmt(ratios.get('p99_vs_healthz', 1), 1)}x | {run['errors']} |"
            )
    search = results.get("search")
    if search:
        lines += [
            "",
            f"Search at {results['sizes']['studies']:,} studies, up to {search['repeat']} "
            "requests per query (fewer when a query is slow), one at a time, unique URLs:",
            "",
            "| Query | requests | p50 ms | p95 ms |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| `{q}` | {v['samples']} | {_fmt(v['p50_ms'])} | {_fmt(v['p95_ms'])} |"
            for q, v in search["queries"].items()
        ]
        lines.append(f"| all | | {_fmt(search['p50_ms'])} | {_fmt(search['p95_ms'])} |")
        if search.get("failures"):
            lines.append(f"\nFailed searches (timeout or error): {'; '.join(search['failures'])}.")
    queries = results.get("queries")
    if queries:
        lines += [
            "",
            "| SQL queries per page | small data set | full data set |",
            "| --- | --- | --- |",
        ]
        lines += [
            f"| {name} | {queries['small'].get(name, '-')} | {queries['full'].get(name, '-')} |"
            for name in queries["full"]
        ]
    memory = results.get("memory")
    if memory:
        lines += [
            "",
            f"Worker memory after {memory['requests']:,} mixed requests ({memory['mix']}): "
            + ", ".join(f"{_fmt(v)} MiB" for v in memory["workers_rss_mib"])
            + f" (target < 300 MiB); {memory['errors']} errors.",
        ]
    load = results.get("load")
    if load:
        lines += [
            "",
            f"Load: {load['connections']} connections for {load['duration_s']} s on a mix of "
            f"public pages: {load['requests']:,} requests, {_fmt(load['requests_per_second'])} "
            f"req/s, p50 {_fmt(load['p50_ms'])} ms, p99 {_fmt(load['p99_ms'])} ms, "
            f"{load['errors']} errors.",
        ]
    imports = results.get("import")
    if imports:
        lines += [
            "",
            f"PubMed import of {imports['records']:,} real recorded records (tests/data, fresh "
            f"identifiers): bare iterparse {_fmt(imports['bare_per_s'], 0)}/s, Entrez.read "
            f"{_fmt(imports['entrez_per_s'], 0)}/s, parsing {_fmt(imports['parse_per_s'], 0)}/s "
            f"({imports['parse_vs_bare']:.2f}x bare, {imports['parse_vs_entrez']:.1f}x "
            "Entrez.read),"
            f" whole import {_fmt(imports['import_per_s'], 0)}/s "
            f"({imports['import_vs_bare']:.2f}x bare, {imports['import_vs_entrez']:.1f}x "
            "Entrez.read).",
        ]
    return "\n".join(lines)


def write_into_readme(readme: Path, table: str) -> None:
    """Replace what stands between the bench markers with the table (markers must exist)."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(README_START), text.index(README_END)
    readme.write_text(
        text[: start + len(README_START)] + "\n" + table + "\n" + text[end:], encoding="utf-8"
    )
