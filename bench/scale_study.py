#!/usr/bin/env python3
"""Consensus scale study: runs `node0 sim` over a matrix of validator counts, network models and
crashed-validator counts, several seeds each, and writes the results (min/median/max over the
seeds) into docs/consensus.md between the scale-study markers, plus the raw runs as JSON.

Every figure is virtual time from the deterministic simulator (docs/consensus.md §7): the same
command gives the same numbers on any machine; only `real s` depends on the host.

    bench/scale_study.py [--node0 PATH] [--seeds K] [--jobs J] [--sizes 4,16,100,1000]
                         [--doc docs/consensus.md] [--json build/scale-study.json]
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys

from docgen import replace_section, spread


def max_faulty(n):
    """Largest f with 3f < n: equal weights, so f validators hold under a third."""
    return (n - 1) // 3


def run_one(node0, n, latency, down, seed, duration_ms):
    cmd = [node0, "sim", "--seed", str(seed), "--validators", str(n), "--latency", latency,
           "--duration", str(duration_ms), "--signer", "mac", "--json"]
    if down:
        cmd += ["--down", str(down)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr or out.stdout}")
    result = json.loads(out.stdout)
    result["command"] = " ".join(["node0"] + cmd[1:])
    return (n, latency, down), result


def table(configs, runs):
    rows = ["| n | network | down | commits/s | rounds/commit | latency p50 ms | latency p99 ms "
            "| msgs/commit | msgs/commit/n | KiB/commit | real s |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key in configs:
        n, latency, down = key
        rs = runs[key]
        rows.append("| " + " | ".join([
            str(n), latency, str(down),
            spread([r["commits"] / (r["virtual_ms"] / 1000) for r in rs], lambda v: f"{v:.2f}"),
            spread([r["rounds_per_commit"] for r in rs], lambda v: f"{v:.2f}"),
            spread([r["commit_latency_p50_ms"] for r in rs], lambda v: f"{v:.0f}"),
            spread([r["commit_latency_p99_ms"] for r in rs], lambda v: f"{v:.0f}"),
            spread([r["messages_per_commit"] for r in rs], lambda v: f"{v:.0f}"),
            spread([r["messages_per_commit"] / n for r in rs], lambda v: f"{v:.2f}"),
            spread([r["bytes_per_commit"] / 1024 for r in rs], lambda v: f"{v:.0f}"),
            spread([r["real_seconds"] for r in rs], lambda v: f"{v:.1f}"),
        ]) + " |")
    return "\n".join(rows)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--node0", default=os.path.join(root, "build/release/apps/node0/node0"))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--sizes", default="4,16,100,1000")
    ap.add_argument("--duration-ms", type=int, default=20000)
    ap.add_argument("--doc", default=os.path.join(root, "docs/consensus.md"))
    ap.add_argument("--json", default=os.path.join(root, "build/scale-study.json"))
    ap.add_argument("--from-json", action="store_true",
                    help="rewrite the document from the runs saved in --json instead of running them again")
    args = ap.parse_args()

    if args.from_json:
        with open(args.json) as f:
            saved = json.load(f)
        configs = [(c["validators"], c["latency"], c["down"]) for c in saved]
        runs = {(c["validators"], c["latency"], c["down"]): c["runs"] for c in saved}
        write_doc(args, configs, runs)
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    configs = [(n, latency, down) for n in sizes for latency in ("lan", "wan") for down in (0, max_faulty(n))]
    configs = list(dict.fromkeys(configs))  # n = 1..3 has f = 0: one row
    runs = {key: [] for key in configs}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_one, args.node0, n, latency, down, seed, args.duration_ms)
                   for (n, latency, down) in configs for seed in range(1, args.seeds + 1)]
        for future in concurrent.futures.as_completed(futures):
            key, result = future.result()
            if not result["ok"]:
                sys.exit(f"invariant violated: {result['command']}: {result['violation']}")
            runs[key].append(result)
            print(f"n={key[0]:<5} {key[1]} down={key[2]:<4} seed {result['seed']}: "
                  f"p50 {result['commit_latency_p50_ms']:.0f} ms, "
                  f"{result['messages_per_commit']:.0f} msgs/commit, {result['real_seconds']:.1f} s", flush=True)

    for key in configs:
        runs[key].sort(key=lambda r: r["seed"])
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump([{"validators": k[0], "latency": k[1], "down": k[2], "runs": runs[k]} for k in configs], f, indent=1)
    write_doc(args, configs, runs)


def write_doc(args, configs, runs):
    command = (f"bench/scale_study.py --seeds {args.seeds} --sizes {args.sizes} "
               f"--duration-ms {args.duration_ms}")
    body = "\n".join([
        f"Generated by `{command}` (each cell: median over seeds 1–{args.seeds}, "
        "with min–max when they differ; `down` = validators crashed for the whole run, `--down`).",
        "One run: `node0 sim --seed S --validators N --latency lan|wan [--down F] --signer mac "
        f"--duration {args.duration_ms} --json`.",
        "",
        table(configs, runs),
    ])
    replace_section(args.doc, "scale-study", body)
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
