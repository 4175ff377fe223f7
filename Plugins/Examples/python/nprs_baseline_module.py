#!/usr/bin/env python3
"""Example external module in Python (no SDK): the module protocol through cds_module.py beside it.

Decision: when a case has no NPRS reading, monitoring pain on the Numeric Pain Rating
Scale (a Catalog recommendation) is recommended, since improvement cannot be evaluated
without a baseline. Reads /measurements/nprs only.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from cds_module import serve  # noqa: E402  (the protocol loop, beside this file)

MODULE = {
    "id": "nprs-baseline-example",
    "version": "1.0.0",
    "apiVersion": "1.0",
    "summary": "Example external module (Python): NPRS monitoring when no baseline reading is recorded.",
    "reads": ["/measurements/nprs"],
}


def assess(case):
    readings = case.get("measurements", {}).get("nprs", [])
    if readings:
        return []
    return [{
        "recommendation": "monitoring.nprs",
        "action": "recommend",
        "priority": 45,
        "rationale": {"rule": "no NPRS reading recorded: a baseline is needed to evaluate improvement", "facts": ["/measurements/nprs"]},
        "additionalEvidence": [],
    }]


if __name__ == "__main__":
    serve(MODULE, assess, accepts=lambda case: isinstance(case, dict) and isinstance(case.get("symptoms"), dict))
