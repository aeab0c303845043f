"""treeprop's engines against micrograd and PyTorch, every row in one run (``make bench``).

For each task and engine this measures the time of one *sample-step*: one
sample's forward, backward and update for per-sample SGD, or an epoch's time
divided by its samples for full-batch gradient descent. Slow engines are run
on fewer samples (per-step time is what is reported), fast ones on repeated
epochs, and every figure is the best of a few repeats so that other work on a
shared machine disturbs it less. The scaling part measures one training step
of the compiled and cached engines on chains and trees of 10 to 100,000 nodes.
The user-loop part times a compiled model trained by the user's own Python loop
(``p = m.predict(x); m.backward(loss_grad(y, p))`` per sample) against
``train_model``'s generated loop and micrograd, taking turns, several repeats,
and reports the medians.

    python bench/bench_engines.py            # the full run (a few minutes)
    python bench/bench_engines.py --quick    # a smoke test of every row

Writes bench/results/engines.md and prints the same tables.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

# One BLAS thread, like PyTorch's one thread: on small matrices extra threads only
# fight over the cores (on a busy 2-core machine they made NumPy 10-25x slower).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import treeprop as tp  # noqa: E402
import treeprop.datasets as ds  # noqa: E402
from treeprop import MLP, Add, Constant, Input, Multiply, Parameter, Sigmoid, Tanh  # noqa: E402
from treeprop.losses import (  # noqa: E402
    BCE,
    CCE,
    MSE,
    bce,
    bce_grad,
    cce,
    cce_grad,
    mse,
    mse_grad,
)

RESULTS = Path(__file__).resolve().parent / "results" / "engines.md"
N = 1000  # samples per task

try:
    import torch
except ImportError:  # optional extra
    torch = None

try:
    from micrograd.engine import Value
except ImportError:
    Value = None


# -- measuring -------------------------------------------------------------------------
def best_time(run: Callable[[], int], budget: float, repeats: int = 3) -> tuple[float, int]:
    """Seconds per sample-step (best of ``repeats`` calls of ``run``) and samples timed.

    ``run()`` does some work and returns how many sample-steps it did. It is
    called at least ``repeats`` times, or once if a call alone takes longer than
    the budget.
    """
    best, steps, spent = math.inf, 0, 0.0
    for k in range(repeats):
        start = time.perf_counter()
        n = run()
        took = time.perf_counter() - start
        spent += took
        steps += n
        best = min(best, took / n)
        if spent > budget and k >= 0:
            break
    return best, steps


class Budget:
    def __init__(self, quick: bool) -> None:
        self.quick = quick

    def slow_samples(self, per_sample_guess: float, seconds: float = 2.0) -> int:
        if self.quick:
            return 1
        return max(1, min(N, int(seconds / per_sample_guess)))

    def epochs(self, fast: int) -> int:
        return 1 if self.quick else fast

    @property
    def seconds(self) -> float:
        return 0.2 if self.quick else 3.0


# -- the treeprop models ------------------------------------------------------------------
def linear_model() -> tp.Computation:
    return Add(Multiply(Parameter(0.3, learning_rate=0.1), Input(name="f")),
               Parameter(0.0, learning_rate=0.1))


def line_model() -> tp.Computation:
    x, y = Input(name="x"), Input(name="y")
    p = [Parameter(v, learning_rate=0.1) for v in (0.2, -0.3, 0.1)]
    return Sigmoid(Add(Multiply(p[0], x), Multiply(p[1], y), p[2]))


def moons_model() -> tp.Computation:
    tp.seed(0)
    return MLP([2, 16, 16, 1], output="sigmoid", learning_rate=0.05)


def digits_model() -> tp.Computation:
    tp.seed(0)
    return MLP([64, 32, 10], output="softmax", learning_rate=0.02)


def data_for(task: str) -> list:
    if task == "fc":
        return ds.fahrenheit_celsius(N, seed=0)
    if task == "line":
        return ds.above_line(N, seed=0)
    if task.startswith("moons"):
        return ds.moons(N, seed=0)
    return ds.digits()[:N]


TASKS = {
    # key: (title, model builder, loss, full batch?)
    "fc": ("Fahrenheit→Celsius, linear, per-sample SGD", linear_model, MSE, False),
    "line": ("above/below line, sigmoid neuron, per-sample SGD", line_model, BCE, False),
    "moons": ("two moons MLP 2-16-16-1, per-sample SGD", moons_model, BCE, False),
    "moons-full": ("two moons MLP 2-16-16-1, full batch", moons_model, BCE, True),
    "digits": ("digits MLP 64-32-10 softmax, per-sample SGD", digits_model, CCE, False),
    "digits-full": ("digits MLP 64-32-10 softmax, full batch", digits_model, CCE, True),
}

# a first guess of seconds per sample, to size the slow engines' runs
SLOW_GUESS = {"recursive": {"fc": 4e-5, "line": 1e-4, "moons": 0.03, "digits": 0.35},
              "cached": {"fc": 5e-5, "line": 1e-4, "moons": 8e-3, "digits": 0.07},
              "compiled": {"moons": 5e-4, "digits": 4e-3},
              "batched": {"fc": 3e-4, "line": 3e-4, "moons": 2e-3, "digits": 1e-2}}


def treeprop_runner(task: str, engine: str, budget: Budget) -> tuple[Callable[[], int], str]:
    title, build, loss, full = TASKS[task]
    base = task.split("-")[0]
    data = data_for(task)
    model = build()
    if engine == "recursive":
        model.compile()
        tp.decompile(model)
    elif engine == "cached":
        model.compile()
    else:
        model.compile(engine=engine)
    kw = dict(progress=False, print_every=None)
    if full:
        kw["batch_size"] = "full"
    slow = engine in ("recursive", "cached") or (engine == "compiled" and full) or \
        (engine == "batched" and not full)
    if slow:
        guess = SLOW_GUESS[engine][base]
        k = budget.slow_samples(guess)
        if full:
            # one full-batch epoch costs N sample-steps; time one epoch, or part of one
            k = budget.slow_samples(guess, 2.5)
            part = data[:k]
            kw["batch_size"] = "full"
            note = f"{k} samples (one batch)" if k < N else ""

            def run() -> int:
                tp.train_model(model, loss, part, epochs=1, **kw)
                return len(part)
            return run, note
        part = data[:k]

        def run() -> int:
            tp.train_model(model, loss, part, epochs=1, **kw)
            return len(part)
        return run, (f"{k} samples" if k < N else "")
    # enough epochs per train_model call that its one-off data check is a small share
    epochs = budget.epochs({"fc": 100, "line": 100, "moons": 3, "digits": 1}[base])
    if full:
        epochs = budget.epochs(200)

    def run() -> int:
        tp.train_model(model, loss, data, epochs=epochs, **kw)
        return epochs * len(data)
    return run, ""


LOSS_GRADS = {"fc": mse_grad, "line": bce_grad, "moons": bce_grad, "digits": cce_grad}


def user_loop_runner(task: str, budget: Budget) -> tuple[Callable[[], int], str]:
    """A compiled model trained by a plain Python loop over predict and backward."""
    _, build, _, _ = TASKS[task]
    base = task.split("-")[0]
    model = build().compile(engine="compiled")
    grad = LOSS_GRADS[base]
    data = data_for(task)
    reps = budget.epochs({"fc": 20, "line": 20, "moons": 1, "digits": 1}[base])
    part = data if base in ("fc", "line", "moons") else data[:budget.slow_samples(5e-4)]

    def run() -> int:
        predict, backward = model.predict, model.backward
        for _ in range(reps):
            for x, y in part:
                backward(grad(y, predict(x)))
        return reps * len(part)
    return run, ("" if len(part) == N else f"{len(part)} samples")


# -- micrograd -------------------------------------------------------------------------------
def mg_sigmoid(v):
    s = 1.0 / (1.0 + math.exp(-v.data)) if v.data >= 0 else \
        math.exp(v.data) / (1.0 + math.exp(v.data))
    out = Value(s, (v,), "sigmoid")

    def _backward():
        v.grad += s * (1.0 - s) * out.grad
    out._backward = _backward
    return out


def mg_exp(v):
    e = math.exp(v.data)
    out = Value(e, (v,), "exp")

    def _backward():
        v.grad += e * out.grad
    out._backward = _backward
    return out


class MgDense:
    """A micrograd layer with weights drawn like treeprop's (a plain list of neurons)."""

    def __init__(self, nin: int, nout: int, rng: random.Random, scale: float) -> None:
        self.w = [[Value(rng.uniform(-scale, scale)) for _ in range(nin)] for _ in range(nout)]
        self.b = [Value(0.0) for _ in range(nout)]

    def __call__(self, xs):
        return [sum((wi * xi for wi, xi in zip(row, xs)), b) for row, b in zip(self.w, self.b)]

    def parameters(self):
        return [p for row in self.w for p in row] + self.b


def micrograd_runner(task: str, budget: Budget) -> tuple[Callable[[], int], str]:
    title, _, _, full = TASKS[task]
    base = task.split("-")[0]
    data = data_for(task)
    rng = random.Random(0)
    if base == "fc":
        w, b = Value(0.3), Value(0.0)
        params, lr = [w, b], 0.1

        def model(x):
            return w * x[0] + b
        loss, dloss = mse, mse_grad
    elif base == "line":
        w1, w2, b = Value(0.2), Value(-0.3), Value(0.1)
        params, lr = [w1, w2, b], 0.1

        def model(x):
            return mg_sigmoid(w1 * x[0] + w2 * x[1] + b)
        loss, dloss = bce, bce_grad
    else:
        sizes = [2, 16, 16, 1] if base == "moons" else [64, 32, 10]
        layers = [MgDense(a, c, rng, math.sqrt(6.0 / a)) for a, c in zip(sizes, sizes[1:])]
        params = [p for layer in layers for p in layer.parameters()]
        lr = 0.05 if base == "moons" else 0.02

        def model(x):
            h = x
            for k, layer in enumerate(layers):
                h = layer(h)
                if k < len(layers) - 1:
                    h = [v.relu() for v in h]
            if base == "moons":
                return mg_sigmoid(h[0])
            top = max(v.data for v in h)
            e = [mg_exp(v - top) for v in h]
            total = sum(e[1:], e[0])
            inv = total ** -1
            return [ei * inv for ei in e]
        if base == "moons":
            loss, dloss = bce, bce_grad
        else:
            loss, dloss = cce, cce_grad

    def sample_step(x, y, update=True):
        out = model(x)
        if isinstance(out, list):
            p = [v.data for v in out]
            g = dloss(y, p)
            seed = sum((v * gi for v, gi in zip(out, g)), Value(0.0))
        else:
            p = out.data
            seed = out * dloss(y, p)
        if update:
            for q in params:
                q.grad = 0.0
        seed.backward()
        if update:
            for q in params:
                q.data -= lr * q.grad
        return loss(y, p)

    guess = {"fc": 3e-5, "line": 6e-5, "moons": 1e-2, "digits": 0.2}[base]
    k = budget.slow_samples(guess, 2.5)
    part = data[:k]
    if full:
        def run() -> int:
            for q in params:
                q.grad = 0.0
            for x, y in part:
                sample_step(x, y, update=False)  # gradients add up over the batch
            for q in params:
                q.data -= lr * q.grad / len(part)
            return len(part)
        return run, (f"{k} samples (one batch)" if k < N else "")

    def run() -> int:
        for x, y in part:
            sample_step(x, y)
        return len(part)
    return run, (f"{k} samples" if k < N else "")


# -- PyTorch ------------------------------------------------------------------------------------
def torch_runner(task: str, budget: Budget) -> tuple[Callable[[], int], str]:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    title, _, _, full = TASKS[task]
    base = task.split("-")[0]
    data = data_for(task)
    dt = torch.float64
    X = torch.tensor([x for x, _ in data], dtype=dt)
    nn = torch.nn
    if base == "fc":
        net, lr = nn.Linear(1, 1), 0.1
        Y = torch.tensor([[y] for _, y in data], dtype=dt)
        crit = nn.MSELoss()
    elif base == "line":
        net, lr = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid()), 0.1
        Y = torch.tensor([[y] for _, y in data], dtype=dt)
        crit = nn.BCELoss()
    elif base == "moons":
        net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                            nn.Linear(16, 1), nn.Sigmoid())
        lr = 0.05
        Y = torch.tensor([[y] for _, y in data], dtype=dt)
        crit = nn.BCELoss()
    else:
        net, lr = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)), 0.02
        Y = torch.tensor([y for _, y in data], dtype=torch.long)
        crit = nn.CrossEntropyLoss()  # softmax + cross-entropy, the usual PyTorch way
    net = net.to(dt)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    if full:
        epochs = budget.epochs(200)

        def run() -> int:
            for _ in range(epochs):
                opt.zero_grad()
                crit(net(X), Y).backward()
                opt.step()
            return epochs * len(data)
        return run, ""
    k = budget.slow_samples(1e-4, 1.5)
    rows = [(X[i:i + 1], Y[i:i + 1]) for i in range(k)]

    def run() -> int:
        for x, y in rows:
            opt.zero_grad()
            crit(net(x), y).backward()
            opt.step()
        return len(rows)
    return run, (f"{k} samples" if k < N else "")


# -- scaling ------------------------------------------------------------------------------------
def chain(levels: int) -> tp.Computation:
    node = Input(name="x")
    for k in range(levels):
        node = Tanh(Add(Multiply(node, Parameter(0.9, learning_rate=0.001)),
                        Constant(0.01 * (k % 5))))
    return node


def tree(leaves: int) -> tp.Computation:
    rng = random.Random(0)
    x = Input(name="x")
    level = [Multiply(Parameter(rng.uniform(-1, 1), learning_rate=0.001), x)
             for _ in range(leaves)]
    while len(level) > 1:
        nxt = [Tanh(Add(a, b)) for a, b in zip(level[::2], level[1::2])]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def shape_for(kind: str, nodes: int) -> tp.Computation:
    if kind == "chain":
        return chain(max(1, (nodes - 1) // 5))  # 5 nodes per level, plus the input
    return tree(max(1, (nodes + 1) // 5))  # about 5 nodes per leaf


def scaling(budget: Budget) -> list[dict]:
    rows = []
    sizes = [10, 100, 1_000, 10_000, 100_000]
    for kind in ("chain", "tree"):
        for size in sizes:
            for engine in ("compiled", "cached"):
                if budget.quick and size > 1000:
                    continue
                model = shape_for(kind, size)
                start = time.perf_counter()
                if engine == "compiled":
                    model.compile(engine="compiled")
                else:
                    model.compile()
                built = time.perf_counter() - start
                nodes = len(tp.postorder(model))
                if engine == "compiled":
                    step = model._program.step
                    program = model._program
                    program.refresh(learning_rates=True)
                    reps = max(1, int(200_000 / nodes))

                    def run(step=step, reps=reps) -> int:
                        for _ in range(reps):
                            step([0.5], 0.1, mse, mse_grad)
                        return reps
                else:
                    reps = max(1, int(20_000 / nodes))

                    def run(model=model, reps=reps) -> int:
                        for _ in range(reps):
                            p = model.predict([0.5])
                            model.backward(mse_grad(0.1, p))
                        return reps
                per_step, _ = best_time(run, budget.seconds / 3)
                funcs = len(model._program._forward) if engine == "compiled" else 0
                rows.append(dict(kind=kind, size=nodes, engine=engine, funcs=funcs,
                                 ns_per_node=per_step / nodes * 1e9,
                                 compile_ns_per_node=built / nodes * 1e9))
    return rows


# -- report ---------------------------------------------------------------------------------------
ENGINES = ["recursive", "cached", "compiled", "user", "batched", "micrograd", "pytorch"]
ENGINE_NAMES = {
    "recursive": "treeprop recursive (uncached)",
    "cached": "treeprop cached (`compile()`)",
    "compiled": "treeprop compiled (`engine=\"compiled\"`)",
    "user": "treeprop compiled, your own loop (`m.predict` + `m.backward`)",
    "batched": "treeprop batched (`engine=\"batched\"`)",
    "micrograd": "micrograd 0.1.0",
    "pytorch": "PyTorch CPU, 1 thread, float64",
}


def fmt_time(seconds: float) -> str:
    us = seconds * 1e6
    if us >= 1000:
        return f"{us / 1000:,.1f} ms"
    if us >= 10:
        return f"{us:,.0f} µs"
    return f"{us:.2f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny budgets")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--tasks", default=",".join(TASKS),
                        help="comma-separated tasks to run (default: all)")
    parser.add_argument("--skip-scaling", action="store_true",
                        help="leave out the scaling part")
    args = parser.parse_args()
    budget = Budget(args.quick)
    began = time.perf_counter()
    load_before = os.getloadavg()[0]
    results: dict[tuple[str, str], tuple[float, str]] = {}
    skipped: list[str] = []
    runners: dict[tuple[str, str], tuple[Callable[[], int], int]] = {}
    chosen = [t for t in args.tasks.split(",") if t in TASKS]
    for task in chosen:
        for engine in ENGINES:
            if engine == "pytorch" and torch is None:
                skipped.append("PyTorch is not installed (pip install -e '.[torch]'): its "
                               "rows are left out")
                continue
            if engine == "micrograd" and Value is None:
                skipped.append("micrograd is not installed: its rows are left out")
                continue
            if engine == "user" and TASKS[task][3]:
                continue  # the user's loop is per-sample SGD
            if engine == "micrograd":
                run, note = micrograd_runner(task, budget)
            elif engine == "pytorch":
                run, note = torch_runner(task, budget)
            elif engine == "user":
                run, note = user_loop_runner(task, budget)
            else:
                run, note = treeprop_runner(task, engine, budget)
            per, steps = best_time(run, budget.seconds)
            results[(task, engine)] = (per, note or f"{steps:,} sample-steps timed")
            runners[(task, engine)] = (run, steps)
            print(f"{task:12s} {engine:10s} {fmt_time(per):>12s}  {note}", flush=True)
        # Load from other jobs comes and goes: time the quick engines of this task
        # again, taking turns, so that peers see the same conditions.
        quick = [e for e in ENGINES if (task, e) in runners
                 and results[(task, e)][0] * runners[(task, e)][1] / 3 < 1.5]
        for _ in range(0 if budget.quick else 3):
            for engine in quick:
                run = runners[(task, engine)][0]
                start = time.perf_counter()
                n = run()
                per = (time.perf_counter() - start) / n
                old, note = results[(task, engine)]
                results[(task, engine)] = (min(old, per), note)
        for engine in quick:
            print(f"{task:12s} {engine:10s} {fmt_time(results[(task, engine)][0]):>12s}  "
                  "(best after taking turns)", flush=True)
    user = user_loop_medians(budget, runners)
    scale = [] if args.skip_scaling else scaling(budget)
    for r in scale:
        print(f"scaling {r['kind']:5s} {r['size']:>7,} nodes {r['engine']:8s} "
              f"{r['ns_per_node']:8.1f} ns/node/step", flush=True)
    total = time.perf_counter() - began

    lines = ["## Engines side by side", "",
             f"Measured by `make bench` (`python bench/bench_engines.py`) on {platform.machine()}, "
             f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
             f"{time.strftime('%Y-%m-%d')}; the whole run took {total:.0f} s, with a load "
             f"average of {load_before:.1f} at the start and {os.getloadavg()[0]:.1f} at the "
             "end (other jobs shared the machine, so compare ratios more than times). Time per "
             "sample-step = one sample's forward, backward and update (per-sample SGD), or an "
             "epoch's time divided by its samples (full batch); best of up to 3 repeats, and "
             "for runs under a second 3 more taken in turns with the task's other engines; "
             "× = ratio to the fastest engine on that task.", ""]
    lines += ["| task | engine | time per sample-step | × fastest | timed on |",
              "|---|---|---:|---:|---|"]
    for task in chosen:
        title = TASKS[task][0]
        peers = {e: results[(task, e)] for e in ENGINES if (task, e) in results}
        fastest = min(v[0] for v in peers.values())
        for engine, (per, note) in peers.items():
            lines.append(f"| {title} | {ENGINE_NAMES[engine]} | {fmt_time(per)} | "
                         f"{per / fastest:,.1f} | {note} |")
    lines += ["", "### Scaling: one training step (forward, backward, SGD update), "
              "time per node", "",
              "| shape | nodes | compiled ns/node | cached ns/node | compiled: compile "
              "µs/node | compiled program |", "|---|---:|---:|---:|---:|---|"]
    by = {(r["kind"], r["size"], r["engine"]): r for r in scale}
    for kind in ("chain", "tree"):
        for size in sorted({r["size"] for r in scale if r["kind"] == kind}):
            c, k = by.get((kind, size, "compiled")), by.get((kind, size, "cached"))
            shape = ("one function" if c["funcs"] == 1 else
                     f"{c['funcs']} forward + {c['funcs']} backward functions")
            lines.append(f"| {kind} | {size:,} | {c['ns_per_node']:.0f} | "
                         f"{k['ns_per_node']:.0f} | {c['compile_ns_per_node'] / 1000:.1f} | "
                         f"{shape} |")
    lines += user_loop_table(user)
    lines += ["", "### Targets", ""]
    lines += targets(results, scale)
    lines += user_loop_targets(user)
    if skipped:
        lines += ["", *sorted(set(f"Note: {s}" for s in skipped))]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print()
    print(text)


USER_TASKS = ("line", "moons")
USER_PEERS = ("user", "compiled", "micrograd")


def user_loop_medians(budget: Budget, runners: dict) -> dict[str, dict[str, list[float]]]:
    """CPU seconds per step of each repeat, the three engines taking turns on each task.

    CPU time (``process_time``) rather than wall time: on a machine shared with
    other jobs it leaves out the time this process waited for a core.
    """
    out: dict[str, dict[str, list[float]]] = {}
    for task in USER_TASKS:
        peers = [e for e in USER_PEERS if (task, e) in runners]
        if "user" not in peers or "compiled" not in peers:
            continue
        times: dict[str, list[float]] = {e: [] for e in peers}
        for _ in range(1 if budget.quick else 7):
            for engine in peers:
                run = runners[(task, engine)][0]
                start = time.process_time()
                n = run()
                times[engine].append((time.process_time() - start) / n)
        out[task] = times
        print(f"user loop {task}: " + ", ".join(
            f"{e} {fmt_time(statistics.median(t))}" for e, t in times.items()), flush=True)
    return out


def user_loop_table(user: dict) -> list[str]:
    lines = ["", "### Your own training loop on a compiled model", "",
             "`m = model.compile(engine=\"compiled\")`, then per sample `p = m.predict(x); "
             "m.backward(bce_grad(y, p))`, against `train_model`'s generated loop and "
             "micrograd: the three take turns, 7 repeats each; medians (and the range) of CPU "
             "time per sample-step (`time.process_time`, so waiting for a busy core is not "
             "counted).", "",
             "| task | your loop | generated loop | micrograd | your loop / generated | "
             "micrograd / your loop |", "|---|---:|---:|---:|---:|---:|"]
    for task, times in user.items():
        med = {e: statistics.median(t) for e, t in times.items()}
        span = {e: f"{fmt_time(med[e])} ({fmt_time(min(t))}–{fmt_time(max(t))})"
                for e, t in times.items()}
        mg = med.get("micrograd")
        lines.append(
            f"| {TASKS[task][0]} | {span['user']} | {span['compiled']} | "
            f"{span.get('micrograd', '—')} | {med['user'] / med['compiled']:.2f} | "
            + (f"{mg / med['user']:.1f} |" if mg else "— |"))
    return lines


def user_loop_targets(user: dict) -> list[str]:
    out = []
    want_mg = {"line": 7.0, "moons": 5.0}
    for task, times in user.items():
        med = {e: statistics.median(t) for e, t in times.items()}
        r = med["user"] / med["compiled"]
        out.append(f"- your own loop within 2.5× of the generated loop on `{task}`: {r:.2f}× — "
                   + ("met" if r <= 2.5 else "**missed**"))
        if "micrograd" in med:
            r = med["micrograd"] / med["user"]
            out.append(f"- your own loop ≥ {want_mg[task]:g}× faster than micrograd on "
                       f"`{task}`: {r:.1f}× — "
                       + ("met" if r >= want_mg[task] else "**missed**"))
    return out


def targets(results: dict, scale: list[dict]) -> list[str]:
    out = []

    def ratio(task: str, slow: str, fast: str) -> float | None:
        if (task, slow) not in results or (task, fast) not in results:
            return None
        return results[(task, slow)][0] / results[(task, fast)][0]

    for task in ("line", "moons"):
        for slow, want in (("micrograd", 10), ("recursive", 20)):
            r = ratio(task, slow, "compiled")
            if r is None:
                out.append(f"- compiled vs {slow} on {task}: not measured")
                continue
            verdict = "met" if r >= want else f"**missed** (by a factor {want / r:.1f})"
            out.append(f"- compiled ≥ {want}× faster than {slow} on `{task}` per-sample SGD: "
                       f"{r:,.1f}× — {verdict}")
    r = ratio("moons-full", "pytorch", "batched")
    if r is None:
        out.append("- batched vs PyTorch on full-batch moons: PyTorch not installed, skipped")
    else:
        verdict = "met" if r >= 1.0 else f"**missed** (PyTorch is {1 / r:.2f}× faster)"
        out.append(f"- batched full-batch moons at least as fast as PyTorch (1 thread): "
                   f"PyTorch/batched = {r:.2f} — {verdict}")
    for kind in ("chain", "tree"):
        per = [r["ns_per_node"] for r in scale
               if r["kind"] == kind and r["engine"] == "compiled" and 90 <= r["size"] <= 10**5]
        if len(per) >= 2:
            spread = max(per) / min(per)
            verdict = "met" if spread <= 2.0 else f"**missed** ({spread:.2f}× > 2×)"
            out.append(f"- compiled time per node flat within 2× from ~100 to 100,000 nodes "
                       f"({kind}, every size of 90 nodes or more): max/min = {spread:.2f} — "
                       f"{verdict}")
    return out


if __name__ == "__main__":
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    main()
