#!/usr/bin/env python3
"""Writes the release link's function order (Sources/cds/link-order.txt, `make link-order`).

Runs a release `cds` under callgrind the way `cds serve` is used: start-up with the whole
Catalog and every module, `initialize`, then every golden vignette evaluated three times
and a few requests that fail. Every function of the executable that ran is written, one
mangled name per line, sorted (so that a regenerated file differs only by the functions that
came or went: their order within the run they form matters little). The release link (`make
release`, lld's --symbol-ordering-file) lays those functions out first and together, so start-up and evaluations touch a few hundred KiB of contiguous
code instead of pages all over an 11 MB text section: the resident set and the start-up's
page faults (docs/performance.md, Start-up).

The link map of that binary (`--map`, lld's -Map) shows where each function came from: a
function compiled without a section of its own (libdispatch's C, parts of the Swift runtime's
archives) would bring its object's whole `.text` (1.5 MB of libswiftCore's) into the ordered
run, so functions in a shared `.text` larger than 16 KiB are left where they are.

A name the next build no longer has is ignored by the link (a stale file costs pages, not
correctness); regenerate after large changes. Callgrind runs a copy of the binary without
its debug information, because valgrind 3.19 cannot read the DWARF 5 of a release build.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("cds", help="the release cds executable")
parser.add_argument("output", help="the order file to write")
parser.add_argument("--map", required=True, help="the link map (lld -Map) of that executable")
parser.add_argument("--catalog", default="Catalog")
parser.add_argument("--vignettes", default="Tests/Vignettes")
args = parser.parse_args()

work = tempfile.mkdtemp(prefix="cds-link-order-")
binary = os.path.join(work, "cds")
subprocess.run(["objcopy", "--strip-debug", args.cds, binary], check=True)

lines = [{"jsonrpc": "2.0", "id": 0, "method": "initialize"}]
cases = sorted(glob.glob(os.path.join(args.vignettes, "*.case.json")))
if not cases:
    sys.exit(f"link_order: no golden vignettes in {args.vignettes}")
for _ in range(3):
    for path in cases:
        with open(path) as f:
            lines.append({"jsonrpc": "2.0", "id": len(lines), "method": "case/evaluate", "params": {"case": json.load(f)}})
lines.append({"jsonrpc": "2.0", "id": len(lines), "method": "case/evaluate", "params": {"case": {"schemaVersion": 1}}})
lines.append({"jsonrpc": "2.0", "id": len(lines), "method": "no/such/method"})
requests = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines) + "{not json\n"

profile = os.path.join(work, "callgrind.out")
env = dict(os.environ, CDS_CATALOG=args.catalog)
run = subprocess.run(
    ["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={profile}", binary, "serve", "--workers", "1"],
    input=requests.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
replies = run.stdout.decode().splitlines()
if run.returncode != 0 or len(replies) != len(lines) + 1:
    sys.stderr.write(run.stderr.decode()[-2000:])
    sys.exit(f"link_order: cds serve under callgrind gave {len(replies)} replies to {len(lines) + 1} lines (exit {run.returncode})")

# The executable's own functions: names callgrind reports that the binary defines.
defined = set()
for line in subprocess.run(["nm", "--defined-only", binary], stdout=subprocess.PIPE, check=True).stdout.decode().splitlines():
    fields = line.split()
    if len(fields) == 3 and fields[1] in "tTwW":
        defined.add(fields[2])

# Input sections from the link map: "VMA LMA Size Align  path(member):(section)", then the
# symbols defined in it, "VMA LMA Size Align  name".
shared = set()
input_section = re.compile(r"\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+\S.*:\((\S+)\)$")
symbol_line = re.compile(r"\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+\d+\s+(\S+)$")
in_shared = False
with open(args.map) as f:
    for line in f:
        match = input_section.match(line)
        if match:
            in_shared = match.group(2) == ".text" and int(match.group(1), 16) > 16 * 1024
            continue
        match = symbol_line.match(line)
        if match and in_shared:
            shared.add(match.group(1))

order, seen, executed = [], set(), set()
name_line = re.compile(r"c?fn=\(\d+\) (.+)")
with open(profile) as f:
    for line in f:
        match = name_line.match(line)
        if match:
            name = match.group(1).strip()
            executed.add(name)
            if name in defined and name not in seen and name not in shared:
                seen.add(name)
                order.append(name)

with open(args.output, "w") as f:
    f.write("".join(name + "\n" for name in sorted(order)))
left = len({name for name in shared if name in defined} & executed)
print(f"link_order: {len(order)} functions of {len(defined)} written to {args.output}; {left} that ran left in a shared .text")
