#!/usr/bin/env python3
"""Benchmark of `cds serve` and `cds evaluate --batch` against the reference C + json-c
program and the physical floor (parse with json-c, write a precomputed reply with the id
spliced in), in one invocation so that the ratios hold on a noisy machine
(docs/performance.md).

Reports throughput of case/evaluate (pipelined; runs of the programs interleaved), latency
p50/p99/max (one request at a time), cold start (spawn to the first reply, `initialize` for
cds, which loads the Catalog and every module first), idle RSS of `cds serve` after its
first reply, peak RSS (VmHWM), batch mode with one lane and with every lane (its
scaling), and with --flat N the resident memory of one `cds serve` session over N
requests.

The batch curve: the same `case/evaluate` requests sent to `cds serve` one per line and
as JSON-RPC batch lines of 10, 100 and 1,000 members, runs interleaved, best of them, with
the cost per evaluation of each size against one per line (wall clock, and the process's
CPU time from `wait4`, which the rest of the machine disturbs less).

Usage: bench.py CDS REFERENCE FLOOR [--requests N] [--latency N] [--runs R] [--flat N] [--batch-requests N]
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

parser = argparse.ArgumentParser()
parser.add_argument("cds")
parser.add_argument("reference")
parser.add_argument("floor")
parser.add_argument("--requests", type=int, default=20000)
parser.add_argument("--latency", type=int, default=2000)
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--flat", type=int, default=0, help="also stream this many requests through one session and sample its RSS")
parser.add_argument("--batch-requests", type=int, default=6000,
                    help="requests for the JSON-RPC batch curve (lines of 1, 10, 100 and 1,000 members); a multiple of 1,000, 0 for none")
args = parser.parse_args()
if args.batch_requests % 1000:
    parser.error("--batch-requests must be a multiple of 1,000")
LANES = os.cpu_count() or 1

random.seed(7)
base = json.load(open(os.path.join(ROOT, "Tests/Vignettes/01-new-patient.case.json")))


def realistic_case(i):
    """Varied, valid cases: every field the modules read, drawn from the schema's values."""
    c = json.loads(json.dumps(base))
    c["caseId"] = f"bench-{i}"
    c["patient"] = {"age": random.randint(14, 85), "sex": random.choice(["female", "male"])}
    c["symptoms"] = {k: random.random() < 0.7 for k in base["symptoms"]}
    c["symptoms"]["anteriorHipOrGroinPain"] = True
    if random.random() < 0.3:
        c["population"] = {"group": random.choice(["dancer", "athlete"]), "level": random.choice(["student", "professional", "competitive"])}
    c["conservativeCare"] = {"months": random.choice([1, 2, 3, 4, 5, 7]), "outcome": random.choice(["improving", "not-improving"])}
    tier = random.choice(["none", "low", "moderate", "high", "advanced"])
    c["exercise"] = {"currentTier": tier} | ({} if tier == "none" else {"tolerated": random.random() < 0.7})
    if random.random() < 0.15:
        c["allergies"] = [{"substance": random.choice(["nsaid", "lidocaine"])}]
    return c


def write_requests(n, path, cases_path):
    """The requests (and, for batch mode, the same cases one per line) go to files, never
    held in this process."""
    first = []
    with open(path, "w") as f, open(cases_path, "w") as cases:
        for i in range(n):
            c = realistic_case(i)
            line = json.dumps({"jsonrpc": "2.0", "id": i, "method": "case/evaluate", "params": {"case": c}}, separators=(",", ":")) + "\n"
            if i < args.latency:
                first.append(line)
            f.write(line)
            cases.write(json.dumps(c, separators=(",", ":")) + "\n")
    return first


def peak_rss_kib(pid):
    """VmHWM: the peak resident set of the process's current image. (ru_maxrss is no good
    here: it also counts the pages the child shared with this process before exec.)"""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def run_processes(jobs):
    """Programs run at once, each reading its whole input from its own file (every request
    available at once) and writing to its own `wc` (C, cheap: the consumer should not
    compete with the program for the CPU): elapsed time until the last exits, replies and
    bytes summed, the largest peak RSS (VmHWM, polled while they run)."""
    started = []
    start = time.perf_counter()
    for command, path in jobs:
        requests = open(path, "rb")
        counter = subprocess.Popen(["wc", "-lc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        p = subprocess.Popen(command, stdin=requests, stdout=counter.stdin, stderr=subprocess.DEVNULL)
        counter.stdin.close()
        started.append((p, counter, requests))
    peak = 0
    while any(p.poll() is None for p, _, _ in started):
        for p, _, _ in started:
            try:
                peak = max(peak, peak_rss_kib(p.pid))
            except OSError:
                pass
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    lines = size = 0
    for _, counter, requests in started:
        l, b = (int(x) for x in counter.stdout.read().split())
        counter.wait()
        requests.close()
        lines, size = lines + l, size + b
    return elapsed, lines, peak, size


def run_cpu(command, path):
    """One program reading its whole input from a file into `wc`: elapsed seconds, reply
    lines, reply bytes and its CPU seconds (user + system, from `wait4`)."""
    with open(path, "rb") as requests:
        counter = subprocess.Popen(["wc", "-lc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        start = time.perf_counter()
        p = subprocess.Popen(command, stdin=requests, stdout=counter.stdin, stderr=subprocess.DEVNULL)
        counter.stdin.close()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - start
        lines, size = (int(x) for x in counter.stdout.read().split())
        counter.wait()
    return elapsed, lines, size, usage.ru_utime + usage.ru_stime


def batch_curve(requests_path, total, sizes=(1, 10, 100, 1000)):
    """The same `total` requests (the first requests of the run, cycled, with fresh ids) as
    lines of each batch size; the runs interleaved. Checks that each batch line's reply is
    the members' replies in order (its byte count is the single replies' plus 2 per line:
    the brackets; commas take the newlines' place)."""
    with open(requests_path) as f:
        originals = [json.loads(line) for _, line in zip(range(total), f)]
    members = []
    for i in range(total):
        m = dict(originals[i % len(originals)])
        m["id"] = i
        members.append(json.dumps(m, separators=(",", ":")))
    paths = {}
    for size in sizes:
        path = tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False)
        for k in range(0, total, size):
            chunk = members[k:k + size]
            path.write((chunk[0] if size == 1 else "[" + ",".join(chunk) + "]") + "\n")
        path.close()
        paths[size] = path.name
    best = {size: None for size in sizes}
    for _ in range(args.runs):
        for size in sizes:
            elapsed, lines, size_bytes, cpu = run_cpu([args.cds, "serve"], paths[size])
            if lines != total // size:
                sys.exit(f"bench: batch lines of {size}: {lines} replies for {total // size} lines")
            if best[size] is None:
                best[size] = [elapsed, cpu, size_bytes]
            else:
                best[size] = [min(best[size][0], elapsed), min(best[size][1], cpu), size_bytes]
    for size in sizes:
        os.unlink(paths[size])
        if best[size][2] != best[1][2] + (2 * total // size if size > 1 else 0):
            sys.exit(f"bench: batch lines of {size}: {best[size][2]} reply bytes, not the single replies' {best[1][2]} plus the brackets")
    return best


def run_session(command, path, total, repeat):
    """One long session: the requests file `repeat` times through one process (from `cat`,
    into `wc`), resident memory sampled every 100 ms until it ends."""
    feeder = subprocess.Popen(["sh", "-c", 'i=0; while [ $i -lt "$1" ]; do cat "$0"; i=$((i+1)); done', path, str(repeat)], stdout=subprocess.PIPE)
    counter = subprocess.Popen(["wc", "-l"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    start = time.perf_counter()
    p = subprocess.Popen(command, stdin=feeder.stdout, stdout=counter.stdin, stderr=subprocess.DEVNULL)
    feeder.stdout.close()
    counter.stdin.close()
    samples, peak = [], 0
    while p.poll() is None:
        try:
            samples.append(current_rss_kib(p.pid))
            peak = max(peak, peak_rss_kib(p.pid))
        except OSError:
            pass
        time.sleep(0.1)
    elapsed = time.perf_counter() - start
    lines = int(counter.stdout.read().split()[0])
    counter.wait()
    feeder.wait()
    return elapsed, lines, peak, samples


def run_latency(command, lines):
    p = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    samples = []
    for line in lines:
        start = time.perf_counter()
        p.stdin.write(line.encode())
        p.stdin.flush()
        p.stdout.readline()
        samples.append((time.perf_counter() - start) * 1e3)
    p.stdin.close()
    p.wait()
    samples.sort()
    return samples[len(samples) // 2], samples[int(len(samples) * 0.99) - 1], samples[-1]


def cold_start(command, first_line):
    best = []
    for _ in range(10):
        start = time.perf_counter()
        p = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        p.stdin.write(first_line.encode())
        p.stdin.flush()
        p.stdout.readline()
        best.append((time.perf_counter() - start) * 1e3)
        p.stdin.close()
        p.wait()
    return statistics.median(best)


INITIALIZE = '{"jsonrpc":"2.0","id":0,"method":"initialize"}\n'


def idle_rss_kib(command):
    """Resident memory of a server that has answered its first request (`initialize`:
    Catalog loaded, every module registered) and waits for the next; median of 5."""
    samples = []
    for _ in range(5):
        p = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        p.stdin.write(INITIALIZE.encode())
        p.stdin.flush()
        p.stdout.readline()
        time.sleep(0.05)
        samples.append(current_rss_kib(p.pid))
        p.stdin.close()
        p.wait()
    return statistics.median(samples)


def current_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


requests_file = tempfile.NamedTemporaryFile(suffix=".ndjson", delete=False).name
cases_file = tempfile.NamedTemporaryFile(suffix=".ndjson", delete=False).name
lat_lines = write_requests(args.requests, requests_file, cases_file)
# The reference builds, and the floor copies, a reply of the size of cds's: the result of
# cds's own reply to one of the first requests, the one whose size is nearest the mean of
# theirs, written as cds writes it (compact, UTF-8).
samples = subprocess.run([args.cds, "serve"], input="".join(lat_lines[:200]), capture_output=True, text=True).stdout.splitlines()
mean = statistics.mean(len(r.encode()) for r in samples)
sample = min(samples, key=lambda r: abs(len(r.encode()) - mean))
template = tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".json", delete=False)
json.dump(json.loads(sample)["result"], template, separators=(",", ":"), ensure_ascii=False)
template.close()

# Batch output must be the plans case/evaluate gives, in input order.
batch_check = subprocess.run([args.cds, "evaluate", "--batch", "-"], input="".join(json.dumps(json.loads(l)["params"]["case"]) + "\n" for l in lat_lines[:50]),
                             capture_output=True, text=True)
served = subprocess.run([args.cds, "serve"], input="".join(lat_lines[:50]), capture_output=True, text=True).stdout.splitlines()
if batch_check.returncode != 0 or batch_check.stdout.splitlines() != [json.dumps(json.loads(r)["result"], separators=(",", ":"), ensure_ascii=False) for r in served]:
    sys.exit("bench: cds evaluate --batch does not give case/evaluate's plans in input order")

programs = {
    "cds serve": ([args.cds, "serve"], requests_file),
    "C + json-c": ([args.reference, template.name], requests_file),
    "floor": ([args.floor, template.name], requests_file),
    "batch, 1 lane": ([args.cds, "evaluate", "--batch", "--workers", "1", "-"], cases_file),
    f"batch, {LANES} lanes": ([args.cds, "evaluate", "--batch", "--workers", str(LANES), "-"], cases_file),
}
# The same cases split between separate single-lane processes, which share nothing: what
# the machine gives two independent evaluators, the ceiling for batch mode's lanes.
halves = []
with open(cases_file) as f:
    cases = f.readlines()
for k in range(LANES):
    part = tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False)
    part.writelines(cases[k::LANES])
    part.close()
    halves.append(part.name)
separate = f"{LANES} processes"
programs[separate] = ([(([args.cds, "evaluate", "--batch", "--workers", "1", "-"]), h) for h in halves], None)
runs = {name: [] for name in programs}
for _ in range(args.runs):
    # Interleaved, so that a slow spell of the machine hits every program alike.
    for name, (command, path) in programs.items():
        r = run_processes(command if path is None else [(command, path)])
        if r[1] != args.requests:
            sys.exit(f"bench: {name}: {r[1]} replies for {args.requests} requests")
        runs[name].append(r)

results = {}
for name, (command, _) in programs.items():
    # Best of the interleaved runs: interference from the rest of the machine only ever
    # slows a run down, so the fastest run is the least disturbed one (as timeit does).
    elapsed = min(r[0] for r in runs[name])
    results[name] = {
        "requests/s": args.requests / elapsed,
        "reply bytes": runs[name][0][3] / args.requests,
        "peak RSS MiB": max(r[2] for r in runs[name]) / 1024,
    }
    if not name.startswith("batch") and name != separate:
        p50, p99, worst = run_latency(command, lat_lines)
        first = INITIALIZE if name == "cds serve" else lat_lines[0]
        results[name] |= {"p50 ms": p50, "p99 ms": p99, "max ms": worst, "cold start ms": cold_start(command, first)}
idle_kib = idle_rss_kib([args.cds, "serve"])
curve = batch_curve(requests_file, args.batch_requests) if args.batch_requests else None

flat = None
if args.flat:
    repeat = -(-args.flat // args.requests)
    elapsed, lines, peak, samples = run_session([args.cds, "serve"], requests_file, repeat * args.requests, repeat)
    if lines != repeat * args.requests:
        sys.exit(f"bench: the long session gave {lines} replies for {repeat * args.requests} requests")
    # Ten evenly spaced samples, the first after the first tenth of the session.
    picks = [samples[min(len(samples) - 1, (k + 1) * len(samples) // 10)] for k in range(10)] if samples else [0]
    flat = (lines, elapsed, peak, picks)

os.unlink(template.name)
os.unlink(requests_file)
os.unlink(cases_file)
for h in halves:
    os.unlink(h)

ref = results["C + json-c"]["requests/s"]
floor = results["floor"]["requests/s"]
print(f"{args.requests} case/evaluate requests, best of {args.runs} interleaved runs, latency over {args.latency} sequential requests, {LANES} processors")
print(f"{'program':<15} {'req/s':>9} {'/ref':>6} {'/floor':>6} {'reply B':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'cold ms':>8} {'RSS MiB':>8}")


def cell(r, key, fmt):
    return format(r[key], fmt) if key in r else format("-", fmt.split(".")[0].rstrip("f") or ">")


for name, r in results.items():
    print(f"{name:<15} {r['requests/s']:>9.0f} {r['requests/s'] / ref:>6.2f} {r['requests/s'] / floor:>6.2f} {r['reply bytes']:>8.0f} {cell(r, 'p50 ms', '>7.3f')} {cell(r, 'p99 ms', '>7.3f')} "
          f"{cell(r, 'max ms', '>7.3f')} {cell(r, 'cold start ms', '>8.1f')} {r['peak RSS MiB']:>8.1f}")
cds = results["cds serve"]
scaling = results[f"batch, {LANES} lanes"]["requests/s"] / results["batch, 1 lane"]["requests/s"]
ceiling = results[separate]["requests/s"] / results["batch, 1 lane"]["requests/s"]
one_lane = results["batch, 1 lane"]["requests/s"] / floor
print(f"batch scaling, {LANES} lanes over 1: {scaling:.2f}x ({LANES} separate single-lane processes: {ceiling:.2f}x)")
print(f"cds serve: {cds['requests/s'] / ref:.2f}x the reference, {cds['requests/s'] / floor:.2f}x the floor; one lane (batch): {one_lane:.2f}x the floor")
print(f"idle RSS of cds serve after its first reply: {idle_kib / 1024:.1f} MiB")
if curve:
    print(f"JSON-RPC batch lines to cds serve, {args.batch_requests} case/evaluate requests, best of {args.runs} interleaved runs:")
    print(f"{'members/line':>12} {'req/s':>9} {'x 1/line':>8} {'CPU us/req':>10} {'x 1/line':>8}")
    for size, (elapsed, cpu, _) in curve.items():
        print(f"{size:>12} {args.batch_requests / elapsed:>9.0f} {elapsed / curve[1][0]:>8.2f} {cpu / args.batch_requests * 1e6:>10.1f} {cpu / curve[1][1]:>8.2f}")
if flat:
    lines, elapsed, peak, samples = flat
    print(f"memory over {lines} requests in one session ({lines / elapsed:.0f} req/s): RSS MiB at each tenth of it: "
          + " ".join(f"{kib / 1024:.1f}" for kib in samples) + f"; peak {peak / 1024:.1f}")

print("targets (issue 7):")
for label, met in [
    ("case/evaluate throughput >= 1.5x the reference", cds["requests/s"] / ref >= 1.5),
    ("p99 latency < 1 ms", cds["p99 ms"] < 1.0),
    ("cold start < 25 ms", cds["cold start ms"] < 25.0),
    ("peak RSS serving < 16 MiB", cds["peak RSS MiB"] < 16.0),
    (f"batch mode scales >= 1.8x on {LANES} lanes", scaling >= 1.8),
] + ([("memory flat: the last tenth within 1 MiB of the first", flat[3][-1] - flat[3][0] <= 1024)] if flat else []):
    print(f"  {'met' if met else 'NOT met'}: {label}")
print("targets (issue 17):")
for label, met in [
    ("cold start < 8 ms", cds["cold start ms"] < 8.0),
    ("idle RSS < 10 MiB", idle_kib < 10 * 1024),
    ("one lane >= 0.25x the floor", one_lane >= 0.25),
] + ([("a 1,000-member batch line costs <= 1.3x per evaluation of one per line (wall clock)", curve[1000][0] <= 1.3 * curve[1][0])] if curve and 1000 in curve else []):
    print(f"  {'met' if met else 'NOT met'}: {label}")
print("bench: 1 passed, 0 failed")
