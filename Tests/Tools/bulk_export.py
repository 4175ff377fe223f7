#!/usr/bin/env python3
"""Writes a synthetic FHIR Bulk Data export for `cds evaluate --bulk` and the Spark job.

The patients are synthetic US Core patients from the PyPI package `carebundle` (a third
party; no real patient data), written out as NDJSON by its own `to_ndjson`. To them this
script adds what an iliopsoas service would find in a real export, drawn from a seeded
random generator: for about two thirds of the patients the four symptom Observations,
conservative care (months, outcome), the exercise tier, NPRS readings, and now and then a
hip replacement Procedure, an allergy or a contraindication, all coded as
Catalog/packs/iliopsoas/fhir-mapping.json reads them. The other third carry nothing iliopsoas-related, so
their evaluation is refused with the missing facts named, as it must be.

With --edge-cases the export also holds what an importer must handle: the Observations
split over two files, a resource of a patient the export does not hold, resources that
name no patient (carebundle's Practitioners, a Group subject, a reference to another
server), a Coverage (its patient is its beneficiary), lines that are not resources or not
JSON as cds reads it, a line exported twice, and a deletion record (the manifest's
`deleted` file) for one Observation and one Patient.

    python3 Tests/Tools/bulk_export.py OUT --patients 1000 --seed 7 [--edge-cases] [--no-manifest] [--lean]
"""

import argparse
import json
import os
import random
import sys

LOCAL = "urn:cds:iliopsoas:local"
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
AS_OF = "2026-03-02"


def dumps(resource):
    return json.dumps(resource, separators=(",", ":"), sort_keys=True)


def observation(rid, patient, system, code, value, date=AS_OF):
    r = {"resourceType": "Observation", "id": rid, "status": "final",
         "code": {"coding": [{"system": system, "code": code}]},
         "subject": {"reference": f"Patient/{patient}"}, "effectiveDateTime": date}
    key = {bool: "valueBoolean", int: "valueInteger", str: "valueString"}[type(value)]
    r[key] = value
    return r


def condition(rid, patient, system, code, display):
    return {"resourceType": "Condition", "id": rid,
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "code": {"coding": [{"system": system, "code": code, "display": display}]},
            "subject": {"reference": f"Patient/{patient}"}}


def iliopsoas_resources(patient, index, rng):
    """The iliopsoas-relevant resources of one patient (none for about a third)."""
    if rng.random() < 1 / 3:
        return []
    p = f"ip{index}"
    out = [condition(f"{p}-dx", patient, ICD10, rng.choice(["M76.10", "M76.11", "M76.12"]), "Psoas tendinitis")]
    for n, code in enumerate(["anterior-hip-or-groin-pain", "weakness-resisted-hip-flexion-in-abduction",
                              "clicking-or-snapping", "pain-with-hip-flexion-activities"]):
        out.append(observation(f"{p}-s{n}", patient, LOCAL, code, rng.random() < 0.7))
    months = rng.randint(0, 8)
    if months > 0:
        out.append(observation(f"{p}-cc", patient, LOCAL, "conservative-care-months", months))
        if rng.random() < 0.8:
            out.append(observation(f"{p}-co", patient, LOCAL, "conservative-care-outcome", rng.choice(["improving", "not-improving"])))
    tier = rng.choice(["none", "low", "moderate", "high", "advanced"])
    out.append(observation(f"{p}-et", patient, LOCAL, "exercise-tier", tier))
    if tier != "none":
        out.append(observation(f"{p}-tt", patient, LOCAL, "exercise-tier-tolerated", rng.random() < 0.6))
    for n, date in enumerate(["2025-12-01", "2026-01-15", AS_OF][: rng.randint(0, 3)]):
        out.append(observation(f"{p}-nprs{n}", patient, LOINC, "72514-3", rng.randint(0, 10), date))
    if rng.random() < 0.2:
        out.append(observation(f"{p}-pg", patient, LOCAL, "population-group", rng.choice(["general", "dancer", "athlete"])))
    if rng.random() < 0.1:
        out.append({"resourceType": "Procedure", "id": f"{p}-tha", "status": "completed",
                    "code": {"coding": [{"system": SNOMED, "code": "52734007"}]},
                    "subject": {"reference": f"Patient/{patient}"}, "performedDateTime": "2025-06-10"})
    if rng.random() < 0.1:
        out.append({"resourceType": "AllergyIntolerance", "id": f"{p}-al",
                    "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]},
                    "code": {"coding": [{"system": LOCAL, "code": rng.choice(["substance-nsaid", "substance-lidocaine"])}]},
                    "patient": {"reference": f"Patient/{patient}"}})
    if rng.random() < 0.05:
        out.append(condition(f"{p}-ci", patient, LOCAL, "contraindication-nsaids", "NSAIDs contraindicated"))
    return out


def generate(count, seed, lean):
    """{type: [line, ...]} for `count` patients, in generation order."""
    from carebundle import generate_cohort, to_ndjson

    streams = {}
    # Cohorts in slices of 500, so that memory stays small for large exports; the
    # patients' ids depend on the seed and their index only.
    rng = random.Random(seed)
    start = 0
    while start < count:
        size = min(500, count - start)
        options = {"panels": (), "include_vitals": False} if lean else {}
        bundles = generate_cohort(count=start + size, seed=seed, **options)[start:] if start == 0 else None
        if bundles is None:
            bundles = _slice(start, size, seed, options)
        for kind, text in to_ndjson(bundles).items():
            streams.setdefault(kind, []).extend(text.splitlines())
        start += size
    patients = [json.loads(line)["id"] for line in streams.get("Patient", [])]
    for index, patient in enumerate(patients):
        for r in iliopsoas_resources(patient, index, rng):
            streams.setdefault(r["resourceType"], []).append(dumps(r))
    return streams, patients


def _slice(start, size, seed, options):
    """Patients start..start+size of the cohort `seed` (carebundle draws each by index)."""
    from carebundle import generate_bundle
    from carebundle.generate import DEFAULT_COHORT_PREVALENCE, PROFILES  # noqa: F401
    import numpy as np
    from carebundle.generate import stable_digest

    weights = dict(DEFAULT_COHORT_PREVALENCE)
    keys = sorted(weights)
    total = sum(weights.values())
    chooser = np.random.default_rng([seed, stable_digest("cohort")])
    chosen = chooser.choice(len(keys), size=start + size, p=[weights[k] / total for k in keys])
    return [generate_bundle(profile=keys[int(chosen[i])], seed=seed, sex=("F", "M")[i % 2], index=i, **options)
            for i in range(start, start + size)]


def write(out, streams, patients, edge_cases, manifest):
    os.makedirs(out, exist_ok=True)
    files = {}
    deleted = []
    if edge_cases and patients:
        streams["Observation"].append(dumps(observation("orphan-1", "not-in-export", LOCAL, "anterior-hip-or-groin-pain", True)))
        streams["Condition"].append(streams["Condition"][0])  # exported twice
        # What both readers must classify alike: a Group subject and a reference to
        # another server (no patient), a Coverage's beneficiary (the patient's), and lines
        # that are not a resource or not JSON as cds reads it (a key given twice, NaN).
        streams["Observation"] += [
            dumps(observation("group-1", "x", LOCAL, "anterior-hip-or-groin-pain", True)).replace('"Patient/x"', '"Group/g1"'),
            dumps(observation("remote-1", "x", LOCAL, "anterior-hip-or-groin-pain", True)).replace('"Patient/x"', '"https://other.example/fhir/Patient/x"'),
            "[1]",
            '{"resourceType":"Observation","id":"twice","id":"again"}',
            '{"resourceType":"Observation","id":"nan","valueQuantity":{"value":NaN}}',
        ]
        streams.setdefault("Coverage", []).append(dumps({"resourceType": "Coverage", "id": "cov-1", "status": "active",
                                                          "beneficiary": {"reference": f"Patient/{patients[0]}"}}))
        gone = json.loads(streams["Observation"][0])["id"]
        deleted = [{"resourceType": "Bundle", "type": "transaction", "entry": [
            {"request": {"method": "DELETE", "url": f"Observation/{gone}"}},
            {"request": {"method": "DELETE", "url": f"Patient/{patients[-1]}"}}]}]
    for kind, lines in sorted(streams.items()):
        if edge_cases and kind == "Observation":
            half = len(lines) // 2
            files[f"{kind}.000.ndjson"] = (kind, lines[:half])
            files[f"{kind}.001.ndjson"] = (kind, lines[half:])
        else:
            files[f"{kind}.ndjson"] = (kind, lines)
    for name, (_, lines) in files.items():
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
    if deleted:
        with open(os.path.join(out, "deleted.Bundle.ndjson"), "w", encoding="utf-8") as f:
            f.write("".join(dumps(b) + "\n" for b in deleted))
    if manifest:
        base = "https://bulk.example.org/output/"
        body = {"transactionTime": "2026-03-02T00:00:00Z", "request": "https://bulk.example.org/fhir/Patient/$export",
                "requiresAccessToken": True,
                "output": [{"type": kind, "url": base + name, "count": len(lines)} for name, (kind, lines) in sorted(files.items())],
                "deleted": [{"type": "Bundle", "url": base + "deleted.Bundle.ndjson"}] if deleted else [],
                "error": []}
        with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(body, f, indent=2)
    elif deleted:
        # Without a manifest every *.ndjson is read: the deletion records are found by content.
        os.rename(os.path.join(out, "deleted.Bundle.ndjson"), os.path.join(out, "zz-deleted.ndjson"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--patients", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--edge-cases", action="store_true")
    ap.add_argument("--no-manifest", action="store_true")
    ap.add_argument("--lean", action="store_true", help="no laboratory panels or vital signs (smaller, for large benchmarks)")
    args = ap.parse_args()
    streams, patients = generate(args.patients, args.seed, args.lean)
    write(args.out, streams, patients, args.edge_cases, not args.no_manifest)
    lines = sum(len(v) for v in streams.values())
    print(f"bulk_export: {len(patients)} patients, {lines} resources in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
