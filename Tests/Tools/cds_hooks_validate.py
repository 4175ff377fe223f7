#!/usr/bin/env python3
"""Every CDS Hooks response the service produces (for every vignette, FHIR Bundle and CDS
Hooks request under Tests/FHIR; those it must refuse are refused) is valid against
docs/schemas/cds-hooks-response.schema.json, judged by the jsonschema package; and the
schema itself rejects responses that break each invariant."""
import copy
import glob
import json
import os
import subprocess
import sys

import jsonschema

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CDS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/cds")
schema = json.load(open(os.path.join(ROOT, "docs/schemas/cds-hooks-response.schema.json")))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


inputs = sorted(glob.glob(os.path.join(ROOT, "Tests/Vignettes/*.case.json"))) + sorted(glob.glob(os.path.join(ROOT, "Tests/FHIR/*.json")))
# Inputs the service must refuse (issue 11: one patient per evaluation, -32004 only for
# missing prefetch), and the one it must answer with no card at all.
refused = {"two-patients.bundle.json", "patient-view-context-mismatch.hooks.json", "patient-view-missing-observations.hooks.json"}
no_cards = {"patient-view-no-guidance.hooks.json"}
sample = None
for path in inputs:
    name = os.path.basename(path)
    r = subprocess.run([CDS, "evaluate", "--format", "cds-hooks", "--as-of", "2026-03-02", path], capture_output=True, text=True)
    if name in refused:
        check(name + " refused", r.returncode == 65 and r.stdout == "" and r.stderr.startswith("cds: error: "), r.stderr)
        continue
    if r.returncode != 0:
        check(path, False, r.stderr)
        continue
    response = json.loads(r.stdout)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response)]
    check(name, not errors and (response["cards"] == [] if name in no_cards else bool(response["cards"])), errors[:3])
    uuids = [c["uuid"] for c in response["cards"]]
    check(os.path.basename(path) + " unique uuids", len(uuids) == len(set(uuids)))
    if sample is None and response["cards"]:
        sample = response

# The schema must reject each broken invariant.
card = next(c for c in sample["cards"] if "suggestions" in c)
broken = {
    "two recommended suggestions under at-most-one": lambda c: c["suggestions"].extend([dict(c["suggestions"][0])]),
    "suggestions without selectionBehavior": lambda c: c.pop("selectionBehavior"),
    "override reason without display": lambda c: c["overrideReasons"][0].pop("display"),
    "summary of 140 characters": lambda c: c.update(summary="x" * 140),
    "unknown indicator": lambda c: c.update(indicator="hard-stop"),
    "delete action without resourceId": lambda c: c["suggestions"][0].update(actions=[{"type": "delete", "description": "remove"}]),
    "appContext on an absolute link": lambda c: c.update(links=[{"label": "x", "url": "https://example.org", "type": "absolute", "appContext": "y"}]),
}
for name, mutate in broken.items():
    c = copy.deepcopy(card)
    mutate(c)
    check("schema rejects " + name, not validator.is_valid({"cards": [c]}))
ok_link = copy.deepcopy(card)
ok_link["links"] = [{"label": "x", "url": "https://example.org/launch", "type": "smart", "appContext": "y"}]
check("schema accepts appContext on a smart link", validator.is_valid({"cards": [ok_link]}))

print(f"cds hooks validation: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
