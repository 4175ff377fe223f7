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
"""
import json
import os
import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "good"
MODULE_ID = sys.argv[2] if len(sys.argv) > 2 else f"faulty-{MODE}"


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
        send({"jsonrpc": "2.0", "id": mid, "result": {"protocolVersion": version, "module": {
            "id": MODULE_ID, "version": "1.0.0", "apiVersion": "1.0", "summary": f"faulty module ({MODE})", "reads": ["/symptoms"]}}})
    elif method == "assess":
        if MODE == "trap":
            os.abort()
        if MODE == "hang":
            time.sleep(3600)
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
