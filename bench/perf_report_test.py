#!/usr/bin/env python3
"""Tests of bench/perf_report.py (the report renderer) on a hand-made performance.json: failed
and unmeasured suites are said plainly, every figure and its command reach the report, charts
are well-formed SVG, and re-rendering removes charts the data no longer has. Run:
    python3 bench/perf_report_test.py
"""

import copy
import json
import os
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import perf_report  # noqa: E402


def figure(label, unit, runs, command, **params):
    return {"label": label, "unit": unit, "runs": runs, "min": min(runs), "median": sorted(runs)[len(runs) // 2],
            "max": max(runs), "command": command, "better": None, "params": params}


def suite(title, figures=(), status="ok", error=None, extra=None):
    return {"title": title, "status": status, "error": error, "note": None, "seconds": 1.0,
            "figures": list(figures), "extra": extra or {}}


FIXTURE = {
    "schema": 1,
    "environment": {"mode": "full", "repetitions": 3, "command": "bench/run_all.py", "git_commit": "abc",
                    "git_dirty": False, "date_utc": "2026-01-01 00:00:00 UTC"},
    "suites": {
        "consensus_graph": suite("Consensus: BlockGraph finality check", [
            figure("ours 1000", "ns/lookup", [9.0, 10.0, 11.0], "bench_graph --x",
                   impl="blockgraph", blocks=1000, threads=1, scenario="readers only"),
            figure("base 1000", "ns/lookup", [30.0, 31.0, 32.0], "bench_graph --x",
                   impl="baseline", blocks=1000, threads=1, scenario="readers only")]),
        "consensus_devnet": suite("Consensus: devnet", status="failed", error="devnet did not start: boom"),
        "poi": suite("PoI", [figure(f"{op} {impl}", "ops/s", [v, v + 1, v + 2], "bench_crypto --y", op=op, impl=impl)
                             for op, base in (("sign", 50000.0), ("verify", 20000.0))
                             for impl, v in (("ours", base), ("libsodium", base * 0.9), ("openssl", base / 2))]),
        "ace": suite("ACE orchestration", status="not_measured", error=perf_report.ACE_MISSING),
        "tests": suite("Tests", extra={"tests_listed": 2, "labels": {"base": {"tests": 2}},
                                       "list_command": "ctest -N", "run": "not run in quick mode",
                                       "coverage": "not measured (quick mode)"}),
    },
}


class RenderTest(unittest.TestCase):
    def setUp(self):
        self.markdown, self.charts = perf_report.render(copy.deepcopy(FIXTURE), "unused")

    def test_failed_suite_is_reported_with_its_error(self):
        self.assertIn("**Failed** — `devnet did not start: boom`", self.markdown)
        self.assertIn("**Consensus: devnet: failed**", self.markdown)  # and again under the known limits

    def test_missing_ace_benchmark_is_said_plainly(self):
        self.assertIn("Not measured: ACE runtime benchmark missing", self.markdown)

    def test_every_figure_and_command_reaches_the_appendix(self):
        for s in FIXTURE["suites"].values():
            for f in s["figures"]:
                self.assertIn(f"| {f['label']} |", self.markdown)
                self.assertIn(f"`{f['command']}`", self.markdown)

    def test_median_with_spread_and_baseline_ratio(self):
        self.assertIn("| 1,000 | 1 | readers only | 10.0 (9.00–11.0) | 31.0 (30.0–32.0) | 3.1× |", self.markdown)

    def test_charts_are_well_formed_svg(self):
        self.assertEqual(set(self.charts), {"blockgraph", "ed25519"})
        for svg in self.charts.values():
            self.assertEqual(ET.fromstring(svg).tag, "{http://www.w3.org/2000/svg}svg")

    def test_rerendering_removes_stale_charts(self):
        with tempfile.TemporaryDirectory() as out:
            path = os.path.join(out, "performance.json")
            with open(path, "w") as f:
                json.dump(FIXTURE, f)
            perf_report.render_files(path, out)
            self.assertTrue(os.path.exists(os.path.join(out, "perf", "ed25519.svg")))
            smaller = copy.deepcopy(FIXTURE)
            smaller["suites"]["poi"] = suite("PoI", status="failed", error="bench_crypto exited 1")
            with open(path, "w") as f:
                json.dump(smaller, f)
            perf_report.render_files(path, out)
            self.assertFalse(os.path.exists(os.path.join(out, "perf", "ed25519.svg")))
            self.assertTrue(os.path.exists(os.path.join(out, "PERFORMANCE.md")))


if __name__ == "__main__":
    unittest.main()
