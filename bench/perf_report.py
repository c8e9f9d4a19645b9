#!/usr/bin/env python3
"""Renders PERFORMANCE.md and its SVG charts (perf/*.svg) from performance.json, the file
bench/run_all.py writes. Every number in the report comes from that file; the only text written
here is fixed prose (what a table shows, what is not comparable, published figures of other
systems, which are cited and never presented as measured). Re-rendering needs no new run:

    bench/perf_report.py [--json docs/performance.json] [--out-dir docs]

Charts are plain SVG written here (no plotting library): median points or bars, with min–max
whiskers where the repetitions differ.
"""

import argparse
import html
import json
import math
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from docgen import spread  # noqa: E402

ACE_MISSING = "not measured: ACE runtime benchmark missing"


# ---------------------------------------------------------------------------------------------
# Numbers


def fmt(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def cell(fig):
    return spread(fig["runs"], fmt) if fig else "–"


class Report:
    def __init__(self, data):
        self.data, self.env, self.suites = data, data["environment"], data["suites"]

    def suite(self, name):
        return self.suites.get(name)

    def figures(self, suite, **params):
        s = self.suites.get(suite)
        if not s:
            return []
        return [f for f in s["figures"] if all(f["params"].get(k) == v for k, v in params.items())]

    def one(self, suite, **params):
        found = self.figures(suite, **params)
        return found[0] if found else None

    def status_line(self, name):
        """None when the suite ran and succeeded; otherwise a plain sentence saying why not."""
        s = self.suites.get(name)
        if s is None:
            return "Not run in this report (`--only` left it out)."
        if s["status"] == "failed":
            return f"**Failed** — `{s['error']}`. No figures from this suite."
        if s["status"] == "not_measured":
            return f"**{s['error'][0].upper() + s['error'][1:]}.**"
        return None


def commands_of(figs):
    seen = list(dict.fromkeys(f["command"] for f in figs if f))
    if not seen:
        return ""
    return "Command" + ("s" if len(seen) > 1 else "") + ": " + "; ".join(f"`{c}`" for c in seen) + "."


def table(header, rows, align=None):
    align = align or ["---"] + ["---:"] * (len(header) - 1)
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# SVG


def _esc(text):
    return html.escape(str(text), quote=True)


class Axis:
    def __init__(self, lo, hi, log, pixels_lo, pixels_hi):
        if log:
            lo, hi = 10 ** math.floor(math.log10(max(lo, 1e-9))), 10 ** math.ceil(math.log10(max(hi, 1e-9)))
        else:
            lo = 0 if lo >= 0 else lo
            hi = nice_ceiling(hi)
        if hi <= lo:
            hi = lo + 1
        self.lo, self.hi, self.log, self.p0, self.p1 = lo, hi, log, pixels_lo, pixels_hi

    def __call__(self, v):
        if self.log:
            v = max(v, self.lo)
            t = (math.log10(v) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        else:
            t = (v - self.lo) / (self.hi - self.lo)
        return self.p0 + t * (self.p1 - self.p0)

    def ticks(self):
        if self.log:
            e0, e1 = round(math.log10(self.lo)), round(math.log10(self.hi))
            return [10 ** e for e in range(e0, e1 + 1)]
        step = self.hi / 5
        return [self.lo + i * step for i in range(6)]


def nice_ceiling(v):
    if v <= 0:
        return 1
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * e >= v:
            return m * e
    return 10 * e


def tick_label(v):
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
W, H, LEFT, RIGHT, TOP, BOTTOM = 760, 400, 70, 210, 40, 60


def _frame(title, ylabel, xlabel, y, bottom=BOTTOM):
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
             'font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/>',
             f'<text x="{W / 2 - RIGHT / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">{_esc(title)}</text>',
             f'<text transform="translate(16,{(TOP + H - bottom) / 2}) rotate(-90)" text-anchor="middle">{_esc(ylabel)}</text>',
             f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 12}" text-anchor="middle">{_esc(xlabel)}</text>']
    for t in y.ticks():
        py = y(t)
        parts.append(f'<line x1="{LEFT}" y1="{py:.1f}" x2="{W - RIGHT}" y2="{py:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{py + 4:.1f}" text-anchor="end">{tick_label(t)}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{H - bottom}" stroke="black"/>')
    parts.append(f'<line x1="{LEFT}" y1="{H - bottom}" x2="{W - RIGHT}" y2="{H - bottom}" stroke="black"/>')
    return parts


def _legend(parts, names, colors=None):
    colors = colors or [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    for i, name in enumerate(names):
        y0 = TOP + 10 + 18 * i
        parts.append(f'<rect x="{W - RIGHT + 12}" y="{y0 - 9}" width="12" height="12" fill="{colors[i]}"/>')
        parts.append(f'<text x="{W - RIGHT + 30}" y="{y0 + 1}">{_esc(name)}</text>')


def bar_chart(title, ylabel, groups, series, log=False):
    """groups: [(group label, [figure or None per series])]; bars at the median, whiskers min–max."""
    values = [v for _, figs in groups for f in figs if f for v in (f["min"], f["max"])]
    if not values:
        return None
    slot = (W - LEFT - RIGHT) / max(1, len(groups))
    rotate = max(len(label) for label, _ in groups) * 7 > slot  # long labels: slanted, more room below
    bottom = BOTTOM + (90 if rotate else 0)
    y = Axis(min(values) if log else 0, max(values), log, H - bottom, TOP)
    parts = _frame(title, ylabel, "", y, bottom)
    bar = slot * 0.8 / max(1, len(series))
    for g, (label, figs) in enumerate(groups):
        x0 = LEFT + g * slot + slot * 0.1
        for i, f in enumerate(figs):
            if not f:
                continue
            x = x0 + i * bar
            top, base = y(f["median"]), y(y.lo)
            parts.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar * 0.9:.1f}" height="{max(0.5, base - top):.1f}" '
                         f'fill="{PALETTE[i % len(PALETTE)]}"><title>{_esc(f["label"])}: {fmt(f["median"])} {_esc(f["unit"])}</title></rect>')
            if f["min"] != f["max"]:
                cx = x + bar * 0.45
                parts.append(f'<line x1="{cx:.1f}" y1="{y(f["min"]):.1f}" x2="{cx:.1f}" y2="{y(f["max"]):.1f}" stroke="black"/>')
        lx, ly = LEFT + g * slot + slot / 2, H - bottom + 16
        if rotate:
            parts.append(f'<text transform="translate({lx:.1f},{ly}) rotate(-30)" text-anchor="end">{_esc(label)}</text>')
        else:
            parts.append(f'<text x="{lx:.1f}" y="{ly}" text-anchor="middle">{_esc(label)}</text>')
    _legend(parts, series)
    parts.append("</svg>")
    return "\n".join(parts)


def line_chart(title, xlabel, ylabel, lines, logy=False, diagonal=False):
    """lines: [(name, [(x, figure)])]; points at the median, whiskers min–max."""
    pts = [(x, f) for _, ps in lines for x, f in ps if f]
    if not pts:
        return None
    ys = [v for _, f in pts for v in (f["min"], f["max"])]
    xs = [x for x, _ in pts]
    if diagonal:
        ys += xs
    x = Axis(0, max(xs), False, LEFT, W - RIGHT)
    y = Axis(min(ys) if logy else 0, max(ys), logy, H - BOTTOM, TOP)
    parts = _frame(title, ylabel, xlabel, y)
    for t in x.ticks():
        parts.append(f'<text x="{x(t):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{tick_label(t)}</text>')
    if diagonal:
        hi = min(x.hi, y.hi)
        parts.append(f'<line x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(hi):.1f}" y2="{y(hi):.1f}" stroke="#999" '
                     'stroke-dasharray="4 4"><title>offered = finalized</title></line>')
    for i, (name, ps) in enumerate(lines):
        color = PALETTE[i % len(PALETTE)]
        ps = [(px, f) for px, f in ps if f]
        path = " ".join(f"{x(px):.1f},{y(f['median']):.1f}" for px, f in ps)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for px, f in ps:
            parts.append(f'<circle cx="{x(px):.1f}" cy="{y(f["median"]):.1f}" r="3" fill="{color}">'
                         f'<title>{_esc(f["label"])}: {fmt(f["median"])} {_esc(f["unit"])}</title></circle>')
            if f["min"] != f["max"]:
                parts.append(f'<line x1="{x(px):.1f}" y1="{y(f["min"]):.1f}" x2="{x(px):.1f}" y2="{y(f["max"]):.1f}" '
                             f'stroke="{color}"/>')
    names = [n for n, _ in lines]
    _legend(parts, names + (["offered = finalized"] if diagonal else []),
            [PALETTE[i % len(PALETTE)] for i in range(len(names))] + (["#999"] if diagonal else []))
    parts.append("</svg>")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Sections


class Writer:
    def __init__(self, report, out_dir):
        self.r, self.out_dir, self.lines, self.charts = report, out_dir, [], {}

    def add(self, *text):
        self.lines.extend(text)

    def chart(self, name, svg, alt):
        if svg is None:
            return
        self.charts[name] = svg
        self.add("", f"![{alt}](perf/{name}.svg)", "")

    def missing(self, suite):
        line = self.r.status_line(suite)
        if line:
            self.add(line, "")
        return line is not None

    def note(self, suite):
        s = self.r.suite(suite)
        if s and s.get("note"):
            self.add(f"Setup: {s['note'].rstrip('.')}.", "")


def header(w):
    r, env = w.r, w.r.env
    w.add("# BIZRA NODE0 — performance report", "",
          "<!-- Generated by bench/run_all.py and bench/perf_report.py from performance.json; do not edit by hand. -->",
          "")
    if env.get("mode") == "quick":
        w.add("> **Quick run** (`--quick`): one repetition, short steps, fewer validators. It checks that every suite "
              "runs; its figures are not the ones to publish.", "")
    w.add("This report replaces every figure of the founding document (`../shared/reference/`) with a measurement "
          "taken on the machine below, each beside the baseline that gives it meaning, and says which command "
          "produced it. Each cell is the median over the repetitions with (min–max) when they differ. Nothing in "
          "it is typed by hand: `bench/run_all.py` measures and writes `performance.json`; `bench/perf_report.py` "
          "renders this file from it.", "")
    dirty = " (uncommitted changes)" if env.get("git_dirty") else ""
    rows = [("date", env.get("date_utc")), ("command", f"`{env.get('command')}`"),
            ("mode / repetitions", f"{env.get('mode')} / {env.get('repetitions')}"),
            ("CPU", env.get("cpu_model")),
            ("cores", f"{env.get('cpus_online')} online, {env.get('cpus_usable')} usable by this process"),
            ("memory", f"{env.get('memory_gib')} GiB"), ("kernel", f"{env.get('kernel')} ({env.get('machine')})"),
            ("OS", env.get("os")), ("compiler", env.get("compiler")),
            ("build", f"{env.get('build_type')} (`{env.get('build_dir')}`)"),
            ("commit", f"`{env.get('git_commit')}`{dirty}"),
            ("load average", f"{env.get('load_average_at_start')} at start, {env.get('load_average_at_end')} at end"),
            ("total time", f"{env.get('total_seconds')} s")]
    w.add("## Environment", "", table(["", ""], rows, ["---", "---"]), "")
    rows = []
    for name, s in r.suites.items():
        status = {"ok": "measured", "failed": "**failed**", "not_measured": "not measured"}[s["status"]]
        rows.append((s["title"], status, len(s["figures"]), f"{s['seconds']:.0f} s"))
    w.add("## Suites", "", table(["suite", "status", "figures", "time"], rows, ["---", "---", "---:", "---:"]), "")


def consensus(w):
    r = w.r
    w.add("## 1. Consensus", "", "### 1.1 BlockGraph finality check (`is_finalized`)", "",
          "One lookup of a known block id, BlockGraph (lock-free reads) beside the original design "
          "(`std::shared_mutex` + `std::unordered_map`) in the same program and run. With 2 reader threads the "
          "time is wall time divided by both threads' lookups (aggregate ns per lookup). The founding document's "
          "\"0.79 ps\" timed a one-byte parity stub; this is the real lookup.", "")
    if not w.missing("consensus_graph"):
        keys = []
        for f in r.figures("consensus_graph", impl="blockgraph"):
            p = f["params"]
            keys.append((p["scenario"] != "readers only", p["scenario"], p["threads"], p["blocks"]))
        rows, groups = [], []
        for _, scenario, threads, blocks in sorted(keys):
            ours = r.one("consensus_graph", impl="blockgraph", blocks=blocks, threads=threads, scenario=scenario)
            base = r.one("consensus_graph", impl="baseline", blocks=blocks, threads=threads, scenario=scenario)
            ratio = f"{base['median'] / ours['median']:.1f}×" if ours and base else "–"
            rows.append((f"{blocks:,}", threads, scenario, cell(ours), cell(base), ratio))
            if scenario == "readers only":
                groups.append((f"{blocks:,} / {threads}t", [ours, base]))
        w.add(table(["blocks", "reader threads", "scenario", "BlockGraph ns/lookup", "baseline ns/lookup",
                     "baseline / ours"], rows, ["---:", "---:", "---", "---:", "---:", "---:"]), "")
        w.add(commands_of(r.figures("consensus_graph")[:1]))
        w.chart("blockgraph", bar_chart("is_finalized: ns per lookup (log scale; lower is better)", "ns/lookup",
                                        groups, ["BlockGraph", "baseline (shared_mutex)"], log=True),
                "BlockGraph vs baseline")

    w.add("### 1.2 Devnet: submit→final latency and finalized/s versus offered load", "",
          "Four validators (`node0 devnet`, separate processes, real TCP, RocksDB with a synced write per committed "
          "block) and the load generator `node0 load` on this one machine, sharing its CPUs. Latency is from the "
          "HTTP submit to the block holding the transaction being final, for sampled transactions.", "")
    if not w.missing("consensus_devnet"):
        w.note("consensus_devnet")
        rates = sorted({f["params"]["offered"] for f in r.figures("consensus_devnet", metric="finalized_per_s")})
        extra = r.suite("consensus_devnet")["extra"]
        per_run = lambda key, rate: ", ".join(str(v) for v in extra.get(key, {}).get(str(rate), []))
        rows = []
        for rate in rates:
            g = lambda m: r.one("consensus_devnet", offered=rate, metric=m)
            rows.append((f"{rate:,}", cell(g("accepted_per_s")), cell(g("finalized_per_s")), cell(g("p50")),
                         cell(g("p95")), cell(g("p99")), per_run("samples", rate), per_run("request_errors", rate),
                         cell(g("blocks_per_s"))))
        w.add(table(["offered tx/s", "accepted/s", "finalized/s", "p50 ms", "p95 ms", "p99 ms",
                     "latency samples per run", "request errors per run", "blocks/s"], rows), "")
        idle = r.one("consensus_devnet", offered=0, metric="blocks_per_s")
        w.add("Beyond saturation the latency percentiles cover only the sampled transactions that became final "
              "before the step's report (the sample count shows how many): the others are missing, not fast.", "",
              f"- Committed blocks/s with no load: {cell(idle)} (validator 0's `committed_height`).",
              f"- Resident memory per validator (MiB): idle {', '.join(map(str, extra.get('idle_rss_mib', [])))}; "
              f"peak over the run {', '.join(map(str, extra.get('peak_rss_mib', [])))}.",
              "", commands_of(r.figures("consensus_devnet", metric="p50")[:1]))
        fin = [(rate, r.one("consensus_devnet", offered=rate, metric="finalized_per_s")) for rate in rates]
        w.chart("devnet_throughput", line_chart("Devnet: finalized/s vs offered load", "offered tx/s", "tx/s",
                                                [("finalized/s", fin)], diagonal=True), "finalized/s vs offered")
        lat = [(p, [(rate, r.one("consensus_devnet", offered=rate, metric=p)) for rate in rates])
               for p in ("p50", "p95", "p99")]
        w.chart("devnet_latency", line_chart("Devnet: submit→final latency vs offered load (log scale)",
                                             "offered tx/s", "ms", lat, logy=True), "latency vs offered load")

    w.add("### 1.3 Simulator projections for large validator sets — **simulation**", "",
          "Not measured on a network: the deterministic simulator (`node0 sim`, docs/consensus.md §7) drives the "
          "real consensus core with modelled WAN latencies and a cheap MAC signer, in virtual time. Figures are "
          "projections of the protocol's behaviour, not of a deployment's.", "")
    if not w.missing("consensus_sim"):
        w.note("consensus_sim")
        sizes = sorted({f["params"]["validators"] for f in r.figures("consensus_sim")})
        rows = []
        for n in sizes:
            g = lambda m: r.one("consensus_sim", validators=n, metric=m)
            rows.append((f"{n:,}", cell(g("commits_per_s")), cell(g("p50")), cell(g("p99")),
                         cell(g("msgs_per_commit")), cell(g("real_seconds"))))
        w.add(table(["validators", "commits/s (virtual)", "commit latency p50 ms", "p99 ms", "messages/commit",
                     "simulator wall s"], rows), "", commands_of(r.figures("consensus_sim", metric="p50")), "")


def poi(w):
    r = w.r
    w.add("## 2. Proof-of-Impact", "", "### 2.1 Ed25519 on one core: ours beside libsodium and OpenSSL", "",
          "Same program, same run, same 32-byte-digest-sized message (`bench_crypto`).", "")
    if w.missing("poi"):
        return
    impls = [("ours", "ours"), ("libsodium", "libsodium"), ("openssl", "OpenSSL")]
    rows = []
    for op in ("sign", "verify"):
        figs = [r.one("poi", op=op, impl=i) for i, _ in impls]
        rows.append([op] + [cell(f) for f in figs] +
                    [f"{figs[0]['median'] / figs[1]['median']:.2f}" if figs[0] and figs[1] else "–"])
    w.add(table(["operations/s", "ours", "libsodium", "OpenSSL", "ours / libsodium"], rows), "")
    w.chart("ed25519", bar_chart("Ed25519 operations/s, one core (higher is better)", "ops/s",
                                 [(op, [r.one("poi", op=op, impl=i) for i, _ in impls]) for op in ("sign", "verify")],
                                 [n for _, n in impls]), "Ed25519 ours vs libsodium vs OpenSSL")
    h = [r.one("poi", op="hash_1k", impl=i) for i in ("blake3", "openssl_sha256")]
    if all(h):
        w.add(f"Hash of 1 KiB: BLAKE3 {cell(h[0])} µs, OpenSSL SHA-256 {cell(h[1])} µs.", "")
    w.add(commands_of([r.one("poi", op="sign", impl="ours")]), "")
    w.add("### 2.2 The attestation pipeline on one core", "",
          "A realistic ~1.3 KiB signed attestation: strict JSON parse, typed extraction, rules 2–9, RFC 8785 "
          "canonical form, BLAKE3 digest and the Ed25519 verification (`poi::validate`, all ten rules).", "")
    rows = [(label, cell(r.one("poi", op=op, impl="ours"))) for op, label in
            (("parse", "parse + typed extraction (rule 1), attestations/s"),
             ("verify_only", "signature verification alone, attestations/s"),
             ("pipeline", "full pipeline (rules 1–10), attestations/s"),
             ("pipeline_vs_verify", "full pipeline / verification alone (ratio)"))]
    w.add(table(["", "one core"], rows), "", commands_of([r.one("poi", op="pipeline", impl="ours")]), "")


# The founding document's ACE targets (requirements it set itself, not measurements).
ACE_TARGETS = {"success_rate": "> 95 %", "tasks_per_second": "> 200 tasks/s", "avg": "< 50 ms", "p95": "< 60 ms",
               "min": "–", "max": "–"}


def ace(w):
    r = w.r
    w.add("## 3. ACE orchestration", "",
          "The founding document's table: task success rate, throughput, average/p95/min/max latency, per agent.", "")
    s = r.suite("ace")
    if s and s["status"] == "not_measured":
        w.add(f"**{ACE_MISSING[0].upper() + ACE_MISSING[1:]}** (neither `bench_ace_mixed` nor `bench_ace` is in the "
              "build). The founding document's ACE figures (215.4 tasks/s, 48.7 ms average, 100 % of 27 tasks) have "
              "no measurement behind them here.", "")
        return
    if w.missing("ace"):
        return
    w.note("ace")
    phases = list(dict.fromkeys(f["params"]["phase"] for f in r.figures("ace", bench="mixed")))
    if phases:
        extra = s["extra"]
        tasks = extra.get("tasks", {})
        w.add("`bench_ace_mixed`: the node's real ACE runtime (six agents, engine, RocksDB task records, signed "
              "receipts) on a single-validator node; \"mix\" is the founding document's 27 tasks (5 APT, 15 AST, "
              "7 SAT), \"large\" many tasks in the same ratio; at most "
              f"{(extra.get('workers_inflight') or [None, None])[1]} tasks in flight, "
              f"{(extra.get('workers_inflight') or [None])[0]} engine workers. Latency is submission → finished.", "")
        labels = [("success_rate", "task success rate, %"), ("tasks_per_second", "throughput, tasks/s"),
                  ("avg", "average latency, ms"), ("p95", "p95 latency, ms"), ("min", "min latency, ms"),
                  ("max", "max latency, ms")]
        header = ["metric"] + [f"{p} ({', '.join(map(str, sorted(set(tasks.get(p, [])))))} tasks per run)"
                               for p in phases] + ["founding document's target"]
        rows = [[label] + [cell(r.one("ace", bench="mixed", phase=p, metric=m)) for p in phases] + [ACE_TARGETS[m]]
                for m, label in labels]
        w.add(table(header, rows), "")
        agents = extra.get("agents", {}).get(phases[-1], {})
        rows = [(a, v["tasks"][-1] if v["tasks"] else 0,
                 cell(r.one("ace", bench="mixed", phase=phases[-1], metric="agent_p95", agent=a)), fmt(v["budget_ms"]))
                for a, v in agents.items()]
        if rows:
            w.add(f"Per agent, \"{phases[-1]}\" phase: p95 of the execution time of every task the agent served "
                  "(plan steps included) beside its level's latency budget:", "",
                  table(["agent", "tasks (last run)", "p95 execution ms", "budget ms"], rows), "")
        failures = extra.get("failures", {})
        if any(f for runs in failures.values() for f in runs):
            w.add(f"Failed tasks by reason, per run: {failures}.", "")
        w.add(commands_of(r.figures("ace", bench="mixed")[:1]), "")
    micro = [f for f in s["figures"] if f["params"].get("bench") != "mixed"]
    if micro:
        benches = list(dict.fromkeys(f["params"]["bench"] for f in micro))
        metrics = list(dict.fromkeys(f["params"]["metric"] for f in micro))
        names = {"time_us": "µs per iteration", "items_per_second": "items/s"}
        rows = [[b.removesuffix("/real_time")] + [cell(r.one("ace", bench=b, metric=m)) for m in metrics]
                for b in benches]
        w.add("`bench_ace` (engine overhead per task, Google Benchmark), every benchmark and counter as the program "
              "names it:", "", table(["benchmark"] + [names.get(m, m) for m in metrics], rows), "",
              commands_of(micro[:1]), "")


def validation(w):
    r = w.r
    w.add("## 4. Validation service", "",
          "`POST /api/v1/validate/{transaction,block,address}` on a running node (local source, in-process TTL LRU "
          "cache; docs/api.md). Latency is measured by the client, per request.", "")
    if w.missing("validation"):
        return
    w.note("validation")
    rows = [(f["label"], f["unit"], cell(f)) for f in r.figures("validation")]
    extra = r.suite("validation")["extra"]
    w.add(table(["", "unit", "value"], rows, ["---", "---", "---:"]), "",
          f"On this workload about {extra.get('expected_hit_rate_pct')} % of requests repeat an earlier id of the run "
          "(computed from the pool sizes: the hit rate a correct cache reaches). Answers by "
          f"status, per run: {extra.get('status_counts')}.", "", commands_of(r.figures("validation")[:1]), "")


def storage(w):
    r = w.r
    w.add("## 5. Storage (RocksDB)", "",
          "Embedded RocksDB through the `storage::Store` interface (`bench_storage`), beside the in-memory store as "
          "the no-I/O baseline. A synced write waits for fsync on this machine's disk.", "")
    if not w.missing("storage"):
        order = ["read", "write", "batch100"]
        figs = sorted(r.figures("storage"), key=lambda f: (order.index(f["params"]["op"]), f["params"]["variant"]))
        rows = [(f["label"], cell(f)) for f in figs]
        w.add(table(["operation", "µs per operation"], rows), "", commands_of(r.figures("storage")[:1]), "")
    loaded = [f for f in r.figures("consensus_devnet", metric="blocks_per_s") if f["params"]["offered"] > 0]
    if loaded:
        best = max(loaded, key=lambda f: f["median"])
        w.add(f"Committed blocks/s, durable (each block one synced batch per validator, 4 validators on this machine): "
              f"{cell(r.one('consensus_devnet', offered=0, metric='blocks_per_s'))} with no load, {cell(best)} at "
              f"{best['params']['offered']:,} tx/s offered (section 1.2).", "")


def api(w):
    r = w.r
    w.add("## 6. HTTP API and WebSocket", "",
          "`wrk` against a 1-validator node's GET endpoints and, in the same run, nginx serving a small static file "
          "(the ceiling for an HTTP server on this machine).", "")
    if w.missing("api"):
        return
    w.note("api")
    extra = r.suite("api")["extra"]
    endpoints = list(dict.fromkeys(f["params"]["endpoint"] for f in r.figures("api") if f["params"]["endpoint"] != "/ws"))
    rows = []
    for e in endpoints:
        g = lambda m: r.one("api", endpoint=e, metric=m)
        rows.append(("nginx static file" if e == "nginx" else f"node0 GET `{e}`", cell(g("rps")), cell(g("p50")),
                     cell(g("p99")), extra.get("non2xx", {}).get(e, "–")))
    w.add(table(["server / endpoint", "requests/s", "p50 ms", "p99 ms", "non-2xx"], rows), "")
    node, nginx = r.one("api", endpoint="/health", metric="rps"), r.one("api", endpoint="nginx", metric="rps")
    if node and nginx:
        ratios = [a / b for a, b in zip(node["runs"], nginx["runs"])]
        w.add(f"node0 `/health` / nginx requests/s per round: {', '.join(f'{x:.2f}' for x in ratios)}.", "")
    w.chart("api", bar_chart("HTTP requests/s per endpoint, wrk (higher is better)", "req/s",
                             [(e if e != "nginx" else "nginx", [r.one("api", endpoint=e, metric="rps")])
                              for e in endpoints], ["requests/s"]), "requests/s per endpoint")
    ws = r.figures("api", endpoint="/ws")
    if ws:
        w.add("WebSocket `/ws` fan-out (`bench_ws_fanout`: in-process server and hub, clients in a forked process, "
              "all subscribed to `blocks`, one publisher as fast as the clients keep up):", "",
              table(["", "unit", "value"], [(f["label"], f["unit"], cell(f)) for f in ws], ["---", "---", "---:"]),
              "", commands_of(ws[:1]), "")
    w.add(commands_of(r.figures("api", endpoint="/health")[:1]), "")


def tests(w):
    r = w.r
    w.add("## 7. Tests and coverage", "")
    if w.missing("tests"):
        return
    extra = r.suite("tests")["extra"]
    run = extra.get("run")
    rows = []
    for label, v in sorted(extra.get("labels", {}).items()):
        rows.append((label, v.get("tests", 0), v.get("passed", "–"), v.get("failed", "–"), v.get("skipped", "–"),
                     v.get("seconds", "–")))
    w.add(f"{extra.get('tests_listed')} ctest tests (`{extra.get('list_command')}`); per label (a test may carry "
          "several labels):", "",
          table(["label", "tests", "passed", "failed", "skipped", "test time s"], rows), "")
    if isinstance(run, dict):
        t = run["totals"]
        w.add(f"Whole suite: {t['passed']} of {t['tests']} passed ({100 * t['passed'] / max(1, t['tests']):.1f} %), "
              f"{t['failed']} failed, {t['skipped']} skipped; {run['wall_seconds']} s wall time "
              f"(sum of test times {t['seconds']} s). Command: `{run['command']}`."
              + (f" Failed: {', '.join(run['failed'])}." if run["failed"] else ""), "")
    else:
        w.add(f"Pass rate and time: {run}.", "")
    cov = extra.get("coverage")
    if isinstance(cov, dict):
        w.add(f"Coverage of `src/` (gcovr, `make coverage` build, counters written {cov['counters_written_utc']}): "
              f"lines {fmt(cov['line_percent'])} % ({cov['lines'][0]:,} of {cov['lines'][1]:,}), branches "
              f"{fmt(cov['branch_percent'])} % ({cov['branches'][0]:,} of {cov['branches'][1]:,}; throw branches "
              f"excluded). Command: `{cov['command']}`.", "")
    else:
        w.add(f"Coverage: {cov}.", "")


# Published figures of other systems: cited, never measured here. Each is the project's own
# documentation of its finality, stated as the document states it.
PUBLISHED_FINALITY = [
    ("Bitcoin", "probabilistic: no final point; each ~10-minute block makes reversal less likely",
     "https://bitcoin.org/bitcoin.pdf"),
    ("Ethereum (proof of stake)", "\"about 15 minutes\" for a block to finalize",
     "https://ethereum.org/en/roadmap/single-slot-finality/"),
    ("Solana (Tower BFT)", "\"finalized\" once 66 %+ of stake voted and 31+ confirmed blocks are built on top "
     "(no time stated there)", "https://docs.anza.xyz/consensus/commitments"),
    ("Avalanche", "\"sub-second finality\" (probabilistic, Snow* protocols)",
     "https://build.avax.network/docs/nodes/architecture/consensus"),
    ("Polkadot", "GRANDPA finality gadget, in rounds beside BABE block production (no time stated there)",
     "https://wiki.polkadot.network/docs/learn-consensus"),
]


def comparison(w):
    r = w.r
    w.add("## 8. Comparison with the founding document and with other systems", "",
          "The founding document compared a hash-map lookup (\"23 ns finality\") with other chains' end-to-end "
          "finality, multiplied single-node rates by node counts, and compared an embedded store with networked "
          "databases. None of that is like with like. What can be compared:", "")
    lookup = r.one("consensus_graph", impl="blockgraph", blocks=1000, threads=1, scenario="readers only")
    light = None
    devnet = r.figures("consensus_devnet", metric="p50")
    if devnet:
        light = min(devnet, key=lambda f: f["params"]["offered"])
    sim100 = r.one("consensus_sim", validators=100, metric="p50")
    rows = [
        ("finality *lookup* (is this block final?)", "23 ns, \"0.79 ps\" (FFI)",
         f"{cell(lookup)} ns (BlockGraph, 1 000 blocks, 1 thread)" if lookup else "not measured",
         "a local in-memory lookup; comparable only with another in-memory lookup (the baseline in §1.1)"),
        ("finality *latency* end to end (submit → final)", "not measured (compared the lookup instead)",
         f"p50 {cell(light)} ms at {light['params']['offered']:,} tx/s offered, 4 validators on one machine"
         if light else "not measured",
         "comparable in kind with other chains' published finality times below, but ours is a single-machine "
         "devnet with no WAN latency"),
        ("finality latency at 100 validators, WAN", "–",
         f"p50 {cell(sim100)} ms (**simulation**)" if sim100 else "not measured",
         "a projection from the simulator's WAN model, not a deployment"),
        ("PoI signatures/s", "66K sign/s, 32K verify/s (one core)",
         f"{cell(r.one('poi', op='sign', impl='ours'))} sign/s, {cell(r.one('poi', op='verify', impl='ours'))} "
         "verify/s (one core)" if r.one("poi", op="sign", impl="ours") else "not measured",
         "like with like (one core); libsodium and OpenSSL in §2.1 are the baselines"),
        ("network-wide attestations/s for 100 / 1 000 nodes", "6.6M / 66M (single-node rate × nodes)", "not measured",
         "BFT replication means every validator verifies every attestation: adding validators does not add "
         "throughput. The single-machine devnet saturation is in §1.2"),
        ("databases (MySQL, PostgreSQL, Redis, Sled)", "\"43× faster reads\"", "RocksDB point reads in §5",
         "not comparable: those are client–server databases measured over a network connection (and their figures "
         "had no source); ours is an embedded store read in-process. No networked database was measured here"),
        ("TypeScript vs Rust speed-ups", "435 000× etc. (estimated)", "not measured",
         "there is no TypeScript (or Rust) implementation here to measure"),
    ]
    w.add(table(["what", "founding document", "measured here", "comparable?"], rows, ["---", "---", "---", "---"]), "")
    w.add("Published finality of other systems — **cited, not measured here**, each as its own documentation "
          "states it (a design property under its own network conditions, not a benchmark on this machine):", "",
          table(["system", "finality as published", "source"],
                [(n, f, f"<{u}>") for n, f, u in PUBLISHED_FINALITY], ["---", "---", "---"]), "")


def limits(w):
    r = w.r
    w.add("## 9. Known limits and what was not measured", "")
    items = []
    for name, s in r.suites.items():
        if s["status"] == "failed":
            items.append(f"**{s['title']}: failed** — `{s['error']}`.")
        elif s["status"] == "not_measured":
            items.append(f"{s['title']}: {s['error']}.")
    tests_extra = (r.suite("tests") or {}).get("extra", {})
    if isinstance(tests_extra.get("coverage"), str):
        items.append(f"Coverage: {tests_extra['coverage']}.")
    if isinstance(tests_extra.get("run"), str):
        items.append(f"Test pass rate and time: {tests_extra['run']}.")
    if r.env.get("mode") == "quick":
        items.append("This is a quick run: one repetition per figure, short steps, fewer validators in the simulator.")
    items += [
        "Everything runs on one machine: the devnet's four validators, the load generator, `wrk` and the servers "
        "share its CPUs, so each figure is for the whole setup, not for one component given the machine.",
        "No multi-machine network was measured; WAN behaviour comes only from the simulator (§1.3, labelled "
        "simulation).",
        "Not in this report: `POST /api/v1/poi/attestation` under wrk (`bench/api_bench.py --attestations` measures "
        "it on its own into docs/api.md; here the submit path is exercised by the devnet load), `/ace/*` latencies, "
        "WebSocket message latency (only the delivery rate), memory and disk use at scale, long-running (hours) "
        "stability.",
        "The founding document's PostgreSQL, Redis, Neo4j, Jaeger and Node.js figures concern components this "
        "implementation does not have; they are not measured because there is nothing to measure.",
        "Client-side latencies (validation service) include the Python client's own overhead (tens of µs).",
    ]
    w.add(*[f"- {i}" for i in items], "")


def appendix(w):
    w.add("## Appendix: every figure", "",
          "Each figure with its unit, every run, and the command that produced it.", "")
    for name, s in w.r.suites.items():
        if not s["figures"]:
            continue
        w.add(f"### {s['title']}", "")
        rows = [(f["label"], f["unit"], ", ".join(fmt(v) for v in f["runs"]), fmt(f["min"]), fmt(f["median"]),
                 fmt(f["max"]), f"`{f['command']}`") for f in s["figures"]]
        w.add(table(["figure", "unit", "runs", "min", "median", "max", "command"], rows,
                    ["---", "---", "---", "---:", "---:", "---:", "---"]), "")


def render(data, out_dir):
    """Returns (markdown, {chart name: svg})."""
    w = Writer(Report(data), out_dir)
    for section in (header, consensus, poi, ace, validation, storage, api, tests, comparison, limits, appendix):
        section(w)
    return "\n".join(w.lines).rstrip("\n") + "\n", w.charts


def render_files(json_path, out_dir):
    with open(json_path) as f:
        data = json.load(f)
    markdown, charts = render(data, out_dir)
    perf_dir = os.path.join(out_dir, "perf")
    os.makedirs(perf_dir, exist_ok=True)
    for name in os.listdir(perf_dir):  # charts of an earlier run that this one did not draw
        if name.endswith(".svg") and name[:-4] not in charts:
            os.remove(os.path.join(perf_dir, name))
    for name, svg in charts.items():
        with open(os.path.join(perf_dir, name + ".svg"), "w") as f:
            f.write(svg + "\n")
    md_path = os.path.join(out_dir, "PERFORMANCE.md")
    with open(md_path, "w") as f:
        f.write(markdown)
    return md_path


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", default=os.path.join(root, "docs/performance.json"))
    ap.add_argument("--out-dir", default=os.path.join(root, "docs"))
    args = ap.parse_args()
    print(f"wrote {render_files(args.json, args.out_dir)}")


if __name__ == "__main__":
    main()
