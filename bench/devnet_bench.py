#!/usr/bin/env python3
"""Devnet benchmark: a 4-validator `node0 devnet` on this machine, loaded by `node0 load`.

Measures, for signed attestations and for the payload-free benchmark transactions (32 opaque
bytes, enabled in this devnet's genesis):
  - saturation: the highest finalized/s over a ladder of offered rates (each step --step-seconds);
  - submit->final latency p50/p95/p99 at a light load and at 50 % of the measured saturation;
  - each validator's resident memory: idle (VmRSS after warm-up) and peak (VmHWM at the end);
and the verification ceiling the attestation figure is compared with: 2 cores x one core's
Ed25519 verify rate / 4 validators (every validator verifies every attestation once), the verify
rate measured by bench_crypto in the same run.

Writes a Markdown section into docs/operations.md (between the devnet-bench markers) and the raw
reports to build/devnet-bench.json. The load generator runs on the same machine as the four
validators and competes with them for the CPUs: the figures are for the whole setup.

    bench/devnet_bench.py [--node0 build/release/apps/node0/node0] [--step-seconds 8]
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from docgen import replace_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def http_json(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Devnet:
    def __init__(self, node0, p2p_port, api_port):
        self.dir = tempfile.mkdtemp(prefix="bizra-devnet-bench-")
        self.api_ports = [api_port + i for i in range(4)]
        self.proc = subprocess.Popen(
            [node0, "devnet", "--validators", "4", "--dir", self.dir, "--bench", "--p2p-port", str(p2p_port),
             "--api-port", str(api_port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.pids = []
        while len(self.pids) < 4:
            line = self.proc.stdout.readline()
            if not line:
                sys.exit("devnet exited early")
            m = re.search(r"pid (\d+)", line)
            if m:
                self.pids.append(int(m.group(1)))

    def height(self):
        try:
            return http_json(f"http://127.0.0.1:{self.api_ports[0]}/api/v1/consensus/status")["committed_height"]
        except Exception:
            return 0

    def drain(self, timeout=90):
        """Waits until every validator's mempool is empty, so one step's backlog does not leak
        into the next step's figures."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if all(http_json(f"http://127.0.0.1:{p}/api/v1/consensus/status")["mempool_transactions"] == 0
                       for p in self.api_ports):
                    return
            except Exception:
                pass
            time.sleep(0.2)
        print("  (mempools did not drain)", flush=True)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def load(node0, devnet, rate, seconds, bench, batch, sample_every=50):
    cmd = [node0, "load", "--rate", str(rate), "--duration", str(seconds), "--batch", str(batch), "--json",
           "--sample-every", str(sample_every)]
    for port in devnet.api_ports:
        cmd += ["--target", f"http://127.0.0.1:{port}"]
    if bench:
        cmd.append("--bench")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode != 0:
        sys.exit(f"load failed: {out.stderr}")
    report = json.loads(out.stdout.strip().splitlines()[-1])
    report["offered_per_s"] = rate
    devnet.drain()
    print(f"  {'bench' if bench else 'attest'} offered {rate}/s: accepted {report['accepted_per_s']:.0f}/s, "
          f"finalized {report['finalized_per_s']:.0f}/s, p50 {report['latency_ms']['p50']:.1f} ms", flush=True)
    return report


def verify_rate(bench_crypto):
    out = subprocess.run([bench_crypto, "--benchmark_filter=BM_Ed25519_Verify_Ours$", "--benchmark_repetitions=3",
                          "--benchmark_format=json"], capture_output=True, text=True, check=True)
    times = [b["real_time"] for b in json.loads(out.stdout)["benchmarks"] if b.get("run_type") == "iteration"]
    unit = json.loads(out.stdout)["benchmarks"][0]["time_unit"]
    per_second = {"ns": 1e9, "us": 1e6, "ms": 1e3}[unit]
    return per_second / sorted(times)[len(times) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--node0", default=os.path.join(ROOT, "build/release/apps/node0/node0"))
    ap.add_argument("--bench-crypto", default=os.path.join(ROOT, "build/release/bench/bench_crypto"))
    ap.add_argument("--step-seconds", type=float, default=8)
    ap.add_argument("--p2p-port", type=int, default=28600)
    ap.add_argument("--api-port", type=int, default=5006)
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs/operations.md"))
    ap.add_argument("--json", default=os.path.join(ROOT, "build/devnet-bench.json"))
    args = ap.parse_args()

    verify_per_s = verify_rate(args.bench_crypto)
    ceiling = 2 * verify_per_s / 4
    net = Devnet(args.node0, args.p2p_port, args.api_port)
    results = {"verify_per_s_one_core": verify_per_s, "attestation_ceiling_per_s": ceiling}
    try:
        deadline = time.time() + 60
        while net.height() < 3 and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(5)
        results["idle_rss_mib"] = [rss_kib(p, "VmRSS") / 1024 for p in net.pids]
        for kind, bench, ladder, light, batch in (("bench", True, [5000, 10000, 20000, 30000, 40000, 80000], 100, 500),
                                                   ("attestation", False, [500, 1000, 2000, 3000, 4000, 6000], 50, 50)):
            print(f"{kind}: saturation ladder", flush=True)
            steps = [load(args.node0, net, rate, args.step_seconds, bench, batch) for rate in ladder]
            saturation = max(r["finalized_per_s"] for r in steps)
            print(f"{kind}: latency runs", flush=True)
            light_run = load(args.node0, net, light, args.step_seconds, bench, max(1, light // 20), 1)
            half_run = load(args.node0, net, max(1, int(saturation / 2)), args.step_seconds, bench, batch)
            results[kind] = {"ladder": steps, "saturation_per_s": saturation, "light": light_run, "half": half_run}
        results["peak_rss_mib"] = [rss_kib(p, "VmHWM") / 1024 for p in net.pids]
    finally:
        net.stop()
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)
    write_doc(args, results)


def write_doc(args, r):
    def lat(run):
        l = run["latency_ms"]
        return f"{l['p50']:.1f} / {l['p95']:.1f} / {l['p99']:.1f} ms ({l['samples']} samples, at {run['offered_per_s']}/s offered)"

    rows = ["| | payload-free (bench) | signed attestations |", "|---|---:|---:|"]
    b, a = r["bench"], r["attestation"]
    rows.append(f"| saturation: finalized/s (best step of the ladder) | {b['saturation_per_s']:,.0f} | {a['saturation_per_s']:,.0f} |")
    rows.append(f"| submit→final p50 / p95 / p99, light load | {lat(b['light'])} | {lat(a['light'])} |")
    rows.append(f"| submit→final p50 / p95 / p99, 50 % of saturation | {lat(b['half'])} | {lat(a['half'])} |")
    ladder = lambda runs: ", ".join(f"{x['offered_per_s']:,}→{x['finalized_per_s']:,.0f}" for x in runs)
    body = "\n".join([
        f"Generated by `bench/devnet_bench.py --step-seconds {args.step_seconds:g}` on this machine "
        f"({os.cpu_count()} CPUs; the load generator shares them with the four validators).",
        "",
        *rows,
        "",
        f"- Ladders (offered/s → finalized/s): bench {ladder(b['ladder'])}; attestations {ladder(a['ladder'])}.",
        f"- Verification ceiling for attestations: 2 cores × {r['verify_per_s_one_core']:,.0f} verifies/s (one core, "
        f"bench_crypto, same run) ÷ 4 validators = {r['attestation_ceiling_per_s']:,.0f}/s; measured saturation = "
        f"{100 * a['saturation_per_s'] / r['attestation_ceiling_per_s']:.0f} % of it.",
        f"- Resident memory per validator: idle {', '.join(f'{x:.0f}' for x in r['idle_rss_mib'])} MiB; "
        f"peak over the whole run {', '.join(f'{x:.0f}' for x in r['peak_rss_mib'])} MiB.",
    ])
    replace_section(args.doc, "devnet-bench", body)
    print(f"wrote {args.doc} and {args.json}")


if __name__ == "__main__":
    main()
