#!/usr/bin/env python3
"""Issue 11 end to end with third-party synthetic patients: US Core R4 Bundles from the
PyPI package `carebundle`, with iliopsoas-relevant resources added, evaluated by the built
`cds` as FHIR Bundles and as CDS Hooks patient-view requests whose prefetch is answered
from the service's own discovery templates (searchset Bundles). Checks the safety
defects of the issue: standard-coded allergies, another patient's data, context.patientId,
two patients in one Bundle, no guidance as {"cards": []}, bad readings dropped; every
response is checked against the CDS Hooks response schema of docs/schemas."""
import copy
import json
import os
import subprocess
import sys
import tempfile
import uuid

import carebundle
import jsonschema
from fhir.resources.R4B import get_fhir_model_class

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CDS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/cds")
AS_OF = "2026-03-02"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOCAL = "urn:cds:iliopsoas:local"
schema = json.load(open(os.path.join(ROOT, "docs/schemas/cds-hooks-response.schema.json")))
validator = jsonschema.Draft202012Validator(schema)
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def run(document, *options):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(document, f)
    try:
        r = subprocess.run([CDS, "evaluate", "--as-of", AS_OF, *options, f.name], capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(f.name)
    return r


def patient_url(bundle):
    return next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")


def observation(subject, code, value, system=LOCAL, when=AS_OF):
    o = {"resourceType": "Observation", "id": str(uuid.uuid4()), "status": "final",
         "code": {"coding": [{"system": system, "code": code}]}, "subject": {"reference": subject}, "effectiveDateTime": when}
    o.update(value)
    return o


def iliopsoas(subject):
    """Symptoms in local codes, an NPRS reading in LOINC, an ibuprofen allergy in RxNorm."""
    return [
        observation(subject, "anterior-hip-or-groin-pain", {"valueBoolean": True}),
        observation(subject, "weakness-resisted-hip-flexion-in-abduction", {"valueBoolean": True}),
        observation(subject, "clicking-or-snapping", {"valueBoolean": False}),
        observation(subject, "pain-with-hip-flexion-activities", {"valueBoolean": True}),
        observation(subject, "72514-3", {"valueQuantity": {"value": 6, "system": "http://unitsofmeasure.org", "code": "{score}"}}, system="http://loinc.org"),
        {"resourceType": "AllergyIntolerance", "id": str(uuid.uuid4()), "category": ["medication"],
         "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]},
         "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed"}]},
         "code": {"coding": [{"system": RXNORM, "code": "5640", "display": "ibuprofen"}]}, "patient": {"reference": subject}},
    ]


def valid_fhir(resource):
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        return True
    except Exception as e:  # pydantic validation errors
        print(f"  {resource['resourceType']}: {str(e)[:200]}")
        return False


def with_entries(bundle, resources):
    b = copy.deepcopy(bundle)
    b["entry"] += [{"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": r} for r in resources]
    return b


def cards_of(r, name):
    check(f"{name}: exit 0", r.returncode == 0, r.stderr[:300])
    try:
        response = json.loads(r.stdout)
    except ValueError:
        check(f"{name}: JSON", False, r.stdout[:200])
        return []
    errors = list(validator.iter_errors(response))
    check(f"{name}: valid CDS Hooks response", not errors, errors[:1])
    return response.get("cards", [])


def hooks_request(bundle, patient_id, context_id=None):
    """The discovery templates answered as an EHR would: one searchset per key."""
    b = copy.deepcopy(bundle)
    url = patient_url(b)
    text = json.dumps(b).replace(url, f"Patient/{patient_id}")
    b = json.loads(text)
    by_type = {}
    patient = None
    for e in b["entry"]:
        r = e["resource"]
        if r["resourceType"] == "Patient":
            r["id"] = patient_id
            patient = r
        else:
            by_type.setdefault(r["resourceType"], []).append(r)
    discovery = json.loads(subprocess.run([CDS, "hooks", "discovery"], capture_output=True, text=True, check=True).stdout)
    templates = discovery["services"][0]["prefetch"]
    prefetch = {}
    for key, template in templates.items():
        kind = template.split("?")[0].split("/")[0]
        if kind == "Patient":
            prefetch[key] = patient
            continue
        found = by_type.get(kind, [])
        if kind == "Observation" and "&code=" in template:
            wanted = set(template.split("&code=")[1].split(","))
            found = [o for o in found if any(f'{c.get("system")}|{c.get("code")}' in wanted for c in o["code"].get("coding", []))]
        prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "total": len(found), "entry": [{"resource": r} for r in found]}
    return {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/example", "patientId": context_id or patient_id}, "prefetch": prefetch}


def main():
    profiles = ["type2_diabetes"] + [p for p in sorted(carebundle.PROFILES) if p != "type2_diabetes"][:2]
    seen_uuids = set()
    for i, profile in enumerate(profiles):
        bundle = json.loads(carebundle.to_json(carebundle.generate_bundle(profile=profile, seed=100 + i, index=i)))
        subject = patient_url(bundle)
        name = f"carebundle {profile}"

        # Nothing iliopsoas-related: no guidance is an answer.
        check(f"{name}: no cards", cards_of(run(bundle, "--format", "cds-hooks"), name) == [])
        plan = json.loads(run(bundle).stdout)
        check(f"{name}: plan says the algorithm does not apply", plan["input"]["applicable"] is False and plan["recommendations"] == [])

        # The iliopsoas resources (valid FHIR, judged by fhir.resources): the RxNorm
        # ibuprofen allergy avoids NSAIDs.
        added = iliopsoas(subject)
        check(f"{name}: added resources are valid FHIR", all(valid_fhir(r) for r in added))
        full = with_entries(bundle, added)
        cards = cards_of(run(full, "--format", "cds-hooks"), name + " + iliopsoas")
        nsaids = [c for c in cards if c["summary"] == "Avoid: NSAIDs"]
        check(f"{name}: RxNorm ibuprofen allergy avoids NSAIDs (critical)", nsaids and nsaids[0]["indicator"] == "critical", [c["summary"] for c in cards])
        uuids = {c["uuid"] for c in cards}
        check(f"{name}: card uuids unique across patients", len(uuids) == len(cards) and not (uuids & seen_uuids))
        seen_uuids |= uuids

        # Another patient's observation is ignored and listed.
        foreign = observation("Patient/someone-else", "clicking-or-snapping", {"valueBoolean": True}, when="2026-03-03")
        check(f"{name}: foreign observation is valid FHIR", valid_fhir(foreign))
        plan = json.loads(run(with_entries(full, [foreign])).stdout)
        check(f"{name}: another patient's observation ignored", plan["input"]["patient"] and any(
            x["resource"] == f"Observation/{foreign['id']}" and "not this evaluation's patient" in x["reason"] for x in plan["input"]["ignored"]))

        # A bad reading is dropped, the rest goes on.
        bad = observation(subject, "72514-3", {"valueInteger": 12}, system="http://loinc.org")
        r = run(with_entries(full, [bad]))
        plan = json.loads(r.stdout) if r.returncode == 0 else {}
        check(f"{name}: NPRS 12 dropped and reported", any(x["reason"] == "score 12 is outside 0-10" for x in plan.get("input", {}).get("ignored", [])), r.stderr)

        # Two patients in one Bundle are refused.
        other = json.loads(carebundle.to_json(carebundle.generate_bundle(profile=profile, seed=900 + i, index=50 + i)))
        merged = copy.deepcopy(full)
        merged["entry"] += other["entry"]
        r = run(merged)
        check(f"{name}: two patients refused", r.returncode == 65 and "2 patients" in r.stderr, r.stderr[:300])

        # CDS Hooks patient-view with prefetch from the discovery templates.
        request = hooks_request(full, f"cb-{i}")
        cards = cards_of(run(request, "--format", "cds-hooks"), name + " as CDS Hooks")
        check(f"{name}: CDS Hooks NSAIDs avoided", any(c["summary"] == "Avoid: NSAIDs" for c in cards), [c["summary"] for c in cards])
        r = run(hooks_request(full, f"cb-{i}", context_id="someone-else"))
        check(f"{name}: context.patientId mismatch refused", r.returncode == 65 and "someone-else" in r.stderr and f"cb-{i}" in r.stderr, r.stderr[:300])

        # carebundle's own penicillin G allergy (RxNorm 7980) is not classified: every
        # medication item waits for review and a warning card names it.
        penicillin = copy.deepcopy(added[-1])
        penicillin["code"] = {"coding": [{"system": RXNORM, "code": "7980", "display": "penicillin G"}]}
        unclassified = with_entries(bundle, added[:-1] + [penicillin])
        cards = cards_of(run(unclassified, "--format", "cds-hooks"), name + " + penicillin")
        check(f"{name}: unclassified allergy warning first", cards and cards[0]["indicator"] == "warning" and "penicillin G" in cards[0]["detail"], [c["summary"] for c in cards[:2]])
        check(f"{name}: no medication recommended or considered", not any(c["summary"].startswith(("Recommend: NSAIDs", "Consider: NSAIDs", "Recommend: Corticosteroid", "Consider: Corticosteroid")) for c in cards))

        # A hip replacement (ICD-10-CM Z96.641) without a tenotomy on record gets a plan.
        tha = {"resourceType": "Condition", "id": str(uuid.uuid4()),
               "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
               "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "Z96.641", "display": "Presence of right artificial hip joint"}]},
               "subject": {"reference": subject}}
        r = run(with_entries(full, [tha]))
        plan = json.loads(r.stdout) if r.returncode == 0 else {}
        modules = {m["id"]: m["status"] for m in plan.get("modules", [])}
        check(f"{name}: hip replacement without tenotomy gets a plan", r.returncode == 0 and modules.get("post-arthroplasty") not in (None, "not-run"), r.stderr[:300])

        # An OperationOutcome in place of a prefetch Bundle is named; a missing key is -32004's case.
        request = hooks_request(full, f"cb-{i}")
        request["prefetch"]["procedures"] = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception", "diagnostics": "procedures unavailable"}]}
        plan = json.loads(run(request).stdout)
        check(f"{name}: OperationOutcome named in the notes", any("OperationOutcome" in n and "procedures unavailable" in n for n in plan["input"].get("notes", [])))
        del request["prefetch"]["procedures"]
        r = run(request)
        check(f"{name}: missing prefetch refused", r.returncode == 65 and "prefetch the service asked for is missing: procedures" in r.stderr, r.stderr[:300])

    print(f"carebundle check: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
