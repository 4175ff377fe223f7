#!/usr/bin/env python3
"""Benchmark of `cds serve` against the reference C + json-c program, in one invocation so
that the ratios hold on a noisy machine (docs/performance.md).

Reports for both: throughput of case/evaluate (pipelined), latency p50/p99/max (one
request at a time), cold start (spawn to first reply of `initialize`), peak RSS.

Usage: bench.py CDS REFERENCE [--requests N] [--latency N] [--runs R]
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
parser.add_argument("--requests", type=int, default=20000)
parser.add_argument("--latency", type=int, default=2000)
parser.add_argument("--runs", type=int, default=3)
args = parser.parse_args()

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


def write_requests(n, path):
    """The requests go to a file, never held in this process: a child's peak RSS counts the
    pages it shared with this process before exec, so this process stays small."""
    first = []
    with open(path, "w") as f:
        for i in range(n):
            line = json.dumps({"jsonrpc": "2.0", "id": i, "method": "case/evaluate", "params": {"case": realistic_case(i)}}, separators=(",", ":")) + "\n"
            if i < args.latency:
                first.append(line)
            f.write(line)
    return first


def peak_rss_kib(pid):
    """VmHWM: the peak resident set of the process's current image. (ru_maxrss is no good
    here: it also counts the pages the child shared with this process before exec.)"""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def run_pipelined(command, path, expected):
    """Every request written as fast as the program takes them while this process reads the
    replies. The requests come from `cat` (not from this process, which would compete for
    the CPU), and the input stays open until every reply has arrived, so that the peak RSS
    can be read before the end of input lets the program exit."""
    feeder = subprocess.Popen(["sh", "-c", 'cat "$0"; read done', path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    start = time.perf_counter()
    p = subprocess.Popen(command, stdin=feeder.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    feeder.stdout.close()
    lines = size = 0
    while lines < expected and (chunk := p.stdout.read1(1 << 20)):
        lines += chunk.count(b"\n")
        size += len(chunk)
    elapsed = time.perf_counter() - start
    rss = peak_rss_kib(p.pid)
    feeder.communicate(b"\n")
    p.stdout.read()
    p.wait()
    return elapsed, lines, rss, size


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


requests_file = tempfile.NamedTemporaryFile(suffix=".ndjson", delete=False).name
lat_lines = write_requests(args.requests, requests_file)
# The reference builds a reply of the same size as cds's: cds's own reply to one request.
sample = subprocess.run([args.cds, "serve"], input=lat_lines[0], capture_output=True, text=True).stdout
template = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
json.dump(json.loads(sample)["result"], template)
template.close()

programs = {"cds serve": [args.cds, "serve"], "C + json-c": [args.reference, template.name]}
results = {}
for name, command in programs.items():
    runs = [run_pipelined(command, requests_file, args.requests) for _ in range(args.runs)]
    elapsed = statistics.median(r[0] for r in runs)
    replies = runs[0][1]
    if replies != args.requests:
        sys.exit(f"{name}: {replies} replies for {args.requests} requests")
    p50, p99, worst = run_latency(command, lat_lines)
    first = '{"jsonrpc":"2.0","id":0,"method":"initialize"}\n' if name == "cds serve" else lat_lines[0]
    results[name] = {
        "requests/s": args.requests / elapsed,
        "reply bytes": runs[0][3] / replies,
        "p50 ms": p50, "p99 ms": p99, "max ms": worst,
        "cold start ms": cold_start(command, first),
        "peak RSS MiB": max(r[2] for r in runs) / 1024,
    }
os.unlink(template.name)
os.unlink(requests_file)

ref = results["C + json-c"]["requests/s"]
print(f"{args.requests} case/evaluate requests, medians of {args.runs} runs, latency over {args.latency} sequential requests")
print(f"{'program':<12} {'req/s':>9} {'ratio':>6} {'reply B':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'cold ms':>8} {'RSS MiB':>8}")
for name, r in results.items():
    print(f"{name:<12} {r['requests/s']:>9.0f} {r['requests/s'] / ref:>6.2f} {r['reply bytes']:>8.0f} {r['p50 ms']:>7.3f} {r['p99 ms']:>7.3f} {r['max ms']:>7.3f} {r['cold start ms']:>8.1f} {r['peak RSS MiB']:>8.1f}")
print("batch mode (cds evaluate --batch): not built yet")
print("bench: 1 passed, 0 failed")
