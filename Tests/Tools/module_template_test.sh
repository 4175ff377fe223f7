#!/usr/bin/env bash
# The module author's path, end to end, as docs/modules.md walks it: `cds module new`, the
# check refusing the placeholder pack, the placeholder replaced by real (test) content, the
# package built and its golden vignettes passing (`swift test`), `cds module check
# module.json` passing, and the module loaded into the host with its own pack and facts.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cds=$(cd "$root" && realpath "${1:-.build/debug/cds}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The generated package depends on this repository; leave its HTTP stack out.
export CDS_WITHOUT_HTTP=1
passed=0
failed=0
step() { # step NAME COMMAND...: runs COMMAND, output in $work/NAME.log
    local name=$1
    shift
    if "$@" >"$work/$name.log" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "module template: $name failed:"
        cat "$work/$name.log"
        echo "module template: $passed passed, $failed failed"
        exit 1
    fi
}
cd "$work"

# 1. A new package: module, manifest, pack skeleton, golden vignettes.
step new "$cds" module new HipSnapping
cd HipSnapping

# 2. The check refuses the skeleton's placeholder recommendation.
refuses_placeholder() {
    if "$cds" module check module.json >check-placeholder.txt 2>&1; then
        cat check-placeholder.txt
        echo "cds module check passed a pack with the placeholder recommendation"
        return 1
    fi
    cat check-placeholder.txt
    grep -q 'pack content .*FAIL .*hip-snapping\.placeholder-replace-me' check-placeholder.txt
}
step refuses-placeholder refuses_placeholder

# 3. The author replaces the placeholder: source text, its sha256, the recommendation,
# traceability, the module's proposal and the expected vignettes.
replace_placeholder() {
    python3 - <<'PY'
import hashlib, json, pathlib
pack = pathlib.Path("pack")
title = "HipSnapping test source"
statement = "Test fixture statement: explain the snapping hip finding to the patient."
text = title + "\n" + statement + "\n"
(pack / "sources/source.txt").write_text(text)
sources = json.loads((pack / "sources.json").read_text())
sources["sources"][0]["title"] = "Test fixture source of module_template_test.sh"
sources["sources"][0]["sha256"] = hashlib.sha256(text.encode()).hexdigest()
(pack / "sources.json").write_text(json.dumps(sources, indent=2) + "\n")
recs = json.loads((pack / "recommendations.json").read_text())
r = recs["recommendations"][0]
r["id"] = "hip-snapping.education"
r["title"] = "Explain the snapping hip finding"
r["text"] = "Explain the snapping hip finding to the patient (test fixture)."
r["sources"] = [{"source": "hip-snapping-source", "quote": statement}]
(pack / "recommendations.json").write_text(json.dumps(recs, indent=2) + "\n")
trace = json.loads((pack / "traceability.json").read_text())
trace["nonClaims"] = [{"line": title, "reason": "title"}]
(pack / "traceability.json").write_text(json.dumps(trace, indent=2) + "\n")
for path in [pathlib.Path("Sources/HipSnapping/HipSnapping.swift"), *pathlib.Path("Tests/vignettes").glob("*.expected.json")]:
    path.write_text(path.read_text().replace("hip-snapping.placeholder-replace-me", "hip-snapping.education"))
PY
}
step replace replace_placeholder

# 4. Build, and the golden vignettes pass in the package (swift test).
step build swift build --product HipSnapping
step swift-test swift test

# 5. The check passes: pack, conformance, start-up, vignettes through the host.
step check "$cds" module check module.json

# 6. The host loads the module with its pack: the module's recommendation joins the
# iliopsoas modules' ones in the plan.
evaluate() {
    "$cds" evaluate --module-manifest module.json Tests/vignettes/HipSnapping.case.json >plan.json || return 1
    python3 - <<'PY'
import json
plan = json.load(open("plan.json"))
status = {m["id"]: m["status"] for m in plan["modules"]}
assert status.get("hip-snapping") == "contributed", status
ids = {r["id"]: r for r in plan["recommendations"]}
item = ids.get("hip-snapping.education")
assert item is not None, sorted(ids)
assert item["modules"] == ["hip-snapping"] and item["action"] == "recommend", item
assert item["title"] == "Explain the snapping hip finding", item["title"]
assert any(r["modules"] != ["hip-snapping"] for r in plan["recommendations"]), "no iliopsoas recommendation"
assert "initial.relative-rest" in ids, sorted(ids)
PY
}
step evaluate evaluate

# The other two commands of the walkthrough's step 5: the server starts with the module
# (and ends at the end of its input), and the module list shows it with its pack.
step serve "$cds" serve --module-manifest module.json </dev/null
modules() {
    "$cds" modules --module-manifest module.json >modules.txt || return 1
    grep -Eq '^hip-snapping +[0-9.]+ +[0-9.]+ +hip-snapping +50 ' modules.txt || { cat modules.txt; return 1; }
}
step modules modules

# Every command of docs/modules.md's shell blocks is one this script runs (`cds` is "$cds").
doc_commands() {
    python3 - "$root/docs/modules.md" "$root/Tests/Tools/module_template_test.sh" <<'PY'
import re, sys
doc, script = (open(p).read() for p in sys.argv[1:])
blocks = re.findall(r"```sh\n(.*?)```", doc, re.S)
lines = [l.strip() for b in blocks for l in b.splitlines() if l.strip()]
missing = [l for l in lines if re.sub(r"^cds ", '"$cds" ', l) not in script]
assert lines, "no shell commands in docs/modules.md"
assert not missing, f"docs/modules.md commands this script does not run: {missing}"
PY
}
step doc-commands doc_commands
echo "module template: $passed passed, $failed failed"
