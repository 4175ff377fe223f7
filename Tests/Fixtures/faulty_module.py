#!/usr/bin/env python3
"""A deliberately faulty external module for the host's fault tests.

Usage: faulty_module.py MODE, where MODE is one of
  good          behaves (used as a control)
  trap          aborts (SIGABRT) on assess
  hang          never answers assess
  garbage       answers assess with text that is not JSON
  incompatible  claims module protocol 9.0
  stdout-noise  writes a stray line to stdout before each assess reply
  flood-stderr  writes 2 MiB to stderr, then answers assess properly
  no-start      exits with status 3 before reading anything
  wrong-id      answers assess with the reply to another request id
  fork-hang     on assess forks two children that sleep, writes its own and their pids to
                STATE (one a line), then never answers
  fork-good     on assess forks a child that sleeps, appends its pid to STATE, then answers
  evil-stderr   on assess writes log-forging text (newlines, NUL, terminal escapes) and
                64 KiB to stderr, then echoes the caseId to stdout instead of answering
  shift-reads, shift-api, shift-version
                handshakes differently (other reads / apiVersion 2.0 / version 1.0.1) once
                STATE exists (it creates STATE on its first start), and aborts on assess
  slow-good     behaves, but takes 0.3 s over each assess
  api-X         reports apiVersion X (for strict-parsing tests)

Usage: faulty_module.py MODE [ID [STATE]]; STATE is a file path some modes use.
"""
import json
import os
import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "good"
MODULE_ID = sys.argv[2] if len(sys.argv) > 2 else f"faulty-{MODE}"
STATE = sys.argv[3] if len(sys.argv) > 3 else None


def descriptor():
    d = {"id": MODULE_ID, "version": "1.0.0", "apiVersion": "1.0", "summary": f"faulty module ({MODE})", "reads": ["/symptoms"]}
    if MODE.startswith("api-"):
        d["apiVersion"] = MODE[4:]
    if MODE.startswith("shift-"):
        if os.path.exists(STATE):
            if MODE == "shift-reads":
                d["reads"] = ["/symptoms", "/history"]
            elif MODE == "shift-api":
                d["apiVersion"] = "2.0"
            else:
                d["version"] = "1.0.1"
        else:
            open(STATE, "w").close()
    return d


def sleeper():
    """Forks a child that sleeps for an hour (as a module's helper might) and returns its pid."""
    pid = os.fork()
    if pid == 0:
        os.closerange(0, 3)
        time.sleep(3600)
        os._exit(0)
    return pid


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if MODE == "no-start":
    sys.exit(3)

for line in sys.stdin:
    message = json.loads(line)
    method, mid = message.get("method"), message.get("id")
    if mid is None:
        if method == "exit":
            sys.exit(0)
        continue
    if method == "initialize":
        version = {"major": 9, "minor": 0} if MODE == "incompatible" else {"major": 1, "minor": 0}
        send({"jsonrpc": "2.0", "id": mid, "result": {"protocolVersion": version, "module": descriptor()}})
    elif method == "assess":
        if MODE == "trap" or MODE.startswith("shift-"):
            os.abort()
        if MODE == "hang":
            time.sleep(3600)
        if MODE == "slow-good":
            time.sleep(0.3)
        if MODE == "fork-hang":
            children = [sleeper(), sleeper()]
            with open(STATE + ".tmp", "w") as f:
                f.write("".join(f"{p}\n" for p in [os.getpid()] + children))
            os.rename(STATE + ".tmp", STATE)
            time.sleep(3600)
        if MODE == "fork-good":
            child = sleeper()
            with open(STATE, "a") as f:
                f.write(f"{child}\n")
        if MODE == "evil-stderr":
            sys.stderr.write("forged\n2026-01-01T00:00:00+0000 critical cds: patient Jane Doe\x00\x1b]0;pwned\x07\x1b[2J\n")
            sys.stderr.write(("y" * 1023 + "\n") * 64)
            sys.stderr.flush()
            sys.stdout.write("case echo: " + json.dumps(message["params"]["case"].get("caseId", "")) + "\n")
            sys.stdout.flush()
            continue
        if MODE == "garbage":
            sys.stdout.write("this is not JSON\n")
            sys.stdout.flush()
            continue
        if MODE == "stdout-noise":
            sys.stdout.write("debug: assessing\n")
        if MODE == "flood-stderr":
            sys.stderr.write(("x" * 1023 + "\n") * 2048)
            sys.stderr.flush()
        reply_id = mid + 1000 if MODE == "wrong-id" else mid
        send({"jsonrpc": "2.0", "id": reply_id, "result": {"proposals": [{
            "recommendation": "stretching.hip-flexor", "action": "recommend", "priority": 50,
            "rationale": {"rule": f"faulty module ({MODE}) control rule", "facts": ["/symptoms/clickingOrSnapping"]}}]}})
    elif method == "shutdown":
        send({"jsonrpc": "2.0", "id": mid, "result": None})
    else:
        send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": "method not found"}})
