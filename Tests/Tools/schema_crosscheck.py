#!/usr/bin/env python3
"""Cross-checks the engine's case validation against the Python jsonschema reference.

For every vignette and a set of deliberately broken variants, `cds validate` and
jsonschema (Draft 2020-12, with format checking) must agree on valid versus invalid, and
every path jsonschema blames must lie within a path the engine blames (or be the parent
of one, for `required` and `additionalProperties`, which jsonschema reports on the parent).
"""
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CDS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/cds")

def assembled_schema():
    """The case schema assembled here, independently of the engine: the core schema with
    each pack's fragment (schema.json) merged in, in catalog.json's pack order."""
    catalog = os.path.join(ROOT, "Catalog")
    core = json.load(open(os.path.join(catalog, "schema/case.schema.json")))
    core_properties = core["properties"]
    properties = {k: v for k, v in core_properties.items() if k != "extensions"}
    extensions = {}
    for folder in json.load(open(os.path.join(catalog, "catalog.json")))["packs"]:
        pack = os.path.join(catalog, folder)
        pack_id = json.load(open(os.path.join(pack, "pack.json")))["id"]
        path = os.path.join(pack, "schema.json")
        if not os.path.exists(path):
            continue
        fragment = json.load(open(path))
        for name, value in fragment.get("properties", {}).items():
            assert name not in properties, f"{name} declared twice"
            properties[name] = value
        core.setdefault("required", []).extend(fragment.get("required", []))
        if fragment.get("allOf"):
            core.setdefault("allOf", []).extend(fragment["allOf"])
        for name, value in fragment.get("$defs", {}).items():
            core.setdefault("$defs", {})[name] = value
        if "extension" in fragment:
            extensions[pack_id] = fragment["extension"]
    if "extensions" in core_properties:
        member = dict(core_properties["extensions"])
        if extensions:
            member["properties"] = {**member.get("properties", {}), **extensions}
        properties["extensions"] = member
    core["properties"] = properties
    return core


schema = assembled_schema()
engine_schema = json.loads(subprocess.run([CDS, "catalog", "schema"], check=True, capture_output=True, text=True).stdout)
if engine_schema != schema:
    sys.exit("schema cross-check: `cds catalog schema` differs from the schema assembled from the Catalog's packs")
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def mutations(case):
    def setter(path, value):
        def apply(c):
            target = c
            for key in path[:-1]:
                target = target.setdefault(key, {}) if isinstance(target, dict) else target[key]
            target[path[-1]] = value
        return apply

    def deleter(path):
        def apply(c):
            target = c
            for key in path[:-1]:
                target = target[key]
            del target[path[-1]]
        return apply

    yield "age as string", setter(["patient", "age"], "forty")
    yield "age negative", setter(["patient", "age"], -1)
    yield "age fractional", setter(["patient", "age"], 40.5)
    yield "age integral double", setter(["patient", "age"], 40.0)
    yield "unknown sex", setter(["patient", "sex"], "f")
    yield "missing symptom", deleter(["symptoms", "clickingOrSnapping"])
    yield "unknown top-level", setter(["diagnosis"], "x")
    yield "schema version 2", setter(["schemaVersion"], 2)
    yield "bad date", setter(["assessmentDate"], "2025-02-29")
    yield "leap date", setter(["assessmentDate"], "2024-02-29")
    yield "tier without tolerance", setter(["exercise"], {"currentTier": "low"})
    yield "none tier without tolerance", setter(["exercise"], {"currentTier": "none"})
    yield "nprs out of range", setter(["measurements"], {"nprs": [{"date": "2026-01-01", "value": 11}]})
    yield "lefs at maximum", setter(["measurements"], {"lefs": [{"date": "2026-01-01", "value": 80}]})
    yield "unknown contraindication", setter(["contraindications"], [{"code": "aspirin"}])
    yield "unknown allergy", setter(["allergies"], [{"substance": "penicillin"}])
    yield "negative months", setter(["conservativeCare"], {"months": -1})
    yield "unknown outcome", setter(["conservativeCare"], {"months": 3, "outcome": "failed"})
    yield "extensions free-form", setter(["extensions"], {"x": {"y": [1, 2]}})
    yield "population without group", setter(["population"], {"level": "student"})
    yield "empty case id", setter(["caseId"], "")


def mutations_v2(case):
    """Case format 2 edges, exercised in full on the version-2 vignettes named below."""
    def setter(path, value):
        def apply(c):
            target = c
            for key in path[:-1]:
                target = target.setdefault(key, {})
            target[path[-1]] = value
        return apply

    yield "v2 symptom as boolean", setter(["symptoms", "clickingOrSnapping"], True)
    yield "v2 symptom unknown word", setter(["symptoms", "clickingOrSnapping"], "maybe")
    yield "v2 symptoms all left out", setter(["symptoms"], {})
    yield "v2 as version 1", setter(["schemaVersion"], 1)
    yield "v2 population group (v1 member)", setter(["population"], {"group": "dancer"})
    yield "v2 population no groups", setter(["population"], {"groups": []})
    yield "v2 population duplicate groups", setter(["population"], {"groups": ["dancer", "dancer"]})
    yield "v2 care not started with months", setter(["conservativeCare"], {"status": "not-started", "months": 2})
    yield "v2 care started without months", setter(["conservativeCare"], {"status": "started"})
    yield "v2 care not recorded", setter(["conservativeCare"], {"status": "not-recorded"})
    yield "v2 unknown treatment", setter(["conservativeCare", "treatments"], ["massage"])
    yield "v2 prior intervention without date", setter(["priorInterventions"], [{"kind": "surgery"}])
    yield "v2 prior intervention bad date", setter(["priorInterventions"], [{"kind": "surgery", "date": "2026-02-30"}])
    yield "v2 range of motion out of range", setter(["measurements", "rangeOfMotion"], [{"date": "2026-01-01", "movement": "hip-flexion", "degrees": 200}])
    yield "v2 strength grade 6", setter(["measurements", "strength"], [{"date": "2026-01-01", "movement": "hip-flexion", "grade": 6}])
    yield "v2 strength unknown movement", setter(["measurements", "strength"], [{"date": "2026-01-01", "movement": "knee", "grade": 3}])
    yield "v2 nprs during unknown", setter(["measurements", "nprs"], [{"date": "2026-01-01", "value": 3, "during": "sleep"}])
    yield "v2 reason with tolerated tier", setter(["exercise"], {"currentTier": "low", "tolerated": True, "notToleratedReason": "other"})
    yield "v2 onset empty", setter(["symptomOnset"], {})
    yield "v2 onset duration", setter(["symptomOnset"], {"durationWeeks": 12})
    yield "v2 side unknown", setter(["side"], "centre")
    yield "v2 tenotomy bad date", setter(["surgicalHistory"], {"tenotomyDate": "2026-13-01"})
    yield "v2 surgical history empty", setter(["surgicalHistory"], {})


def engine_verdict(document):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(document, f)
        name = f.name
    try:
        r = subprocess.run([CDS, "validate", name], capture_output=True, text=True)
    finally:
        os.unlink(name)
    if r.returncode == 0 and r.stdout == "valid\n":
        return True, []
    if r.returncode == 65:
        return False, [line.split(": ", 1)[0] for line in r.stdout.splitlines()]
    raise SystemExit(f"cds validate failed unexpectedly ({r.returncode}): {r.stderr}")


def pointer(path):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path) or "/"


# Vignettes whose every variant is checked (the others: as is and the first variant).
FULL = {"01-new-patient.case.json", "28-v2-dancer-athlete-full-record.case.json", "29-v2-care-not-recorded.case.json"}
passed = failed = 0
for path in sorted(glob.glob(os.path.join(ROOT, "Tests/Vignettes/*.case.json"))):
    base = json.load(open(path))
    variants = [("as is", base)]
    for name, mutate in mutations(base):
        doc = copy.deepcopy(base)
        mutate(doc)
        variants.append((name, doc))
    full = os.path.basename(path) in FULL
    if base.get("schemaVersion") == 2:
        for name, mutate in mutations_v2(base):
            doc = copy.deepcopy(base)
            mutate(doc)
            variants.append((name, doc))
    for name, doc in variants:
        reference_errors = list(validator.iter_errors(doc))
        ours_valid, our_paths = engine_verdict(doc)
        ok = ours_valid == (not reference_errors)
        if ok and reference_errors:
            for e in reference_errors:
                p = pointer(e.absolute_path)
                if not any(q == p or q.startswith(p.rstrip("/") + "/") for q in our_paths):
                    ok = False
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"MISMATCH {os.path.basename(path)} [{name}]: jsonschema={[pointer(e.absolute_path) + ' ' + e.message for e in reference_errors]} cds={our_paths}")
        if not full and name != "as is":
            break  # mutations are exercised in full on the first vignette only

print(f"schema crosscheck: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
