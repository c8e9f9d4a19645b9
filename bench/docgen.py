"""Shared by the bench scripts: replaces a generated section of a Markdown document, between
`<!-- NAME:begin ... -->` and `<!-- NAME:end -->` markers, so regenerated figures never mix with
hand-written text. Also min/median/max formatting of repeated measurements."""

import statistics
import sys


def replace_section(path, name, body):
    begin = f"<!-- {name}:begin"
    end = f"<!-- {name}:end -->"
    with open(path) as f:
        doc = f.read()
    if begin not in doc or end not in doc:
        sys.exit(f"{path}: missing the {name} markers")
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    marker = f"{begin} (generated; do not edit by hand) -->"
    with open(path, "w") as f:
        f.write(head + marker + "\n" + body.rstrip("\n") + "\n" + end + tail)


def spread(values, fmt):
    """median (min–max) of repeated measurements; just the value when they agree."""
    values = sorted(values)
    lo, med, hi = values[0], statistics.median(values), values[-1]
    if fmt(lo) == fmt(hi):
        return fmt(med)
    return f"{fmt(med)} ({fmt(lo)}–{fmt(hi)})"
