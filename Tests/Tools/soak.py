#!/usr/bin/env python3
"""Bounded soak of `cds serve`: N mixed messages (valid and invalid requests, notifications,
batches, evaluations) streamed through one session. Checks that every request got exactly
one reply, in order, nothing else came back, and resident memory stayed flat (the peak in
the second half is within a tolerance of the peak in the first half).

Usage: soak.py CDS [N]   (CI runs a short N; docs/reliability.md gives the full run)"""
import json
import os
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CDS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/cds")
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
case = open(os.path.join(ROOT, "Tests/Vignettes/16-nsaid-contraindication.case.json")).read().replace("\n", "")


def message(i):
    kind = i % 10
    if kind == 0:
        return f'{{"jsonrpc":"2.0","id":{i},"method":"case/evaluate","params":{{"case":{case}}}}}', [i]
    if kind == 1:
        return '{"jsonrpc":"2.0","method":"ping"}', []            # notification: no reply
    if kind == 2:
        return f'{{"jsonrpc":"2.0","id":{i},"method":"ping",}}', ["null"]  # trailing comma: -32700
    if kind == 3:
        return f'[{{"jsonrpc":"2.0","id":{i},"method":"ping"}},{{"jsonrpc":"2.0","method":"ping"}}]', [("batch", i)]
    if kind == 4:
        return f'{{"jsonrpc":"2.0","id":"s{i}","method":"no/such"}}', [f"s{i}"]
    return f'{{"jsonrpc":"2.0","id":{i},"method":"ping"}}', [i]


expected = []
server = subprocess.Popen([CDS, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def feed():
    for i in range(N):
        text, replies = message(i)
        expected.extend(replies)
        server.stdin.write((text + "\n").encode())
    server.stdin.close()


samples = []
stop = False


def sample():
    while not stop:
        try:
            rss = [l for l in open(f"/proc/{server.pid}/status") if l.startswith("VmRSS")][0].split()[1]
            samples.append(int(rss))
        except (OSError, IndexError):
            pass
        time.sleep(0.05)


writer = threading.Thread(target=feed)
sampler = threading.Thread(target=sample)
started = time.time()
writer.start()
sampler.start()
replies = [line for line in server.stdout]
server.wait()
stop = True
writer.join()
sampler.join()
elapsed = time.time() - started

failures = []
if len(replies) != len(expected):
    failures.append(f"{len(replies)} replies for {len(expected)} expected")
for n, (line, want) in enumerate(zip(replies, expected)):
    got = json.loads(line)
    if isinstance(want, tuple):
        ok = isinstance(got, list) and len(got) == 1 and got[0]["id"] == want[1]
    elif want == "null":
        ok = got["id"] is None and got["error"]["code"] == -32700
    else:
        ok = isinstance(got, dict) and got["id"] == want
    if not ok:
        failures.append(f"reply {n}: expected id {want}, got {line[:120]}")
        break
half = len(samples) // 2
first, second = max(samples[:half] or [0]), max(samples[half:] or [0])
flat = second <= first * 1.2 + 4096
if not flat:
    failures.append(f"memory grew: peak {first} KiB in the first half, {second} KiB in the second")
print(f"soak: {N} messages, {len(expected)} replies, {elapsed:.1f} s, peak RSS {first} then {second} KiB, exit {server.returncode}")
for f in failures:
    print("FAIL", f)
print(f"soak: {0 if failures else 1} passed, {1 if failures else 0} failed")
sys.exit(1 if failures or server.returncode != 0 else 0)
