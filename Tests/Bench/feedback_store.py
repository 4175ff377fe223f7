#!/usr/bin/env python3
"""Cost per acknowledged feedback record of the two candidate stores (docs/reliability.md).

  jsonl    what FeedbackLog does: open, flock, check the last byte, one O_APPEND write,
           fsync, close, per record (Python's os calls, the same system calls);
  sqlite   SQLite (the library GRDB wraps), one INSERT per transaction, WAL journal,
           synchronous=FULL (an acknowledged row survives a power cut), connection kept open;
  sqlite-delete  the same with the rollback journal (journal_mode=DELETE);
  cds      the real thing: `cds serve --feedback-log` answering N feedback/record requests
           of one entry each, end to end over its pipes (if CDS is given).

Usage: feedback_store.py DIRECTORY [N] [CDS]   (DIRECTORY on the filesystem to measure)"""
import fcntl
import json
import os
import sqlite3
import subprocess
import sys
import time

DIR = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 500
CDS = sys.argv[3] if len(sys.argv) > 3 else None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECORD = {"card": "27e3cd72-1253-8d06-90c0-30f8083015fb", "recommendation": "initial.nsaids", "outcome": "overridden",
          "overrideReason": {"reason": {"system": "http://ehr.example.org/override-reasons", "code": "pt-declined"},
                             "userComment": "Prefers paracetamol"}, "outcomeTimestamp": "2026-03-02T10:00:00Z"}


def jsonl(path):
    line = (json.dumps(RECORD, separators=(",", ":")) + "\n").encode()
    for _ in range(N):
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size:
            os.pread(fd, 1, size - 1)
        os.write(fd, line)
        os.fsync(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def sqlite(path, journal):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA journal_mode={journal}")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS feedback (card TEXT, recommendation TEXT, outcome TEXT, "
               "reason_system TEXT, reason_code TEXT, user_comment TEXT, outcome_timestamp TEXT)")
    r = RECORD
    row = (r["card"], r["recommendation"], r["outcome"], r["overrideReason"]["reason"]["system"],
           r["overrideReason"]["reason"]["code"], r["overrideReason"]["userComment"], r["outcomeTimestamp"])
    for _ in range(N):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO feedback VALUES (?,?,?,?,?,?,?)", row)
        db.execute("COMMIT")
    db.close()


def cds(path):
    case = json.load(open(os.path.join(ROOT, "Tests/Vignettes/16-nsaid-contraindication.case.json")))
    p = subprocess.Popen([CDS, "serve", "--feedback-log", path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    def call(message):
        p.stdin.write((json.dumps(message) + "\n").encode())
        p.stdin.flush()
        return json.loads(p.stdout.readline())
    cards = call({"jsonrpc": "2.0", "id": 0, "method": "case/evaluate", "params": {"case": case, "options": {"format": "cds-hooks"}}})["result"]["cards"]
    item = dict(RECORD)
    del item["recommendation"]
    item["card"] = cards[0]["uuid"]
    start = time.perf_counter()
    for i in range(N):
        assert call({"jsonrpc": "2.0", "id": i + 1, "method": "feedback/record", "params": {"feedback": [item]}})["result"]["recorded"] == 1
    elapsed = time.perf_counter() - start
    p.stdin.close()
    p.wait()
    return elapsed


def measure(name, run):
    path = os.path.join(DIR, f"bench-{name}-{os.getpid()}")
    try:
        start = time.perf_counter()
        elapsed = run(path)
        elapsed = elapsed if isinstance(elapsed, float) else time.perf_counter() - start
        size = os.path.getsize(path)
        print(f"{name:14} {elapsed / N * 1e6:9.0f} µs per record   {size / N:6.0f} bytes per record")
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)


print(f"{N} records, one per transaction, in {DIR} (sqlite {sqlite3.sqlite_version})")
measure("jsonl", jsonl)
measure("sqlite-wal", lambda p: sqlite(p, "WAL"))
measure("sqlite-delete", lambda p: sqlite(p, "DELETE"))
if CDS:
    measure("cds", cds)
