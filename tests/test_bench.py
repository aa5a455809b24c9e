"""The scale benchmark's harness (kb.bench): wrk's real reports read into numbers, medians and
ratios to /healthz, percentiles, and the README's table between its markers."""

from pathlib import Path

import pytest

from kb import bench

DATA = Path(__file__).resolve().parent / "data" / "bench"


def test_a_recorded_wrk_report_is_read():
    run = bench.parse_wrk((DATA / "wrk_latency_ok.txt").read_text())
    assert run == bench.WrkRun(
        requests=6252,
        requests_per_second=3124.10,
        p50_ms=1.01,
        p99_ms=43.37,
        socket_errors=0,
        non_2xx=0,
    )
    assert run.errors == 0


def test_non_2xx_responses_count_as_errors():
    run = bench.parse_wrk((DATA / "wrk_latency_non2xx.txt").read_text())
    assert (run.requests, run.non_2xx, run.errors) == (6627, 6627, 6627)
    assert run.p50_ms == pytest.approx(0.97)


def test_socket_errors_and_other_units_are_read():
    text = (DATA / "wrk_latency_ok.txt").read_text()
    text = text.replace("     50%    1.01ms", "     50%  812.00us").replace(
        "     99%   43.37ms", "     99%    1.20s"
    )
    text = text.replace(
        "Requests/sec:", "  Socket errors: connect 1, read 2, write 0, timeout 4\nRequests/sec:"
    )
    run = bench.parse_wrk(text)
    assert (run.p50_ms, run.p99_ms) == (pytest.approx(0.812), pytest.approx(1200.0))
    assert run.socket_errors == 7


def test_what_is_not_a_wrk_report_is_refused():
    with pytest.raises(ValueError, match="Not a wrk --latency report"):
        bench.parse_wrk("wrk: command not found\n")


def test_rounds_give_medians_and_ratios_to_healthz():
    def run(rate, p50, p99):
        return bench.WrkRun(100, rate, p50, p99, 0, 0)

    healthz = bench.median_run([run(4000, 2, 8), run(5000, 3, 9), run(4500, 2.5, 10)])
    page = bench.median_run([run(40, 300, 900), run(50, 200, 800), run(60, 250, 1000)])
    assert (healthz["requests_per_second"], page["requests_per_second"]) == (4500, 50)
    ratios = bench.relative_to(page, healthz)
    assert ratios["throughput_vs_healthz"] == pytest.approx(50 / 4500)
    assert ratios["p99_vs_healthz"] == pytest.approx(900 / 9)


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 21)]
    assert bench.percentile(values, 0.5) == 10.0
    assert bench.percentile(values, 0.95) == 19.0
    assert bench.percentile([7.0], 0.95) == 7.0


def test_the_table_replaces_only_what_stands_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# Title\n\nBefore.\n\n{bench.README_START}\nold table\n{bench.README_END}\n\nAfter.\n"
    )
    bench.write_into_readme(readme, "| new | table |")
    assert readme.read_text() == (
        f"# Title\n\nBefore.\n\n{bench.README_START}\n| new | table |\n{bench.README_END}"
        "\n\nAfter.\n"
    )


def test_a_recorded_run_says_which_targets_it_met_and_missed():
    import json

    results = json.loads((DATA / "results_contended_run.json").read_text())
    rows = {name: (figure, verdict) for name, _, figure, verdict in bench.target_rows(results)}
    assert rows["cached compound page (largest), throughput"] == ("38.5 %", "missed")
    assert rows["search p95 at full scale"] == ("1,242.9 ms", "missed")
    assert rows["SQL queries per page"] == ("yes", "met")
    assert rows["whole study import"] == ("0.21x", "missed")
    assert rows["worker memory after the mixed requests"] == ("198.8 MiB", "met")
    assert rows["64 connections for 60 s"] == ("0 errors", "met")
    # That run found the data already generated: no generation time to judge.
    assert rows["scale data generation"] == ("-", "not measured")
    table = bench.markdown(results)
    assert "| search p95 at full scale | <= 50 ms | 1,242.9 ms | missed |" in table


def test_a_partial_run_marks_what_it_did_not_measure():
    results = {
        "machine": {"cores": 2, "cpu": "x", "memory_gib": 1, "load_average": [0.1]},
        "note": "",
        "finished": "now",
        "minutes": 0.5,
        "step_seconds": {"setup and data": 12.0, "search": 20.4},
        "generation_s": 250.0,
        "sizes": {"studies": 200_000},
        "search": {"repeat": 1, "queries": {}, "p50_ms": 30.0, "p95_ms": 45.0, "failures": []},
    }
    rows = {name: verdict for name, _, _, verdict in bench.target_rows(results)}
    assert rows["search p95 at full scale"] == "met"
    assert rows["scale data generation"] == "met"
    assert rows["whole study import"] == "not measured"
    assert "The run took 0.5 min: setup and data 12 s, search 20 s." in bench.markdown(results)


def test_connections_still_waiting_for_an_answer_are_counted_from_proc_net_tcp():
    # /proc/net/tcp as Linux writes it: gunicorn listening on 8733 (0x221D), one request being
    # answered, one whose client has gone (CLOSE_WAIT), one closed; another server's connection.
    header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
    rows = [
        "   0: 0100007F:221D 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000",
        "   1: 0100007F:221D 0100007F:C3A2 01 00000000:00000000 00:00000000 00000000  1000",
        "   2: 0100007F:221D 0100007F:C3A4 08 00000000:00000000 00:00000000 00000000  1000",
        "   3: 0100007F:221D 0100007F:C3A6 06 00000000:00000000 03:00001000 00000000     0",
        "   4: 0100007F:1538 0100007F:C3A8 01 00000000:00000000 00:00000000 00000000   106",
        "   5: 0100007F:C3AA 0100007F:221D 01 00000000:00000000 00:00000000 00000000  1000",
    ]
    text = header + "\n".join(rows) + "\n"
    assert bench.waiting_connections(text, 8733) == 2
    assert bench.waiting_connections(header, 8733) == 0
