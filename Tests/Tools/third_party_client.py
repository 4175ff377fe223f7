#!/usr/bin/env python3
"""A JSON-RPC client nobody here wrote (jsonrpcclient, from PyPI) talks to `cds serve`.

jsonrpcclient builds every request and validates and parses every response; Python's
json module (with NaN/Infinity refused) checks that each line is strict JSON.
"""
import json
import os
import subprocess
import sys

from jsonrpcclient import Error, Ok, notification_json, parse, parse_json, request, request_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CDS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/cds")

passed = failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def strict_json(line):
    def refuse(constant):
        raise ValueError(f"non-JSON constant {constant}")
    return json.loads(line, parse_constant=refuse)


server = subprocess.Popen([CDS, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")


def exchange(text):
    server.stdin.write(text + "\n")
    server.stdin.flush()
    line = server.stdout.readline()
    strict_json(line)
    return line


case = json.load(open(os.path.join(ROOT, "Tests/Vignettes/17-lidocaine-allergy-at-escalation.case.json")))

r = parse_json(exchange(request_json("initialize", params={"clientInfo": {"name": "jsonrpcclient"}})))
check("initialize", isinstance(r, Ok) and r.result["serverInfo"]["name"] == "cds" and len(r.result["modules"]) == 7, r)

r = parse_json(exchange(request_json("ping")))
check("ping", isinstance(r, Ok) and r.result == {}, r)

r = parse_json(exchange(request_json("catalog/get", params={"id": "escalation.corticosteroid-injection"})))
check("catalog/get", isinstance(r, Ok) and r.result["dosage"]["parameters"]["methylprednisoloneMgMax"] == 80, r)

r = parse_json(exchange(request_json("case/evaluate", params={"case": case, "options": {"explain": True}})))
ok = isinstance(r, Ok)
actions = {item["id"]: item["action"] for item in r.result["recommendations"]} if ok else {}
check("case/evaluate", ok and actions.get("escalation.corticosteroid-injection") == "avoid" and actions.get("escalation.endoscopic-surgery") == "consider", r)
check("explanation", ok and r.result["explanation"].startswith("Plan for case 17-lidocaine-allergy-at-escalation"))

bad = dict(case, patient={"age": "old", "sex": "female"})
r = parse_json(exchange(request_json("case/evaluate", params={"case": bad})))
check("invalid case", isinstance(r, Error) and r.code == -32602 and any(e["path"] == "/patient/age" for e in r.data["errors"]), r)

r = parse_json(exchange(request_json("no/such/method")))
check("unknown method", isinstance(r, Error) and r.code == -32601, r)

# A notification gets no reply: the next reply read belongs to the following request.
server.stdin.write(notification_json("ping") + "\n")
r = parse_json(exchange(request_json("ping", id="after-notification")))
check("notification unanswered", isinstance(r, Ok) and r.id == "after-notification", r)

batch = [request("ping", id=101), request("catalog/list", id=102), request("nope", id=103)]
responses = list(parse(strict_json(exchange(json.dumps(batch)))))
check("batch", [type(x).__name__ for x in responses] == ["Ok", "Ok", "Error"] and [x.id for x in responses] == [101, 102, 103], responses)

big = 9007199254740993
r = parse_json(exchange(request_json("ping", id=big)))
check("int64 id", isinstance(r, Ok) and r.id == big, r)

server.stdin.close()
status = server.wait(timeout=30)
check("clean exit at end of input", status == 0, status)
check("nothing after the last reply", server.stdout.read() == "")

print(f"third-party client: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
