#!/usr/bin/env python3
"""Load test of `cds hooks serve` (wrk on loopback, bounded by time), beside `cds serve`
on the same patient-view request (JSON-RPC over a pipe), for docs/performance.md.

Every HTTP request carries its own ES384 JWT (minted here with PyJWT; the service refuses a
replayed jti), so the figures include signature verification. Printed: requests/s and
p50/p99 latency for one connection and for several, with and without JWTs, and for
`cds serve` one request at a time and pipelined.

usage: hooks_load.py path/to/cds [--seconds N] [--smoke]"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tools"))
import hooks_http_test as h  # noqa: E402  (keys, tokens, the realistic request, the server wrapper)

WRK_SCRIPT = r"""
-- `id` is set per thread by setup() (a global of the thread's own Lua state).
local tokens, body, i, threads = {}, nil, 0, 1
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  threads = tonumber(args[3])
  local n = 0
  if args[1] ~= "-" then
    for line in io.lines(args[1]) do
      if n % threads == (id or 0) then tokens[#tokens + 1] = line end
      n = n + 1
    end
  end
  local f = io.open(args[2], "rb"); body = f:read("*a"); f:close()
end
function request()
  i = i + 1
  local headers = { ["Content-Type"] = "application/json" }
  if #tokens > 0 then headers["Authorization"] = "Bearer " .. tokens[((i - 1) % #tokens) + 1] end
  return wrk.format("POST", nil, headers, body)
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d %d\n", summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def wrk(url, tokens_path, body_path, seconds, connections, threads, lua):
    r = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "-s", lua, url, "--",
                        tokens_path, body_path, str(threads)], capture_output=True, text=True, timeout=seconds + 60)
    line = next((l for l in r.stdout.splitlines() if l.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit("wrk failed:\n" + r.stdout + r.stderr)
    requests, duration_us, errors, socket_errors, p50, p99, worst = map(int, line.split()[1:])
    return {"rps": requests / (duration_us / 1e6), "requests": requests, "errors": errors, "socket_errors": socket_errors,
            "p50_ms": p50 / 1000, "p99_ms": p99 / 1000, "max_ms": worst / 1000}


def rpc_serve(cds, request, count, workers):
    """`cds serve` on the same request: one at a time (latency), then pipelined (throughput)."""
    line = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "case/evaluate",
                       "params": {"case": request, "options": {"format": "cds-hooks", "asOf": h.AS_OF}}}) + "\n"
    p = subprocess.Popen([cds, "serve", "--workers", str(workers)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=h.ROOT)
    latencies = []
    for _ in range(count):
        t = time.perf_counter()
        p.stdin.write(line.encode())
        p.stdin.flush()
        reply = p.stdout.readline()
        latencies.append((time.perf_counter() - t) * 1000)
    assert b'"cards"' in reply, reply[:200]
    t = time.perf_counter()

    def write():  # from a thread: the replies must be read while the requests go in
        p.stdin.write(line.encode() * count)
        p.stdin.flush()

    writer = threading.Thread(target=write)
    writer.start()
    for _ in range(count):
        p.stdout.readline()
    writer.join()
    pipelined = count / (time.perf_counter() - t)
    p.stdin.close()
    p.wait(60)
    latencies.sort()
    return {"rps_one_at_a_time": 1000 / statistics.mean(latencies), "p50_ms": latencies[len(latencies) // 2],
            "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], "rps_pipelined": pipelined}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cds")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--tokens", type=int, default=0, help="tokens to mint per run (default: 2500 per second)")
    parser.add_argument("--smoke", action="store_true", help="a short run that checks the script and the service, figures not meant")
    args = parser.parse_args()
    h.CDS = os.path.abspath(args.cds)
    work = tempfile.mkdtemp(prefix="cds-hooks-load-")
    trust = os.path.join(work, "trust.json")
    json.dump({"issuers": [{"iss": h.ISSUER, "jwks": {"keys": [h.jwk_of(h.EC_KEY, "ec1")]}}]}, open(trust, "w"))
    request = h.patient_view_request()
    body = os.path.join(work, "request.json")
    open(body, "w").write(json.dumps(request))
    lua = os.path.join(work, "hooks.lua")
    open(lua, "w").write(WRK_SCRIPT)
    print(f"cds: {h.CDS}; request {os.path.getsize(body)} bytes; {args.seconds} s per run; {args.workers} lanes; {os.cpu_count()} processors")

    results = {}
    server = h.Server(["--trust", trust, "--workers", str(args.workers), "--log-level", "error"])
    url = f"{server.base}/cds-services/{h.SERVICE}"
    try:
        for name, connections, threads in [("jwt, 1 connection", 1, 1), ("jwt, 4 connections", 4, 2)]:
            count = args.tokens or 2500 * args.seconds
            tokens = os.path.join(work, "tokens.txt")
            with open(tokens, "w") as f:
                for _ in range(count):
                    f.write(h.token(url, exp_in=280) + "\n")
            results[name] = wrk(url, tokens, body, args.seconds, connections, threads, lua)
            if results[name]["requests"] > count:
                results[name]["note"] = "more requests than tokens: replays were refused (raise --tokens)"
    finally:
        server.stop()
    # Access log lines off (they go to stderr, which nothing reads here) are not the point:
    # the same service without JWTs shows what verification costs.
    server = h.Server(["--allow-unauthenticated", "--workers", str(args.workers), "--log-level", "error"])
    try:
        for name, connections, threads in [("no jwt, 1 connection", 1, 1), ("no jwt, 4 connections", 4, 2)]:
            results[name] = wrk(f"{server.base}/cds-services/{h.SERVICE}", "-", body, args.seconds, connections, threads, lua)
    finally:
        server.stop()
    serve = rpc_serve(h.CDS, request, max(200, 300 * args.seconds), args.workers)

    print(f"{'':35} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'socket errors (timeouts)':>25}")
    for name, r in results.items():
        print(f"hooks serve, {name:22} {r['rps']:11.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['errors']:8d} {r['socket_errors']:25d} {r.get('note', '')}")
    print(f"{'cds serve, one at a time':35} {serve['rps_one_at_a_time']:11.0f} {serve['p50_ms']:8.2f} {serve['p99_ms']:8.2f}")
    print(f"{'cds serve, pipelined':35} {serve['rps_pipelined']:11.0f}")
    bad = {n: r for n, r in results.items() if r["errors"] and "note" not in r}
    if bad:
        print(f"hooks load: non-2xx answers: {bad}")
        sys.exit(1)
    if args.smoke and any(r["requests"] == 0 for r in results.values()):
        print("hooks load: a run answered nothing")
        sys.exit(1)
    print("hooks load: ok")


if __name__ == "__main__":
    main()
