"""Redraw latency of the explorer: a slider change until the new SVG string exists.

For trees of 10, 60 and 200 nodes this sets an input slider of
``treeprop.viz.explore`` from code (which redraws at once, without the
debounce a browser drag goes through) and times the whole path: the leaf's new
value, forward, backward for the loss gradient, the drawing's records, the DOT
source, the ``dot`` subprocess and the SVG handed to the HTML widget. It also
times the Python part alone (everything but ``dot``). Figures are the median and
90th percentile over the repeats; the target is a 60-node median under 100 ms.

    .venv/bin/python bench/bench_viz.py            # the full run (well under a minute)
    .venv/bin/python bench/bench_viz.py --quick    # fewer repeats

Writes bench/results/viz.md and prints the same table.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import treeprop as tp
from treeprop.viz import describe, draw, explore

RESULTS = Path(__file__).resolve().parent / "results" / "viz.md"
SIZES = (10, 60, 200)
TARGET_MS = 100.0


def tree_of(n: int) -> tuple[tp.Computation, tp.Input]:
    """A tree of exactly ``n`` nodes: neuron blocks tanh(h * w + b), then negations."""
    tp.seed(n)
    x = tp.Input(0.3, name="x")
    node: tp.NeuralNetNode = x
    count = 1
    while count + 5 <= n:
        node = tp.Tanh(node * tp.Parameter() + tp.Parameter())
        count += 5
    while count < n:
        node = tp.Negate(node)
        count += 1
    assert len(tp.postorder(node)) == n
    return node.compile(), x


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q * (len(s) - 1))))
    return s[k]


def measure(n: int, repeats: int) -> dict[str, float]:
    model, x = tree_of(n)
    ex = explore(model, loss="MSE", target=0.5)
    slider = ex.sliders["x"]
    full, python = [], []
    for i in range(repeats + 2):
        value = round(-1.0 + 2.0 * ((i * 7) % 20) / 19, 2)
        if value == slider.value:
            value += 0.01
        old = ex.drawing.value
        t0 = time.perf_counter()
        slider.value = value  # code path: redraws synchronously
        t1 = time.perf_counter()
        assert ex.drawing.value != old and x.value == value
        # the Python part alone: compute, records, DOT source (no dot subprocess)
        t2 = time.perf_counter()
        ex.compute()
        draw(model, view=describe(model)).source  # noqa: B018 - building is the work
        t3 = time.perf_counter()
        if i >= 2:  # the first two warm caches and the dot binary
            full.append((t1 - t0) * 1000)
            python.append((t3 - t2) * 1000)
    return {
        "nodes": n,
        "median": statistics.median(full),
        "p90": percentile(full, 0.9),
        "py_median": statistics.median(python),
        "svg_kb": len(ex.drawing.value) / 1024,
    }


def dot_version() -> str:
    dot = shutil.which("dot")
    if not dot:
        return "dot not found"
    out = subprocess.run([dot, "-V"], capture_output=True, text=True)
    return (out.stderr or out.stdout).strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    if not shutil.which("dot"):
        print("bench_viz: graphviz's dot is missing (make system-graphviz)", file=sys.stderr)
        return 1
    repeats = args.repeats or (5 if args.quick else 30)
    rows = [measure(n, repeats) for n in SIZES]
    lines = [
        "# Redraw latency: slider change to new SVG",
        "",
        "`treeprop.viz.explore` with an MSE loss: set the input slider, then forward, backward"
        " (update=False), drawing records, DOT, the `dot` subprocess, SVG into the HTML widget."
        " *Python part* is everything except `dot`.",
        "",
        "| tree | median (ms) | p90 (ms) | Python part, median (ms) | SVG size (KiB) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['nodes']} nodes | {r['median']:.1f} | {r['p90']:.1f} | "
                     f"{r['py_median']:.1f} | {r['svg_kb']:.0f} |")
    sixty = next(r for r in rows if r["nodes"] == 60)
    verdict = "met" if sixty["median"] < TARGET_MS else "NOT met"
    lines += [
        "",
        f"Target: a 60-node tree redraws in under {TARGET_MS:.0f} ms median: **{verdict}** "
        f"({sixty['median']:.1f} ms).",
        "",
        f"{repeats} repeats per size; {platform.python_version()}, {dot_version()}, "
        f"{os.cpu_count()} CPUs ({platform.machine()}), shared with other work; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "Command: `.venv/bin/python bench/bench_viz.py`",
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
