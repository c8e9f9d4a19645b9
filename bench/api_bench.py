#!/usr/bin/env python3
"""HTTP benchmark: `wrk` against a running node's GET /health, beside nginx serving a small static
file on this machine in the same run (the ceiling for an HTTP server here). Both servers get one
worker thread (the devnet's api.threads is 1; nginx worker_processes 1), the node is a
single-validator devnet (its consensus runs beside the API), and runs alternate node/nginx
--rounds times; the table shows median (min–max) of requests/s and wrk's latency percentiles.

Writes docs/http.md between the api-bench markers.

    bench/api_bench.py [--node0 build/release/apps/node0/node0] [--rounds 3] [--seconds 5]

With --attestations it measures `POST /api/v1/poi/attestation` instead: a single-validator node
(`node0 run`, api.threads = --api-threads) gets pre-signed, distinct attestations
(`node0 attest batch`) from wrk (bench/attestations.lua posts each document once, so nothing is a
409 duplicate); accepted/s counts 202 answers only, other statuses are reported apart. Beside it,
in the same run, the node's verification ceiling: CPUs x one core's Ed25519 verifies/s
(bench_crypto, the docs/operations.md method) and CPUs x one core's full validate() pipeline/s
(bench_poi). Writes docs/api.md between the api-attestation-bench markers.

    bench/api_bench.py --attestations [--count 60000] [--rounds 3] [--seconds 5]
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from docgen import replace_section, spread

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def wait_http(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer")


def start_nginx(port, workdir):
    with open(os.path.join(workdir, "health.json"), "w") as f:
        f.write('{"status":"ok"}\n')
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  server {{
    listen 127.0.0.1:{port};
    location / {{ root {workdir}; }}
  }}
}}
""")
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", workdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/health.json")
    return proc


def wrk(url, seconds, connections):
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": pct(50), "p99": pct(99), "non2xx": int(errors.group(1)) if errors else 0}


def benchmark_rate(binary, name):
    """One core's operations/s of a Google Benchmark (median of 3 repetitions)."""
    out = subprocess.run([binary, f"--benchmark_filter={name}$", "--benchmark_repetitions=3", "--benchmark_format=json"],
                         capture_output=True, text=True, check=True)
    runs = [b for b in json.loads(out.stdout)["benchmarks"] if b.get("run_type") == "iteration"]
    per_second = {"ns": 1e9, "us": 1e6, "ms": 1e3}[runs[0]["time_unit"]]
    return per_second / sorted(r["real_time"] for r in runs)[len(runs) // 2]


def start_single_node(node0, workdir, api_threads):
    """A single-validator chain under `node0 run` (it commits on its own), API on 127.0.0.1:5991."""
    home = os.path.join(workdir, "node")
    out = subprocess.run([node0, "init", "--dir", home, "--p2p", "127.0.0.1:5990", "--api", "127.0.0.1:5991"],
                         capture_output=True, text=True, check=True).stdout
    pubkey = re.search(r"pubkey: (\S+)", out).group(1)
    config = os.path.join(home, "node.toml")
    with open(config) as f:
        text = f.read()
    with open(config, "w") as f:
        f.write(re.sub(r"(?m)^threads = \d+$", f"threads = {api_threads}", text))
    subprocess.run([node0, "genesis", "--out", os.path.join(home, "genesis.json"),
                    "--validator", f"name=v0,pubkey={pubkey},p2p=127.0.0.1:5990"], capture_output=True, check=True)
    proc = subprocess.Popen([node0, "run", "--config", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http("http://127.0.0.1:5991/health")
    return proc


def node_status():
    with urllib.request.urlopen("http://127.0.0.1:5991/api/v1/consensus/status", timeout=2) as r:
        return json.loads(r.read())


def wait_mempool_empty(timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline and node_status()["mempool_transactions"] > 0:
        time.sleep(0.2)


def wrk_attestations(docs, seconds, connections, threads):
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-s", os.path.join(ROOT, "bench/attestations.lua"), "http://127.0.0.1:5991",
                          "--", docs, str(threads)], capture_output=True, text=True, check=True).stdout
    report = json.loads(re.search(r"ATTESTATIONS (\{.*\})", out).group(1))
    elapsed = float(re.search(r"requests in ([\d.]+)s", out).group(1))
    if report["exhausted"]:
        sys.exit("wrk ran out of attestations: raise --count")

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    statuses = report["statuses"] or {}
    accepted = statuses.get("202", 0)
    return {"accepted_per_s": accepted / elapsed, "accepted": accepted, "p50": pct(50), "p99": pct(99),
            "other": {k: v for k, v in statuses.items() if k != "202"}}


def attestation_bench(args):
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    cpus = os.cpu_count()
    verify_per_s = benchmark_rate(args.bench_crypto, "BM_Ed25519_Verify_Ours")
    pipeline_per_s = benchmark_rate(args.bench_poi, "BM_FullPipeline")
    print(f"one core: {verify_per_s:.0f} Ed25519 verifies/s, {pipeline_per_s:.0f} validate()/s", flush=True)
    workdir = tempfile.mkdtemp(prefix="bizra-attest-bench-")
    node = start_single_node(args.node0, workdir, args.api_threads)
    rounds = []
    try:
        status = node_status()
        for i in range(args.rounds):
            docs = os.path.join(workdir, f"attestations-{i}.txt")
            subprocess.run([args.node0, "attest", "batch", "--chain-id", status["chain_id"], "--genesis-root",
                            status["genesis_root"], "--count", str(args.count), "--seed", str(i + 1), "--out", docs],
                           check=True)
            wait_mempool_empty()
            rounds.append(wrk_attestations(docs, args.seconds, args.connections, args.wrk_threads))
            os.remove(docs)
            print(f"accepted {rounds[-1]['accepted_per_s']:.0f}/s, other statuses {rounds[-1]['other']}", flush=True)
    finally:
        node.send_signal(signal.SIGINT)
        node.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    ceiling = cpus * verify_per_s
    accepted = [r["accepted_per_s"] for r in rounds]
    other = {}
    for r in rounds:
        for k, v in r["other"].items():
            other[k] = other.get(k, 0) + v
    f0 = lambda v: f"{v:,.0f}"
    f2 = lambda v: f"{v:.2f}"
    ratio = statistics.median(accepted) / ceiling
    body = "\n".join([
        f"Generated by `bench/api_bench.py --attestations --count {args.count} --rounds {args.rounds} "
        f"--seconds {args.seconds}` (wrk -t{args.wrk_threads} -c{args.connections}; a single-validator node, "
        f"api.threads = {args.api_threads}; {cpus} CPUs shared by wrk, the API threads and the node's consensus, "
        "which executes and stores every accepted attestation as it commits).",
        "",
        "| | per second | latency p50 ms | latency p99 ms | non-202 answers |",
        "|---|---:|---:|---:|---:|",
        f"| `POST /api/v1/poi/attestation` accepted (202) | {spread(accepted, f0)} | "
        f"{spread([r['p50'] for r in rounds], f2)} | {spread([r['p99'] for r in rounds], f2)} | "
        f"{', '.join(f'{k}: {v}' for k, v in sorted(other.items())) or '0'} |",
        f"| ceiling: {cpus} CPUs × one core's Ed25519 verifies (bench_crypto) | {f0(ceiling)} | | | |",
        f"| {cpus} CPUs × one core's full validate() pipeline (bench_poi) | {f0(cpus * pipeline_per_s)} | | | |",
        "",
        f"Accepted / ceiling (median round): {100 * ratio:.0f} % (target ≥ 80 %: {'met' if ratio >= 0.8 else 'not met'}).",
    ])
    replace_section(args.doc or os.path.join(ROOT, "docs/api.md"), "api-attestation-bench", body)
    print(f"wrote {args.doc or 'docs/api.md'}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--node0", default=os.path.join(ROOT, "build/release/apps/node0/node0"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--doc", default=None, help="default: docs/http.md, or docs/api.md with --attestations")
    ap.add_argument("--attestations", action="store_true", help="benchmark POST /api/v1/poi/attestation instead")
    ap.add_argument("--count", type=int, default=60000, help="attestations signed per round (--attestations)")
    ap.add_argument("--api-threads", type=int, default=os.cpu_count())
    ap.add_argument("--wrk-threads", type=int, default=1)
    ap.add_argument("--bench-crypto", default=os.path.join(ROOT, "build/release/bench/bench_crypto"))
    ap.add_argument("--bench-poi", default=os.path.join(ROOT, "build/release/bench/bench_poi"))
    args = ap.parse_args()
    if args.attestations:
        return attestation_bench(args)
    args.doc = args.doc or os.path.join(ROOT, "docs/http.md")
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (apt-get install wrk nginx-light)")

    workdir = tempfile.mkdtemp(prefix="bizra-api-bench-")
    os.chmod(workdir, 0o755)  # nginx workers run as www-data and must read the file
    nginx = start_nginx(5980, workdir)
    devnet = subprocess.Popen([args.node0, "devnet", "--validators", "1", "--dir", os.path.join(workdir, "devnet"),
                               "--p2p-port", "5990", "--api-port", "5991"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = {"node": [], "nginx": []}
    try:
        wait_http("http://127.0.0.1:5991/health")
        for _ in range(args.rounds):
            results["node"].append(wrk("http://127.0.0.1:5991/health", args.seconds, args.connections))
            results["nginx"].append(wrk("http://127.0.0.1:5980/health.json", args.seconds, args.connections))
            print(f"node {results['node'][-1]['rps']:.0f} req/s, nginx {results['nginx'][-1]['rps']:.0f} req/s", flush=True)
    finally:
        devnet.send_signal(signal.SIGINT)
        nginx.send_signal(signal.SIGQUIT)
        devnet.wait(timeout=30)
        nginx.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    f0 = lambda v: f"{v:,.0f}"
    f2 = lambda v: f"{v:.2f}"
    rows = ["| server | requests/s | latency p50 ms | latency p99 ms | non-2xx |", "|---|---:|---:|---:|---:|"]
    for name, label in (("node", "node0 `GET /health`"), ("nginx", "nginx static file")):
        rs = results[name]
        rows.append(f"| {label} | {spread([r['rps'] for r in rs], f0)} | {spread([r['p50'] for r in rs], f2)} | "
                    f"{spread([r['p99'] for r in rs], f2)} | {sum(r['non2xx'] for r in rs)} |")
    ratios = [n["rps"] / x["rps"] for n, x in zip(results["node"], results["nginx"])]
    body = "\n".join([
        f"Generated by `bench/api_bench.py --rounds {args.rounds} --seconds {args.seconds}` "
        f"(wrk -t1 -c{args.connections}; one server thread each; {os.cpu_count()} CPUs shared with wrk and the "
        "node's consensus).",
        "",
        *rows,
        "",
        f"node0 / nginx requests/s, per round: {', '.join(f'{r:.2f}' for r in ratios)} "
        f"(target ≥ 0.50: {'met' if min(ratios) >= 0.5 else 'not met'} in every round)."
        if ratios else "",
    ])
    replace_section(args.doc, "api-bench", body)
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
