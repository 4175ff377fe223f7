#!/usr/bin/env python3
"""Validates the FHIR test inputs with a third-party FHIR model (fhir.resources, R4B):
every Bundle under Tests/FHIR, and every prefetch resource of the CDS Hooks requests."""
import glob
import json
import os
import sys

from fhir.resources.R4B import get_fhir_model_class

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
passed = failed = 0


def validate(name, resource):
    global passed, failed
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        passed += 1
    except Exception as e:  # the library raises pydantic validation errors
        failed += 1
        print(f"INVALID {name}: {e}")


for path in sorted(glob.glob(os.path.join(ROOT, "Tests/FHIR/*.json"))):
    doc = json.load(open(path))
    name = os.path.basename(path)
    if doc.get("resourceType"):
        validate(name, doc)
    else:
        for key, value in (doc.get("prefetch") or {}).items():
            if value is not None:
                validate(f"{name} prefetch {key}", value)

print(f"fhir validation: {passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
