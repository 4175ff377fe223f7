#!/usr/bin/env python3
"""Test fixture: an external module in Python that ships its own knowledge pack (./pack).

It reads the fact its pack declares (/syntheticY) and proposes its pack's one
recommendation when marker gamma is present. Synthetic content, not clinical.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "../../../Plugins/Examples/python"))
from cds_module import serve  # noqa: E402  (the protocol loop of the Python example modules)

MODULE = {
    "id": "synthetic-y",
    "version": "0.2.0",
    "apiVersion": "2.0",
    "summary": "Test fixture (Python): synthetic step gamma when marker gamma is present.",
    "reads": ["/syntheticY"],
    "pack": "synthetic-y",
}


def assess(case):
    if case.get("syntheticY", {}).get("gamma") is not True:
        return []
    return [{
        "recommendation": "synthetic-y.step-gamma",
        "action": "consider",
        "priority": 50,
        "rationale": {"rule": "marker gamma recorded present (test fixture)", "facts": ["/syntheticY/gamma"]},
        "additionalEvidence": [],
    }]


if __name__ == "__main__":
    serve(MODULE, assess)
