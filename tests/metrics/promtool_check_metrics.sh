#!/bin/sh
# Usage: promtool_check_metrics.sh PROMTOOL SAMPLE_BINARY
# Runs `promtool check metrics` on the sample exposition and fails on any problem except the
# two the spec imposes: its names bizra_http_request_duration_ms and bizra_ace_task_duration_ms
# end in the abbreviated unit "_ms", which promtool's linter flags (it prefers _seconds). Any
# other output (a lint problem or a parse error) fails the test.
set -u
promtool=$1
sample=$2
text=$("$sample") || { echo "sample exposition failed" >&2; exit 1; }
report=$(printf '%s\n' "$text" | "$promtool" check metrics 2>&1)
unexpected=$(printf '%s\n' "$report" | grep -v -x \
  -e 'bizra_http_request_duration_ms metric names should not contain abbreviated units' \
  -e 'bizra_ace_task_duration_ms metric names should not contain abbreviated units' \
  -e '')
if [ -n "$unexpected" ]; then
  printf 'promtool check metrics reported:\n%s\n' "$unexpected" >&2
  exit 1
fi
echo "promtool check metrics: no problems besides the spec's _ms names"
