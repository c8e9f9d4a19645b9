#!/usr/bin/env bash
# Runs one libFuzzer target briefly on a copy of its seed corpus (the checked-in corpus stays
# unchanged). Fails when the fuzzer is missing or finds a crash, leak or sanitizer report.
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3
if [[ ! -x "$fuzzer" ]]; then
  echo "fuzzer $fuzzer is not built: run 'make fuzz-build' (clang-14)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work"/ 2>/dev/null || true
"$fuzzer" -max_total_time="$seconds" -artifact_prefix="$work/" -print_final_stats=1 "$work" 2>&1 | tail -n 15
