#!/usr/bin/env bash
# The module author's path, end to end: `cds module new`, build the generated package
# against this repository's SDK, pass the conformance suite, load it into the host.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cds=$(cd "$root" && realpath "${1:-.build/debug/cds}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$cds" module new HipSnapping >/dev/null
cd HipSnapping
swift build --product HipSnapping >build.log 2>&1 || { cat build.log; echo "module template: 0 passed, 1 failed"; exit 1; }
"$cds" module check .build/debug/HipSnapping >check.log || { cat check.log; echo "module template: 1 passed, 1 failed"; exit 1; }
"$cds" evaluate --module-manifest module.json "$root/Tests/Vignettes/01-new-patient.case.json" >plan.json
python3 - <<'PY' || { echo "module template: 2 passed, 1 failed"; exit 1; }
import json
plan = json.load(open("plan.json"))
status = {m["id"]: m["status"] for m in plan["modules"]}
assert status.get("hip-snapping") == "contributed", status
item = next(r for r in plan["recommendations"] if r["id"] == "stretching.iliopsoas")
assert "hip-snapping" in item["modules"], item["modules"]
PY
echo "module template: 3 passed, 0 failed"
