#!/usr/bin/env python3
"""kill -9 storms on one feedback log shared by several `cds serve --feedback-log F`.

Each scenario starts SERVERS servers on the same log. Each evaluates a case in CDS Hooks
format (to be issued cards), then sends feedback/record requests (1 to 4 entries, each with
a unique outcomeTimestamp) one after another; a reply with `result.recorded` acknowledges them.
Meanwhile a killer sends SIGKILL to a random server at random moments, and the killed one
is started again. At the end every acknowledged record must be in the log exactly once,
the log must hold no NUL byte, every line but at most one torn last line must be a whole
record, and `cds feedback report F` must read it (exit 0, its counts equal the records).

Scenarios:
  plain      servers on an ordinary directory;
  fsize      half the servers run under a small RLIMIT_FSIZE (writes past it fail part-way,
             as on a full disk, and their cut-back must not cut the others' lines);
  tmpfs      a nearly full tmpfs (needs mount; skipped, and said so, where mount is not
             allowed): filler files keep it full, one is deleted now and then.

Usage: feedback_storm.py CDS [SECONDS_PER_SCENARIO]"""
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CDS = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/cds")
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 6.0
SERVERS = 4
CASE = open(os.path.join(ROOT, "Tests/Vignettes/16-nsaid-contraindication.case.json")).read().replace("\n", "")
EVALUATE = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "case/evaluate",
                       "params": {"case": json.loads(CASE), "options": {"format": "cds-hooks"}}})


class Server:
    """One `cds serve` and its request loop (run in a thread)."""

    def __init__(self, index, log, fsize, acked, lock):
        self.index, self.log, self.fsize, self.acked, self.lock = index, log, fsize, acked, lock
        self.generation = 0
        self.proc = None
        self.failures = 0
        self.error = None

    def start(self):
        limit = self.fsize

        def preexec():
            if limit:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        self.generation += 1
        with open(self.log + f".stderr-{self.index}", "ab") as stderr:
            self.proc = subprocess.Popen([CDS, "serve", "--feedback-log", self.log], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=stderr, preexec_fn=preexec)

    def call(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise EOFError
        return json.loads(reply)

    def run(self, stop):
        n = 0
        while not stop.is_set():
            try:
                self.start()
                cards = self.call(EVALUATE)["result"]["cards"]
                while not stop.is_set():
                    items, comments = [], []
                    for _ in range(random.randint(1, 4)):
                        n += 1
                        card = random.choice(cards)
                        # The fraction of a second makes each record unique.
                        stamp = f"2026-03-02T10:00:00.{self.index + 1}{self.generation:05}{n:08}Z"
                        comments.append(stamp)
                        items.append({"card": card["uuid"], "outcome": "overridden",
                                      "overrideReason": {"userComment": "x" * random.randint(1, 3000)},
                                      "outcomeTimestamp": stamp})
                    reply = self.call(json.dumps({"jsonrpc": "2.0", "id": n, "method": "feedback/record",
                                                  "params": {"feedback": items}}))
                    if reply.get("result", {}).get("recorded") == len(items):
                        with self.lock:
                            self.acked.extend(comments)
                    else:
                        assert reply.get("error", {}).get("code") == -32006, reply
                        self.failures += 1
                        time.sleep(0.005)
            except (EOFError, BrokenPipeError, ValueError, OSError):
                pass  # killed: start again
            except Exception as e:  # an unexpected reply: the scenario fails
                self.error = e
                stop.set()
            finally:
                if self.proc:
                    self.proc.kill()
                    self.proc.wait()


def check(log, acked, name):
    data = open(log, "rb").read() if os.path.exists(log) else b""
    assert b"\0" not in data, f"{name}: NUL bytes in the log"
    lines = data.split(b"\n")
    torn = lines.pop()  # after the last newline: empty, or one torn tail
    comments, records = {}, 0
    for i, line in enumerate(lines):
        entry = json.loads(line)  # every whole line is a record
        records += 1
        c = entry["outcomeTimestamp"]
        comments[c] = comments.get(c, 0) + 1
    lost = [c for c in acked if c not in comments]
    assert not lost, f"{name}: {len(lost)} acknowledged records lost, e.g. {lost[0][:40]}"
    twice = [c for c, k in comments.items() if k > 1]
    assert not twice, f"{name}: {len(twice)} records written twice"
    r = subprocess.run([CDS, "feedback", "report", log], capture_output=True, text=True)
    assert r.returncode == 0, f"{name}: report failed: {r.stderr}"
    counted = 0
    for row in r.stdout.split("\n\n")[0].splitlines()[1:]:
        cols = row.split()
        counted += int(cols[1]) + int(cols[2])
    assert counted == records, f"{name}: the report counts {counted} records, the log holds {records}"
    return records, len(torn)


def storm(name, directory, fsize_for=lambda i: 0, during=None):
    log = os.path.join(directory, "feedback.ndjson")
    acked, lock, stop = [], threading.Lock(), threading.Event()
    servers = [Server(i, log, fsize_for(i), acked, lock) for i in range(SERVERS)]
    threads = [threading.Thread(target=s.run, args=(stop,), daemon=True) for s in servers]
    for t in threads:
        t.start()
    kills, end = 0, time.time() + SECONDS
    while time.time() < end:
        time.sleep(random.uniform(0.01, 0.2))
        victim = random.choice(servers)
        if victim.proc and victim.proc.poll() is None:
            victim.proc.send_signal(signal.SIGKILL)
            kills += 1
        if during:
            during()
    stop.set()
    for s in servers:
        if s.proc and s.proc.poll() is None:
            s.proc.kill()
    for t in threads:
        t.join(timeout=10)
    errors = [s.error for s in servers if s.error]
    assert not errors, f"{name}: {errors[0]!r}"
    assert acked or name == "tmpfs", f"{name}: nothing was acknowledged"
    records, torn = check(log, acked, name)
    failures = sum(s.failures for s in servers)
    repairs = 0
    for i in range(SERVERS):
        path = log + f".stderr-{i}"
        if os.path.exists(path):
            repairs += open(path, "rb").read().count(b"repaired the feedback log")
            os.unlink(path)
    print(f"feedback storm {name}: {len(acked)} acknowledged, {records} records in the log, "
          f"{kills} kill -9, {failures} refused writes, {repairs} torn lines repaired, final torn tail {torn} bytes: nothing lost")


def main():
    random.seed(int(os.environ.get("STORM_SEED", "12")))
    base = tempfile.mkdtemp(prefix="feedback-storm-")
    try:
        os.mkdir(os.path.join(base, "plain"))
        storm("plain", os.path.join(base, "plain"))
        os.mkdir(os.path.join(base, "fsize"))
        storm("fsize", os.path.join(base, "fsize"), fsize_for=lambda i: 96 * 1024 if i % 2 else 0)
        mount = os.path.join(base, "tmpfs")
        os.mkdir(mount)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", mount], capture_output=True).returncode != 0:
            print("feedback storm tmpfs: skipped (mount not allowed here)")
            return
        try:
            logdir = os.path.join(mount, "log")
            os.mkdir(logdir)
            fillers = []
            for i in range(64):
                path = os.path.join(mount, f"filler-{i}")
                try:
                    with open(path, "wb") as f:
                        f.write(b"f" * 8192)
                    fillers.append(path)
                except OSError:
                    break

            def free_some():
                if fillers and random.random() < 0.1:
                    os.unlink(fillers.pop())

            storm("tmpfs", logdir, during=free_some)
        finally:
            subprocess.run(["umount", "-l", mount])
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
