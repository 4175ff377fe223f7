#!/usr/bin/env python3
"""Cost of external modules to the host (docs/performance.md, "External modules").

For 0, 2, 8 and 32 external modules (the fixture module Tests/Fixtures/faulty_module.py in
its well-behaved mode, each under its own id), runs `cds evaluate --batch` over the same
cases and reports:

- host instructions per case (callgrind on the host process only, not the modules: the
  difference of a run over --cases and a run over --cases/5, so start-up and module start
  cancel out), and the host overhead per module per case against 0 modules;
- throughput (cases per second, wall clock, best of --runs) with every lane;
- issue 17's two instruction targets, met or not: under 0.5M per case with no module, and
  under 20k of host overhead per module and case.

The plans are checked byte-identical across runs with the same module count (the modules'
answers are merged in id order whatever the order they arrive in).

Usage: modules_bench.py CDS [--counts 0,2,8,32] [--cases N] [--runs R] [--no-callgrind]
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "Tests/Fixtures/faulty_module.py")

parser = argparse.ArgumentParser()
parser.add_argument("cds")
parser.add_argument("--counts", default="0,2,8,32")
parser.add_argument("--cases", type=int, default=500)
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--no-callgrind", action="store_true")
args = parser.parse_args()
counts = [int(c) for c in args.counts.split(",")]

case = json.load(open(os.path.join(ROOT, "Tests/Vignettes/09-escalation-at-4-months.case.json")))
work = tempfile.mkdtemp(prefix="cds-modules-bench-")


def cases_file(n):
    path = os.path.join(work, f"cases-{n}.jsonl")
    with open(path, "w") as f:
        for i in range(n):
            c = dict(case)
            c["caseId"] = f"bench-{i}"
            f.write(json.dumps(c, separators=(",", ":")) + "\n")
    return path


def modules_dir(count):
    path = os.path.join(work, f"modules-{count}")
    os.makedirs(path, exist_ok=True)
    for i in range(count):
        mid = f"bench-module-{i:02d}"
        with open(os.path.join(path, f"{mid}.json"), "w") as f:
            json.dump({"id": mid, "executable": FIXTURE, "arguments": ["good", mid], "priority": 20, "timeoutMilliseconds": 20000}, f)
    return path


def run(count, cases, prefix=(), cds=None, env=None):
    command = list(prefix) + [cds or args.cds, "evaluate", "--batch", "--modules-dir", modules_dir(count), cases]
    started = time.perf_counter()
    r = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - started
    if r.returncode != 0:
        sys.exit(f"{' '.join(command)}: status {r.returncode}\n{r.stderr.decode()[-2000:]}")
    plans = r.stdout.splitlines()
    contributed = sum(1 for p in plans[:1] for m in json.loads(p)["modules"] if m["id"].startswith("bench-module") and m["status"] == "contributed")
    if contributed != count:
        sys.exit(f"{count} modules: only {contributed} contributed")
    return elapsed, hashlib.sha256(r.stdout).hexdigest()


_profiled = None


def profiled():
    """The binary callgrind runs, and its environment: a copy without debug information
    when objcopy is there (this machine's valgrind 3.19 cannot read the DWARF 5 of a release
    build), which, outside the build directory, is given the build's Catalog."""
    global _profiled
    if _profiled is None:
        _profiled = (args.cds, None)
        if shutil.which("objcopy"):
            copy = os.path.join(work, "cds-without-debug-info")
            if subprocess.run(["objcopy", "--strip-debug", args.cds, copy]).returncode == 0:
                _profiled = (copy, dict(os.environ, CDS_CATALOG=os.environ.get("CDS_CATALOG") or os.path.join(ROOT, "Catalog")))
    return _profiled


def instructions(count, cases):
    out = os.path.join(work, f"callgrind-{count}-{os.path.basename(cases)}.out")
    cds, env = profiled()
    run(count, cases, ["valgrind", "--tool=callgrind", "--trace-children=no", f"--callgrind-out-file={out}"], cds=cds, env=env)
    total = 0
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
    return total


many = cases_file(args.cases)
few = cases_file(max(1, args.cases // 5))
print(f"{args.cases} cases (vignette 09), `cds evaluate --batch`, {os.cpu_count()} lanes")
print(f"{'modules':>8} {'cases/s':>10} {'host Ir/case':>14} {'per module':>12}")
base = None
overheads = []
for count in counts:
    best, digest = None, None
    for _ in range(args.runs):
        elapsed, h = run(count, many)
        if digest is not None and h != digest:
            sys.exit(f"{count} modules: plans differ between runs")
        digest = h
        best = elapsed if best is None else min(best, elapsed)
    ir = per_module = ""
    if not args.no_callgrind and shutil.which("valgrind"):
        per_case = (instructions(count, many) - instructions(count, few)) / (args.cases - max(1, args.cases // 5))
        if count == 0:
            base = per_case
        ir = f"{per_case / 1000:.0f}k"
        if count and base is not None:
            overheads.append((per_case - base) / count)
            per_module = f"{overheads[-1] / 1000:.1f}k"
    print(f"{count:>8} {args.cases / best:>10.0f} {ir:>14} {per_module:>12}", flush=True)
shutil.rmtree(work)
if base is not None:
    print("targets (issue 17):")
    print(f"  {'met' if base < 500_000 else 'NOT met'}: instructions per case < 0.5M ({base / 1000:.0f}k, `cds evaluate --batch`, no module)")
    if overheads:
        worst = max(overheads)
        print(f"  {'met' if worst < 20_000 else 'NOT met'}: host overhead per external module and case < 20k (at most {worst / 1000:.1f}k)")
