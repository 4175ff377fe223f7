#!/usr/bin/env python3
"""Example external module in Python (no SDK): the module protocol by hand.

Decision: when a case has no NPRS reading, monitoring pain on the Numeric Pain Rating
Scale (a Catalog recommendation) is recommended, since improvement cannot be evaluated
without a baseline. Reads /measurements/nprs only.
"""
import json
import sys

PROTOCOL = {"major": 1, "minor": 0}
MODULE = {
    "id": "nprs-baseline-example",
    "version": "1.0.0",
    "apiVersion": "1.0",
    "summary": "Example external module (Python): NPRS monitoring when no baseline reading is recorded.",
    "reads": ["/measurements/nprs"],
}


def reply(message_id, result=None, error=None):
    message = {"jsonrpc": "2.0", "id": message_id}
    if error is not None:
        message["error"] = error
    else:
        message["result"] = result
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def assess(case):
    readings = case.get("measurements", {}).get("nprs", [])
    if readings:
        return []
    return [{
        "recommendation": "monitoring.nprs",
        "action": "recommend",
        "priority": 45,
        "rationale": {"rule": "no NPRS reading recorded: a baseline is needed to evaluate improvement", "facts": ["/measurements/nprs"]},
        "additionalEvidence": [],
    }]


def main():
    shutdown = False
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError as e:
            reply(None, error={"code": -32700, "message": f"parse error: {e}"})
            continue
        method, message_id = message.get("method"), message.get("id")
        if message_id is None:  # a notification
            if method == "exit":
                sys.exit(0 if shutdown else 1)
            continue
        params = message.get("params") or {}
        if method == "initialize":
            if params.get("protocolVersion", {}).get("major") != PROTOCOL["major"]:
                reply(message_id, error={"code": -32010, "message": "unsupported protocol version", "data": {"supported": [PROTOCOL]}})
            else:
                reply(message_id, {"protocolVersion": PROTOCOL, "module": MODULE, "capabilities": {}})
        elif method == "assess":
            case = params.get("case")
            if not isinstance(case, dict) or not isinstance(case.get("symptoms"), dict):
                reply(message_id, error={"code": -32602, "message": "the case does not have the shape of the case schema"})
            else:
                reply(message_id, {"proposals": assess(case)})
        elif method == "shutdown":
            shutdown = True
            reply(message_id, None)
        else:
            reply(message_id, error={"code": -32601, "message": f"method not found: {method}"})


if __name__ == "__main__":
    main()
