#!/usr/bin/env python3
"""The Spark job (Sources/Integrations/spark) against `cds evaluate --bulk`, in Spark local
mode (local[2]): on the same synthetic export (carebundle patients plus iliopsoas
resources and the edge cases of Tests/Tools/bulk_export.py) both must write the same
bytes, as NDJSON and as Parquet, for plans and for CDS Hooks cards.

    python3 Tests/Tools/bulk_spark_test.py .build/debug/cds [--patients 60]
"""

import argparse
import glob
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Sources", "Integrations", "spark"))
sys.path.insert(0, HERE)

import bulk_export  # noqa: E402
import cds_bulk_spark  # noqa: E402

AS_OF = "2026-03-02"


def bulk(cds, export, fmt):
    run = subprocess.run([cds, "evaluate", "--bulk", export, "--as-of", AS_OF, "--format", fmt, "--catalog",
                          os.path.join(ROOT, "Catalog")], capture_output=True)
    assert run.returncode == 65, run.stderr.decode()
    assert "2 unreadable lines" in run.stderr.decode() and "Observation: no Patient/{id} reference" in run.stderr.decode()
    return run.stdout.decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cds")
    ap.add_argument("--patients", type=int, default=60)
    args = ap.parse_args()
    cds = os.path.abspath(args.cds)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    with tempfile.TemporaryDirectory(prefix="cds-bulk-spark-") as tmp:
        export = os.path.join(tmp, "export")
        streams, patients = bulk_export.generate(args.patients, 11, lean=False)
        bulk_export.write(export, streams, patients, edge_cases=True, manifest=True)
        spark = (SparkSession.builder.master("local[2]").appName("cds-bulk-test")
                 .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                 .config("spark.driver.host", "127.0.0.1").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        failures = 0
        try:
            for fmt, output_format in [("plan", "ndjson"), ("plan", "parquet"), ("cds-hooks", "ndjson")]:
                expected = bulk(cds, export, fmt)
                assert expected.count("\n") == len(patients) - 1, "one line per patient held (one Patient is deleted)"
                out = os.path.join(tmp, f"out-{fmt}-{output_format}")
                summary = cds_bulk_spark.run(spark, export, out, cds, os.path.join(ROOT, "Catalog"), AS_OF, fmt,
                                             output_format, partitions=3)
                if output_format == "parquet":
                    rows = spark.read.parquet(out).collect()
                    rows.sort(key=lambda r: r.patient)
                    got = "".join(r.result + "\n" for r in rows)
                    keys_match = all(r.result.startswith('{"patient":"' + r.patient + '"') for r in rows)
                else:
                    got = "".join(open(p, encoding="utf-8").read() for p in sorted(glob.glob(os.path.join(out, "part-*"))))
                    keys_match = True
                same = got == expected and keys_match
                print(f"bulk-spark: {fmt} as {output_format}: {summary['patients']} patients, {summary['plans']} plans, "
                      f"{summary['errors']} errors, {summary['naming no patient']} naming no patient, "
                      f"{summary['of patients not in the export']} of patients not in the export, {summary['deleted']} deleted: "
                      + ("byte-identical to cds evaluate --bulk" if same else "DIFFERENT from cds evaluate --bulk"))
                if not same:
                    failures += 1
                    a, b = expected.splitlines(), got.splitlines()
                    for i, (x, y) in enumerate(zip(a, b)):
                        if x != y:
                            print(f"  first difference at line {i + 1}:\n  bulk:  {x[:300]}\n  spark: {y[:300]}")
                            break
                    else:
                        print(f"  bulk has {len(a)} lines, spark {len(b)}")
                assert summary["deleted"] == 2 and summary["of patients not in the export"] > 0
                assert summary["unreadable"] == 2, "a key given twice and NaN are not JSON for either reader"
                assert summary["patients"] == len(patients) - 1
        finally:
            spark.stop()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
