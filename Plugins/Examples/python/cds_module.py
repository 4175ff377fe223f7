"""The module protocol's side of an external module in Python, with no dependency.

`serve(module, assess)` answers `initialize` with the descriptor `module`, `assess` with
the proposals `assess(case)` returns, then `shutdown` and `exit`, one JSON-RPC message a line
on standard input and output (docs/module-protocol.md). Nothing else may write to stdout.
"""
import json
import sys

PROTOCOL = {"major": 1, "minor": 0}


def _reply(message_id, result=None, error=None):
    message = {"jsonrpc": "2.0", "id": message_id}
    if error is not None:
        message["error"] = error
    else:
        message["result"] = result
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def serve(module, assess, accepts=lambda case: isinstance(case, dict)):
    """Runs the module until the host says `exit` (status 0 after `shutdown`, else 1).
    `accepts(case)` tells a case the module can read from one it cannot (an invalid-params
    error)."""
    shutdown = False
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError as e:
            _reply(None, error={"code": -32700, "message": f"parse error: {e}"})
            continue
        method, message_id = message.get("method"), message.get("id")
        if message_id is None:  # a notification
            if method == "exit":
                sys.exit(0 if shutdown else 1)
            continue
        params = message.get("params") or {}
        if method == "initialize":
            if params.get("protocolVersion", {}).get("major") != PROTOCOL["major"]:
                _reply(message_id, error={"code": -32010, "message": "unsupported protocol version", "data": {"supported": [PROTOCOL]}})
            else:
                _reply(message_id, {"protocolVersion": PROTOCOL, "module": module, "capabilities": {}})
        elif method == "assess":
            case = params.get("case")
            if not accepts(case):
                _reply(message_id, error={"code": -32602, "message": "the case does not have the shape of the case schema"})
            else:
                _reply(message_id, {"proposals": assess(case)})
        elif method == "shutdown":
            shutdown = True
            _reply(message_id, None)
        else:
            _reply(message_id, error={"code": -32601, "message": f"method not found: {method}"})
