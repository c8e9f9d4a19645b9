#!/usr/bin/env python3
"""The performance report in one command: runs every benchmark suite of this repository with a
progress line per step, writes every figure (min/median/max over repeated runs, its unit and the
command that produced it) and the machine's description to performance.json, then renders
PERFORMANCE.md and its SVG charts from that file alone (bench/perf_report.py).

Suites, in the founding document's order (../shared/reference/): consensus (BlockGraph vs the
shared_mutex baseline, devnet latency/throughput curve, simulator projections), PoI (Ed25519 ours
vs libsodium vs OpenSSL, the attestation pipeline), ACE, validation service, storage, API (wrk vs
nginx, per-endpoint latency, WebSocket fan-out), tests (ctest, gcovr coverage). The existing
scripts are reused, not copied: devnet_bench.py (devnet, load), api_bench.py (nginx, wrk),
graph_table.py (naming of bench_graph's runs), scale_study.py (one simulator run).

A suite that fails is recorded as failed with its error and the run exits 1 after writing the
report; a suite whose program does not exist is recorded as "not measured" with the reason.

    bench/run_all.py [--quick] [--build-dir build/release] [--out-dir docs] [--repetitions N]
                     [--only SUITE,...]

--quick runs every suite briefly (1 repetition, short steps, fewer validators): a check that the
generator works, not figures to publish. --out-dir decides where performance.json,
PERFORMANCE.md and perf/*.svg go (CI uses a temporary directory).
"""

import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)

import api_bench  # noqa: E402  (reused: nginx, wrk)
import devnet_bench  # noqa: E402  (reused: Devnet, load)
import graph_table  # noqa: E402  (reused: names of bench_graph's runs)
import perf_report  # noqa: E402
import scale_study  # noqa: E402  (reused: one simulator run)

ACE_MISSING = "not measured: ACE runtime benchmark missing"


class SuiteError(Exception):
    """A suite could not produce its figures; the message goes into the report."""


# ---------------------------------------------------------------------------------------------
# Recording


def relative(path):
    """A path as the report shows it: relative to the repository when inside it."""
    path = os.path.abspath(path)
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


def show_command(cmd):
    return " ".join(relative(c) if os.sep in c and os.path.exists(c) else c for c in cmd)


class Suite:
    def __init__(self, name, title, run):
        self.name, self.title, self.run = name, title, run
        self.status, self.error, self.note = "ok", None, None
        self.figures = []  # dicts, in the order they were measured
        self.extra = {}    # suite-specific data the report shows (not figures: no repetitions)
        self.seconds = 0.0

    def figure(self, label, unit, runs, command, better=None, **params):
        runs = [float(r) for r in runs]
        if not runs:
            raise SuiteError(f"{label}: no measurement")
        self.figures.append({"label": label, "unit": unit, "runs": runs, "min": min(runs),
                             "median": statistics.median(runs), "max": max(runs), "command": command,
                             "better": better, "params": params})

    def to_json(self):
        return {"title": self.title, "status": self.status, "error": self.error, "note": self.note,
                "seconds": round(self.seconds, 1), "figures": self.figures, "extra": self.extra}


class Progress:
    """One line per suite and per step: overall elapsed, suite elapsed, what is running."""

    def __init__(self, total):
        self.start, self.total, self.index, self.suite_start, self.name = time.time(), total, 0, 0.0, ""

    def begin(self, name, title):
        self.index += 1
        self.name, self.suite_start = name, time.time()
        self.line(f"[{self.index}/{self.total}] {title}")

    def step(self, what):
        self.line(f"    {self.name}: {what} (+{time.time() - self.suite_start:.1f} s)")

    def line(self, text):
        print(f"{time.time() - self.start:7.1f} s  {text}", flush=True)


class Context:
    def __init__(self, args, progress):
        self.args, self.progress = args, progress
        self.quick, self.reps = args.quick, args.repetitions
        self.build = os.path.abspath(args.build_dir)
        self.node0 = os.path.join(self.build, "apps/node0/node0")

    def bench(self, name):
        return os.path.join(self.build, "bench", name)

    def require(self, *paths):
        for p in paths:
            if not os.access(p, os.X_OK):
                raise SuiteError(f"{relative(p)} is not built (cmake --build {relative(self.build)} "
                                 f"--target {os.path.basename(p)})")


# ---------------------------------------------------------------------------------------------
# Helpers


def free_port(count=1):
    """The first of `count` consecutive free 127.0.0.1 ports (checked by binding them)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count >= 65535:
            continue
        socks = []
        try:
            for i in range(count):
                t = socket.socket()
                socks.append(t)
                t.bind(("127.0.0.1", base + i))
            return base
        except OSError:
            continue
        finally:
            for t in socks:
                t.close()
    raise SuiteError("no free ports")


def run_cmd(cmd, timeout, **kw):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        raise SuiteError(f"`{show_command(cmd)}` ran past {timeout} s")
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip()[-600:]
        raise SuiteError(f"`{show_command(cmd)}` exited {out.returncode}: {tail}")
    return out.stdout


def gbench(ctx, binary, filter_regex=None, min_time=None, extra=(), timeout=1200):
    """Runs a Google Benchmark program; returns ({run_name: [iteration runs]}, command)."""
    ctx.require(binary)
    cmd = [binary, f"--benchmark_repetitions={ctx.reps}", "--benchmark_format=json"]
    if ctx.reps > 1:
        cmd.append("--benchmark_enable_random_interleaving=true")
    if filter_regex:
        cmd.append(f"--benchmark_filter={filter_regex}")
    if min_time:
        cmd.append(f"--benchmark_min_time={min_time}")
    cmd += list(extra)
    data = json.loads(run_cmd(cmd, timeout))
    runs = {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        if b.get("error_occurred"):
            raise SuiteError(f"{b['run_name']}: {b.get('error_message')}")
        runs.setdefault(b["run_name"], []).append(b)
    if not runs:
        raise SuiteError(f"`{show_command(cmd)}` ran no benchmark")
    return runs, show_command(cmd)


def ns(b):
    return b["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]


def quick_min_time(ctx):
    return "0.05" if ctx.quick else None


def http_json(url, timeout=3, body=None):
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"} if body else {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def drain_output(proc):
    """Reads a child's stdout to its end in the background, so its pipe never fills."""
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()


class SingleNode:
    """A 1-validator `node0 devnet` in a directory (kept across restarts: the chain survives,
    in-process caches do not)."""

    def __init__(self, ctx, workdir):
        self.ctx, self.dir = ctx, os.path.join(workdir, "devnet")
        self.p2p, self.api = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.api}"
        self.proc = None

    def command(self, shown=False):
        """The devnet's command line; `shown` for the report (no temporary paths or ports)."""
        if shown:
            return "node0 devnet --validators 1 --dir <temporary directory>"
        return [self.ctx.node0, "devnet", "--validators", "1", "--dir", self.dir, "--p2p-port", str(self.p2p),
                "--api-port", str(self.api)]

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        log_path = os.path.join(os.path.dirname(self.dir), "devnet.log")
        with open(log_path, "a") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/health", timeout=1).read()
                break
            except Exception:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                with open(log_path) as f:
                    tail = f.read()[-500:].strip()
                why = f"exited {self.proc.returncode}" if self.proc.poll() is not None else "did not answer in 30 s"
                raise SuiteError(f"`{self.command(shown=True)}` {why}: {tail}")
            time.sleep(0.2)
        deadline = time.time() + 30
        while self.height() < 1 and time.time() < deadline:
            time.sleep(0.2)

    def height(self):
        try:
            return http_json(self.url + "/api/v1/consensus/status")["committed_height"]
        except Exception:
            return 0

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


# ---------------------------------------------------------------------------------------------
# Environment


def read_first(path, pattern):
    try:
        with open(path) as f:
            for line in f:
                m = re.match(pattern, line)
                if m:
                    return m.group(1).strip()
    except OSError:
        pass
    return None


def environment(ctx, argv):
    cache = os.path.join(ctx.build, "CMakeCache.txt")
    compiler = read_first(cache, r"CMAKE_CXX_COMPILER:\w+=(.*)")
    compiler_version = None
    if compiler:
        try:
            compiler_version = subprocess.run([compiler, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            compiler_version = compiler
    git = lambda *a: subprocess.run(["git", "-C", ROOT, *a], capture_output=True, text=True).stdout.strip()
    mem_kib = read_first("/proc/meminfo", r"MemTotal:\s+(\d+)")
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cpu_model": read_first("/proc/cpuinfo", r"model name\s*:\s*(.*)") or platform.processor() or "unknown",
        "cpus_online": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "memory_gib": round(int(mem_kib) / 1024 / 1024, 1) if mem_kib else None,
        "kernel": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "os": read_first("/etc/os-release", r'PRETTY_NAME="?([^"]*)"?') or "unknown",
        "compiler": compiler_version,
        "build_type": read_first(cache, r"CMAKE_BUILD_TYPE:\w+=(.*)"),
        "build_dir": relative(ctx.build),
        "git_commit": git("rev-parse", "HEAD") or "unknown",
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "mode": "quick" if ctx.quick else "full",
        "repetitions": ctx.reps,
        "command": "bench/run_all.py " + " ".join(argv),
    }


# ---------------------------------------------------------------------------------------------
# Consensus


def suite_graph(ctx, s):
    """BlockGraph::is_finalized vs the shared_mutex + unordered_map baseline (bench_graph)."""
    # Quick: readers only; full: also the concurrent-writer scenarios.
    regex = "BM_Read<" if ctx.quick else None
    ctx.progress.step("bench_graph")
    runs, cmd = gbench(ctx, ctx.bench("bench_graph"), regex, quick_min_time(ctx))
    for name, bs in runs.items():
        impl, (blocks, threads, scenario) = graph_table.scenario(name)
        s.figure(f"{'BlockGraph' if impl == 'Ours' else 'baseline'} is_finalized, {blocks:,} blocks, "
                 f"{threads} reader thread(s), {scenario}", "ns/lookup", [ns(b) for b in bs], cmd, "lower",
                 impl="blockgraph" if impl == "Ours" else "baseline", blocks=blocks, threads=threads, scenario=scenario)


def suite_devnet(ctx, s):
    """4-validator devnet on this machine, loaded by `node0 load` at several offered rates."""
    ctx.require(ctx.node0)
    if ctx.quick:
        ladder, seconds = [200, 1000], 2.0
    else:
        ladder, seconds = [100, 250, 500, 1000, 1500, 2000, 3000, 4000], 6.0
    s.note = (f"attestations (signed, verified by every validator); offered rates {', '.join(map(str, ladder))}/s, "
              f"{seconds:g} s each, {ctx.reps} repetition(s) per rate"
              + ("; quick mode: 2 rates, 2 s steps, 1 repetition — a smoke test, not a measurement to publish"
                 if ctx.quick else ""))
    base = free_port(8)
    ctx.progress.step("starting node0 devnet --validators 4 --bench")
    try:
        net = devnet_bench.Devnet(ctx.node0, base, base + 4)
    except SystemExit as e:
        raise SuiteError(f"devnet did not start: {e}")
    drain_output(net.proc)
    devnet_cmd = "node0 devnet --validators 4 --bench --dir <temporary directory>"
    try:
        deadline = time.time() + 60
        while net.height() < 3 and time.time() < deadline:
            time.sleep(0.2)
        if net.height() < 3:
            raise SuiteError("the devnet committed no blocks within 60 s")
        time.sleep(2)
        idle = []
        for _ in range(ctx.reps):
            h0, t0 = net.height(), time.time()
            time.sleep(2 if ctx.quick else 4)
            idle.append((net.height() - h0) / (time.time() - t0))
        s.figure("committed blocks/s, no load (each block one synced RocksDB batch per validator)", "blocks/s",
                 idle, f"{devnet_cmd}; committed_height of validator 0 over {2 if ctx.quick else 4} s",
                 "higher", metric="blocks_per_s", offered=0)
        s.extra["idle_rss_mib"] = [round(devnet_bench.rss_kib(p, "VmRSS") / 1024, 1) for p in net.pids]
        for rate in ladder:
            batch = max(1, min(50, rate // 20))
            sample_every = max(1, int(rate * seconds) // 300)
            load_cmd = (f"node0 load --rate {rate} --duration {seconds:g} --batch {batch} --sample-every "
                        f"{sample_every} --json --target <each of the 4 validators> (devnet: {devnet_cmd})")
            reports, blocks = [], []
            for rep in range(ctx.reps):
                ctx.progress.step(f"offered {rate}/s, run {rep + 1}/{ctx.reps}")
                h0, t0 = net.height(), time.time()
                try:
                    reports.append(devnet_bench.load(ctx.node0, net, rate, seconds, False, batch, sample_every))
                except SystemExit as e:
                    raise SuiteError(f"node0 load at {rate}/s failed: {e}")
                blocks.append((net.height() - h0) / (time.time() - t0))
            common = dict(offered=rate)
            s.figure(f"finalized/s at {rate}/s offered", "tx/s", [r["finalized_per_s"] for r in reports], load_cmd,
                     "higher", metric="finalized_per_s", **common)
            s.figure(f"accepted/s at {rate}/s offered", "tx/s", [r["accepted_per_s"] for r in reports], load_cmd,
                     "higher", metric="accepted_per_s", **common)
            for p in ("p50", "p95", "p99"):
                s.figure(f"submit→final latency {p} at {rate}/s offered", "ms",
                         [r["latency_ms"][p] for r in reports], load_cmd, "lower", metric=p, **common)
            s.figure(f"committed blocks/s at {rate}/s offered (load and drain)", "blocks/s", blocks,
                     load_cmd + "; committed_height of validator 0 before and after", "higher",
                     metric="blocks_per_s", **common)
            s.extra.setdefault("samples", {})[str(rate)] = [r["latency_ms"]["samples"] for r in reports]
            s.extra.setdefault("request_errors", {})[str(rate)] = [r["request_errors"] for r in reports]
        s.extra["peak_rss_mib"] = [round(devnet_bench.rss_kib(p, "VmHWM") / 1024, 1) for p in net.pids]
    finally:
        net.stop()


def suite_sim(ctx, s):
    """Simulator projections (virtual time, WAN model) for large validator sets."""
    ctx.require(ctx.node0)
    sizes, duration = ([16, 100], 5000) if ctx.quick else ([100, 1000], 20000)
    s.note = (f"simulation (deterministic simulator driving the real consensus core; virtual time, WAN latency "
              f"model, MAC signer), {duration / 1000:g} s of virtual time, seeds 1–{ctx.reps}"
              + (f"; quick mode: {sizes[0]} and {sizes[1]} validators instead of 100 and 1 000" if ctx.quick else ""))
    for n in sizes:
        results = []
        for seed in range(1, ctx.reps + 1):
            ctx.progress.step(f"node0 sim --validators {n} --latency wan, seed {seed}")
            try:
                _, r = scale_study.run_one(ctx.node0, n, "wan", 0, seed, duration)
            except RuntimeError as e:
                raise SuiteError(str(e))
            if not r["ok"]:
                raise SuiteError(f"invariant violated: {r['command']}: {r['violation']}")
            results.append(r)
        cmd = (f"node0 sim --seed 1..{ctx.reps} --validators {n} --latency wan --duration {duration} "
               "--signer mac --json")
        s.figure(f"{n} validators: commits/s", "commits/s", [r["commits"] / (r["virtual_ms"] / 1000) for r in results],
                 cmd, "higher", validators=n, metric="commits_per_s")
        s.figure(f"{n} validators: commit latency p50", "ms", [r["commit_latency_p50_ms"] for r in results], cmd,
                 "lower", validators=n, metric="p50")
        s.figure(f"{n} validators: commit latency p99", "ms", [r["commit_latency_p99_ms"] for r in results], cmd,
                 "lower", validators=n, metric="p99")
        s.figure(f"{n} validators: messages per commit", "msgs", [r["messages_per_commit"] for r in results], cmd,
                 "lower", validators=n, metric="msgs_per_commit")
        s.figure(f"{n} validators: simulator wall time", "s", [r["real_seconds"] for r in results], cmd, None,
                 validators=n, metric="real_seconds")


# ---------------------------------------------------------------------------------------------
# PoI


def suite_poi(ctx, s):
    """Ed25519 sign/verify: ours vs libsodium vs OpenSSL (bench_crypto); attestation pipeline (bench_poi)."""
    ctx.progress.step("bench_crypto (Ed25519, BLAKE3 vs SHA-256)")
    regex = "BM_Ed25519|BM_Blake3/1024|BM_OpenSSL_SHA256/1024"
    runs, cmd = gbench(ctx, ctx.bench("bench_crypto"), regex, quick_min_time(ctx))
    for name, bs in runs.items():
        m = re.match(r"BM_Ed25519_(Sign|Verify)_(Ours|Libsodium|OpenSSL)$", name)
        if m:
            op, impl = m.group(1).lower(), {"Ours": "ours", "Libsodium": "libsodium", "OpenSSL": "openssl"}[m.group(2)]
            s.figure(f"Ed25519 {op}, {impl}, one core", "ops/s", [1e9 / ns(b) for b in bs], cmd, "higher",
                     op=op, impl=impl)
        elif name.startswith(("BM_Blake3/", "BM_OpenSSL_SHA256/")):
            impl = "blake3" if name.startswith("BM_Blake3") else "openssl_sha256"
            s.figure(f"{'BLAKE3' if impl == 'blake3' else 'OpenSSL SHA-256'} of 1 KiB, one core", "µs",
                     [ns(b) / 1000 for b in bs], cmd, "lower", op="hash_1k", impl=impl)
    ctx.progress.step("bench_poi (attestation pipeline)")
    runs, cmd = gbench(ctx, ctx.bench("bench_poi"), "BM_FullPipeline|BM_Ed25519Verify|BM_PipelineVsVerify|BM_ParseTyped",
                       quick_min_time(ctx))
    names = {"BM_FullPipeline": "pipeline", "BM_Ed25519Verify": "verify_only", "BM_ParseTyped": "parse"}
    for name, bs in runs.items():
        if name in names:
            s.figure(f"attestation {names[name].replace('_', ' ')}, one core", "attestations/s",
                     [1e9 / ns(b) for b in bs], cmd, "higher", op=names[name], impl="ours")
        elif name == "BM_PipelineVsVerify":
            s.figure("full pipeline / verification alone (throughput ratio, same thread, interleaved)", "ratio",
                     [b["pipeline_vs_verify"] for b in bs], cmd, "higher", op="pipeline_vs_verify", impl="ours")


# ---------------------------------------------------------------------------------------------
# ACE


def suite_ace(ctx, s):
    """The ACE runtime: bench_ace_mixed (the founding document's task mix on a real node) and
    bench_ace (engine overhead, Google Benchmark), each when the build has it."""
    mixed, micro = ctx.bench("bench_ace_mixed"), ctx.bench("bench_ace")
    if not os.path.exists(mixed) and not os.path.exists(micro):
        s.status, s.error = "not_measured", ACE_MISSING
        return
    missing = [os.path.basename(p) for p in (mixed, micro) if not os.path.exists(p)]
    if missing:
        s.note = f"{', '.join(missing)} not in this build: its figures are missing"
    if os.path.exists(mixed):
        ace_mixed(ctx, s, mixed)
    if os.path.exists(micro):
        ctx.progress.step("bench_ace")
        runs, cmd = gbench(ctx, micro, None, quick_min_time(ctx))
        for name, bs in runs.items():
            s.figure(f"{name}: time per iteration", "µs", [ns(b) / 1000 for b in bs], cmd, "lower",
                     bench=name, metric="time_us")
            if "items_per_second" in bs[0]:
                s.figure(f"{name}: items/s", "items/s", [b["items_per_second"] for b in bs], cmd, "higher",
                         bench=name, metric="items_per_second")
            # User counters as the program names them.
            fixed = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads", "iterations",
                     "real_time", "cpu_time", "time_unit", "family_index", "per_family_instance_index",
                     "items_per_second", "bytes_per_second", "label", "aggregate_name", "aggregate_unit"}
            for key in bs[0]:
                if key not in fixed and isinstance(bs[0][key], (int, float)):
                    s.figure(f"{name}: {key}", "", [b[key] for b in bs], cmd, None, bench=name, metric=key)


def ace_mixed(ctx, s, binary):
    """bench_ace_mixed --json: per phase ("mix": the 27-task mix; "large": N tasks in its ratio)
    success rate, tasks/s, end-to-end latency; per agent the p95 execution time vs its budget."""
    tasks, mix_runs = (300, 1) if ctx.quick else (10000, 5)
    cmd = [binary, "--json", "--tasks", str(tasks), "--mix-runs", str(mix_runs)]
    phases = {}
    for rep in range(ctx.reps):
        ctx.progress.step(f"bench_ace_mixed --tasks {tasks} --mix-runs {mix_runs}, run {rep + 1}/{ctx.reps}")
        out = json.loads(run_cmd(cmd + ["--seed", str(rep + 1)], 1200).strip().splitlines()[-1])
        s.extra.setdefault("workers_inflight", [out.get("workers"), out.get("inflight")])
        for r in out["runs"]:
            phases.setdefault(r["phase"], []).append(r)
    shown = show_command(cmd) + " --seed 1.." + str(ctx.reps)
    for phase, rs in phases.items():
        p = dict(bench="mixed", phase=phase)
        s.figure(f"{phase}: task success rate", "%", [100 * r["success_rate"] for r in rs], shown, "higher",
                 metric="success_rate", **p)
        s.figure(f"{phase}: throughput", "tasks/s", [r["tasks_per_second"] for r in rs], shown, "higher",
                 metric="tasks_per_second", **p)
        for k in ("avg", "p95", "min", "max"):
            s.figure(f"{phase}: end-to-end latency {k}", "ms", [r["latency_ms"][k] for r in rs], shown, "lower",
                     metric=k, **p)
        for agent in rs[-1].get("agents", {}):
            values = [r["agents"][agent]["p95_ms"] for r in rs if r["agents"].get(agent, {}).get("tasks")]
            if values:
                s.figure(f"{phase}: {agent} p95 execution time", "ms", values, shown, "lower", metric="agent_p95",
                         agent=agent, **p)
            s.extra.setdefault("agents", {}).setdefault(phase, {})[agent] = {
                "tasks": [r["agents"][agent]["tasks"] for r in rs], "budget_ms": rs[-1]["agents"][agent]["budget_ms"]}
        s.extra.setdefault("tasks", {})[phase] = [r["tasks"] for r in rs]
        s.extra.setdefault("failures", {})[phase] = [r.get("failures", {}) for r in rs]


# ---------------------------------------------------------------------------------------------
# Validation service


def suite_validation(ctx, s):
    """POST /api/v1/validate/{transaction,block,address} on a 1-validator devnet node."""
    ctx.require(ctx.node0)
    requests = 500 if ctx.quick else 3000
    workdir = tempfile.mkdtemp(prefix="bizra-perf-validation-")
    node = SingleNode(ctx, workdir)
    try:
        ctx.progress.step("starting a 1-validator devnet, 3 s of attestations to validate")
        node.start()
        run_cmd([ctx.node0, "load", "--target", node.url, "--rate", "200", "--duration", "3", "--batch", "10",
                 "--json"], 120)
        time.sleep(1)
        pools = known_ids(node)
        rng = random.Random(8)
        for kind, weight in KIND_WEIGHTS.items():
            # Unknown ids: as many as the draws expected to go to them, so that about 1/e of
            # those draws repeat an earlier one (no hit rate is built in by a tiny pool).
            draws = round(requests * weight / 100 / 2)
            prefix = "ed25519:" if kind == "address" else ""
            pools[kind][1] = [f"{prefix}{rng.getrandbits(256):064x}" for _ in range(max(1, draws))]
        expected = expected_hit_rate(pools, requests)
        s.note = (f"workload per run: {requests} sequential requests on one keep-alive connection (Python client, "
                  "its overhead included); each picks the kind (40 % transaction, 40 % block, 20 % address), then "
                  "with probability 1/2 an id known to the chain (final; "
                  + ", ".join(f"{len(k)} {kind} ids" for kind, (k, _) in pools.items()) + ") or else one of "
                  + ", ".join(f"{len(u)} random unknown {kind} ids" for kind, (_, u) in pools.items())
                  + ", uniformly; the node restarts before each run (empty cache), so a hit is a repeat within the "
                  "run. Node: `" + node.command(shown=True) + "` with 3 s of `node0 load --rate 200` before")
        lat = {"p50": [], "p95": [], "p99": []}
        hits, errors, server_hits = [], [], []
        for rep in range(ctx.reps):
            ctx.progress.step(f"{requests} validation requests, run {rep + 1}/{ctx.reps}")
            if rep > 0:
                node.stop()
                node.start()
            r = validation_workload(node, pools, requests, random.Random(rep + 1))
            for p in lat:
                lat[p].append(r[p])
            hits.append(r["hit_rate"])
            errors.append(r["error_rate"])
            server_hits.append(r["server_hit_rate"])
            s.extra.setdefault("status_counts", []).append(r["status_counts"])
        cmd = "bench/run_all.py validation workload (see the note) against " + node.command(shown=True)
        for p in lat:
            s.figure(f"latency {p}", "ms", lat[p], cmd, "lower", metric=p)
        s.figure("cache hit rate (answers marked cached, client side)", "%", hits, cmd, "higher", metric="hit_rate")
        s.figure("cache hit rate (bizra_cache_hit_rate from the node's /metrics)", "%", server_hits,
                 cmd + "; GET /metrics", "higher", metric="server_hit_rate")
        s.figure("error rate (non-200 answers and failed requests)", "%", errors, cmd, "lower", metric="error_rate")
        s.extra["expected_hit_rate_pct"] = round(100 * expected, 1)
    finally:
        node.stop()
        shutil.rmtree(workdir, ignore_errors=True)


KIND_WEIGHTS = {"transaction": 40, "block": 40, "address": 20}


def expected_hit_rate(pools, requests):
    """Expected fraction of requests that repeat an earlier id of the run (what a correct cache
    answers from memory): per pool, draws minus the expected number of distinct ids drawn."""
    repeats = 0.0
    for kind, weight in KIND_WEIGHTS.items():
        for ids in pools[kind]:
            draws, m = requests * weight / 100 / 2, len(ids)
            repeats += draws - m * (1 - (1 - 1 / m) ** draws)
    return repeats / requests


def known_ids(node):
    """Transaction and block ids from the newest blocks, and the validators' keys."""
    txs, blocks = [], []
    height = node.height()
    while height > 0 and (len(txs) < 50 or len(blocks) < 50):
        b = http_json(f"{node.url}/api/v1/consensus/block/{height}")
        if len(blocks) < 50:
            blocks.append(b["id"])
        txs.extend(b.get("transactions", [])[: 50 - len(txs)])
        height -= 1
    if not txs:
        raise SuiteError("the devnet committed no transaction to validate")
    keys = re.findall(r'"(ed25519:[0-9a-f]{64})"', json.dumps(http_json(f"{node.url}/api/v1/validators")))
    if not keys:
        raise SuiteError("GET /api/v1/validators named no ed25519 key to validate")
    return {"transaction": [txs, []], "block": [blocks, []], "address": [sorted(set(keys)), []]}


def validation_workload(node, pools, requests, rng):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", node.api, timeout=10)
    latencies, cached, failed, status_counts = [], 0, 0, {}
    for _ in range(requests):
        kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        ref = rng.choice(pools[kind][rng.randrange(2)])
        body = json.dumps({"address": ref} if kind == "address" else {"id": ref})
        start = time.perf_counter()
        try:
            conn.request("POST", f"/api/v1/validate/{kind}", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            payload = resp.read()
            latencies.append((time.perf_counter() - start) * 1000)
            if resp.status != 200:
                failed += 1
                status_counts[str(resp.status)] = status_counts.get(str(resp.status), 0) + 1
                continue
            answer = json.loads(payload)
            cached += bool(answer.get("cached"))
            key = answer.get("status", "?")
            status_counts[key] = status_counts.get(key, 0) + 1
        except (OSError, http.client.HTTPException, ValueError):
            failed += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", node.api, timeout=10)
    conn.close()
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, max(0, int(round(p / 100 * len(latencies) + 0.5)) - 1))]
    metrics = urllib.request.urlopen(node.url + "/metrics", timeout=3).read().decode()
    m = re.search(r"^bizra_cache_hit_rate\s+([0-9.eE+-]+)", metrics, re.M)
    if not latencies:
        raise SuiteError("no validation request got an answer")
    return {"p50": pct(50), "p95": pct(95), "p99": pct(99), "hit_rate": 100 * cached / requests,
            "error_rate": 100 * failed / requests, "server_hit_rate": 100 * float(m.group(1)) if m else float("nan"),
            "status_counts": status_counts}


# ---------------------------------------------------------------------------------------------
# Storage


def suite_storage(ctx, s):
    """RocksDB point reads and writes, synced and unsynced (bench_storage)."""
    ctx.progress.step("bench_storage")
    runs, cmd = gbench(ctx, ctx.bench("bench_storage"), None, quick_min_time(ctx))
    names = {"BM_PointReadHot_RocksDB": ("point read (hot), RocksDB", "read", "rocksdb"),
             "BM_PointReadHot_Memory": ("point read, in-memory store (baseline)", "read", "memory"),
             "BM_PointWrite/0": ("point write, unsynced", "write", "nosync"),
             "BM_PointWrite/1": ("point write, synced (fsync per write)", "write", "sync"),
             "BM_Batch100Synced": ("100-key batch, synced (per batch)", "batch100", "sync")}
    for name, bs in runs.items():
        if name not in names:
            raise SuiteError(f"bench_storage: unknown benchmark {name} (run_all.py needs updating)")
        label, op, variant = names[name]
        s.figure(label, "µs", [ns(b) / 1000 for b in bs], cmd, "lower", op=op, variant=variant)


# ---------------------------------------------------------------------------------------------
# API


API_ENDPOINTS = ["/health", "/ready", "/metrics", "/api/v1/consensus/status", "/api/v1/validators",
                 "/api/v1/consensus/block/1"]


def suite_api(ctx, s):
    """wrk: node0 GET endpoints beside nginx serving a static file; WebSocket fan-out."""
    ctx.require(ctx.node0, ctx.bench("bench_ws_fanout"))
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            raise SuiteError(f"{tool} is not installed (scripts/setup.sh installs wrk and nginx-light)")
    seconds, connections = (1, 32) if ctx.quick else (5, 32)
    workdir = tempfile.mkdtemp(prefix="bizra-perf-api-")
    os.chmod(workdir, 0o755)  # nginx workers run as www-data and must read the file
    nginx_port = free_port()
    node = SingleNode(ctx, workdir)
    nginx = None
    try:
        ctx.progress.step("starting nginx and a 1-validator devnet")
        nginx = api_bench.start_nginx(nginx_port, workdir)
        node.start()
        s.note = (f"wrk -t1 -c{connections} -d{seconds}s --latency per endpoint and round; one server thread each "
                  f"(node0 api.threads 1, nginx worker_processes 1); node: `{node.command(shown=True)}`; "
                  f"{os.cpu_count()} CPUs shared by wrk, the server and the node's consensus")
        results = {path: [] for path in ["nginx"] + API_ENDPOINTS}
        for rep in range(ctx.reps):
            ctx.progress.step(f"wrk round {rep + 1}/{ctx.reps}")
            for path in results:
                url = f"http://127.0.0.1:{nginx_port}/health.json" if path == "nginx" else node.url + path
                results[path].append(api_bench.wrk(url, seconds, connections))
        for path, rs in results.items():
            target = "nginx static file (health.json)" if path == "nginx" else f"node0 GET {path}"
            cmd = f"wrk -t1 -c{connections} -d{seconds}s --latency <{'nginx' if path == 'nginx' else 'node'}>{path if path != 'nginx' else '/health.json'}"
            s.figure(f"{target}: requests/s", "req/s", [r["rps"] for r in rs], cmd, "higher", endpoint=path, metric="rps")
            s.figure(f"{target}: latency p50", "ms", [r["p50"] for r in rs], cmd, "lower", endpoint=path, metric="p50")
            s.figure(f"{target}: latency p99", "ms", [r["p99"] for r in rs], cmd, "lower", endpoint=path, metric="p99")
            s.extra.setdefault("non2xx", {})[path] = sum(r["non2xx"] for r in rs)
    finally:
        node.stop()
        if nginx is not None:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    websocket_fanout(ctx, s)


def websocket_fanout(ctx, s):
    clients, seconds = (1000, 1) if ctx.quick else (10000, 3)
    cmd = [ctx.bench("bench_ws_fanout"), "--clients", str(clients), "--seconds", str(seconds), "--threads", "2"]
    held, rate, rss = [], [], []
    for rep in range(ctx.reps):
        ctx.progress.step(f"bench_ws_fanout --clients {clients}, run {rep + 1}/{ctx.reps}")
        out = run_cmd(cmd, 300)
        m_held = re.search(r"connections held\s+(\d+)", out)
        m_rate = re.search(r"delivered\s+([\d.]+) messages/s", out)
        m_rss = re.search(r"RSS per idle conn\s+([\d.]+) KiB", out)
        if not (m_held and m_rate and m_rss):
            raise SuiteError(f"unexpected bench_ws_fanout output: {out[-400:]}")
        held.append(int(m_held.group(1)))
        rate.append(float(m_rate.group(1)))
        rss.append(float(m_rss.group(1)))
    shown = show_command(cmd)
    s.figure(f"WebSocket connections held ({clients} clients asked)", "connections", held, shown, "higher",
             endpoint="/ws", metric="connections")
    s.figure("WebSocket messages delivered/s (sum over clients)", "msgs/s", rate, shown, "higher",
             endpoint="/ws", metric="msgs_per_s")
    s.figure("WebSocket server RSS per idle connection", "KiB", rss, shown, "lower", endpoint="/ws",
             metric="rss_per_conn")


# ---------------------------------------------------------------------------------------------
# Tests


def suite_tests(ctx, s):
    """ctest: tests per label; in the full run also pass rate and time, and gcovr coverage."""
    ctx.progress.step("ctest --show-only=json-v1")
    listing = json.loads(run_cmd(["ctest", "--test-dir", ctx.build, "--show-only=json-v1"], 600))
    labels = {}
    for t in listing.get("tests", []):
        names = [p["value"] for p in t.get("properties", []) if p.get("name") == "LABELS"]
        for label in (names[0] if names else None) or ["(none)"]:
            labels.setdefault(label, {"tests": 0})["tests"] += 1
    s.extra["tests_listed"] = len(listing.get("tests", []))
    s.extra["labels"] = labels
    s.extra["list_command"] = f"ctest --test-dir {relative(ctx.build)} --show-only=json-v1"
    if ctx.quick:
        s.extra["run"] = "not run in quick mode (the quick run is itself part of the test suite)"
    else:
        run_ctest(ctx, s, labels)
    coverage(ctx, s)


def run_ctest(ctx, s, labels):
    junit = os.path.join(tempfile.mkdtemp(prefix="bizra-perf-ctest-"), "junit.xml")
    cmd = ["ctest", "--test-dir", ctx.build, "-j2", "-LE", "^bench$", "--timeout", "600", "--output-junit", junit]
    ctx.progress.step("ctest, the whole suite but the bench label")
    start = time.time()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - start
    if not os.path.exists(junit):
        raise SuiteError(f"ctest wrote no JUnit report (exit {done.returncode}): {done.stdout[-400:]}")
    by_name = {t["name"]: [p["value"] for p in t.get("properties", []) if p.get("name") == "LABELS"] for t in
               json.loads(run_cmd(["ctest", "--test-dir", ctx.build, "--show-only=json-v1"], 600))["tests"]}
    totals = {"tests": 0, "passed": 0, "failed": 0, "skipped": 0, "seconds": 0.0}
    failed = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name")
        status = case.get("status") or ("fail" if case.find("failure") is not None else "run")
        outcome = "skipped" if status in ("disabled", "notrun") or case.find("skipped") is not None else (
            "failed" if case.find("failure") is not None or status == "fail" else "passed")
        secs = float(case.get("time") or 0)
        for label in (by_name.get(name) or [[]])[0] or ["(none)"]:
            entry = labels.setdefault(label, {"tests": 0})
            entry[outcome] = entry.get(outcome, 0) + 1
            entry["seconds"] = round(entry.get("seconds", 0) + secs, 1)
        totals["tests"] += 1
        totals[outcome] += 1
        totals["seconds"] += secs
        if outcome == "failed":
            failed.append(name)
    totals["seconds"] = round(totals["seconds"], 1)
    shown = show_command(cmd[:-1]) + " <temporary file>"
    s.extra["run"] = {"command": shown, "wall_seconds": round(wall, 1), "exit_code": done.returncode,
                      "totals": totals, "failed": failed[:50]}
    if totals["tests"]:
        s.figure("tests passed", "%", [100 * totals["passed"] / totals["tests"]], shown, "higher", metric="pass_rate")
        s.figure("whole suite wall time (ctest -j2)", "s", [wall], shown, "lower", metric="wall")


def coverage(ctx, s):
    cov = os.path.join(ROOT, "build/coverage")
    gcda = [os.path.join(d, f) for d, _, fs in os.walk(cov) for f in fs if f.endswith(".gcda")] if os.path.isdir(cov) else []
    if ctx.quick:
        s.extra["coverage"] = "not measured (quick mode)"
        return
    if not gcda:
        s.extra["coverage"] = "not measured (no coverage build: run `make coverage` first)"
        return
    out_json = os.path.join(tempfile.mkdtemp(prefix="bizra-perf-cov-"), "summary.json")
    cmd = ["gcovr", "--root", ROOT, "--filter", os.path.join(ROOT, "src/"), "--object-directory", cov,
           "--exclude-throw-branches", "--exclude-directories", "build/coverage/CMakeFiles",
           "--json-summary", out_json]
    ctx.progress.step("gcovr --json-summary over build/coverage")
    run_cmd(cmd, 900, cwd=ROOT)
    with open(out_json) as f:
        summary = json.load(f)
    newest = max(os.path.getmtime(p) for p in gcda)
    s.extra["coverage"] = {
        "command": "gcovr --root . --filter src/ --object-directory build/coverage --exclude-throw-branches "
                   "--json-summary <file> (over the counters of the last make coverage)",
        "line_percent": summary.get("line_percent"), "branch_percent": summary.get("branch_percent"),
        "lines": [summary.get("line_covered"), summary.get("line_total")],
        "branches": [summary.get("branch_covered"), summary.get("branch_total")],
        "counters_written_utc": datetime.datetime.fromtimestamp(newest, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# ---------------------------------------------------------------------------------------------

SUITES = [
    ("consensus_graph", "Consensus: BlockGraph finality check", suite_graph),
    ("consensus_devnet", "Consensus: devnet submit→final latency and throughput", suite_devnet),
    ("consensus_sim", "Consensus: simulator projections (WAN model)", suite_sim),
    ("poi", "Proof-of-Impact: signatures and the attestation pipeline", suite_poi),
    ("ace", "ACE orchestration", suite_ace),
    ("validation", "Validation service", suite_validation),
    ("storage", "Storage (RocksDB)", suite_storage),
    ("api", "HTTP API and WebSocket", suite_api),
    ("tests", "Tests and coverage", suite_tests),
]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="every suite briefly, 1 repetition (a few minutes)")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build/release"), help="a Release build tree")
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "docs"),
                    help="where performance.json, PERFORMANCE.md and perf/*.svg go")
    ap.add_argument("--repetitions", type=int, help="repetitions per figure (default: 3, quick: 1)")
    ap.add_argument("--only", help="comma-separated suites to run: " + ", ".join(n for n, _, _ in SUITES))
    args = ap.parse_args(argv)
    if args.repetitions is None:
        args.repetitions = 1 if args.quick else 3
    if args.repetitions < 1:
        ap.error("--repetitions must be at least 1")
    wanted = [n for n, _, _ in SUITES] if not args.only else args.only.split(",")
    unknown = set(wanted) - {n for n, _, _ in SUITES}
    if unknown:
        ap.error(f"unknown suite(s): {', '.join(sorted(unknown))}")
    suites = [Suite(n, t, f) for n, t, f in SUITES if n in wanted]

    progress = Progress(len(suites))
    ctx = Context(args, progress)
    env = environment(ctx, argv)
    progress.line(f"{env['mode']} run, {args.repetitions} repetition(s), build {env['build_dir']} "
                  f"({env['build_type']}), commit {env['git_commit'][:12]}{' (dirty)' if env['git_dirty'] else ''}")
    for suite in suites:
        progress.begin(suite.name, suite.title)
        start = time.time()
        try:
            suite.run(ctx, suite)
        except KeyboardInterrupt:
            raise
        except SuiteError as e:
            suite.status, suite.error = "failed", str(e)
        except BaseException as e:  # a bug in a suite must not lose the others' figures
            suite.status, suite.error = "failed", f"{type(e).__name__}: {e}"
            traceback.print_exc()
        suite.seconds = time.time() - start
        progress.line(f"    {suite.name}: {suite.status}{': ' + suite.error if suite.error else ''} "
                      f"({len(suite.figures)} figures, {suite.seconds:.1f} s)")

    env["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    env["total_seconds"] = round(time.time() - progress.start, 1)
    report = {"schema": 1, "environment": env, "suites": {s.name: s.to_json() for s in suites}}
    os.makedirs(args.out_dir, exist_ok=True)
    json_path = os.path.join(args.out_dir, "performance.json")
    with open(json_path, "w") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
        f.write("\n")
    md_path = perf_report.render_files(json_path, args.out_dir)
    progress.line(f"wrote {relative(json_path)}, {relative(md_path)} and {relative(os.path.join(args.out_dir, 'perf'))}/")
    failed = [s.name for s in suites if s.status == "failed"]
    if failed:
        progress.line(f"FAILED suites: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
