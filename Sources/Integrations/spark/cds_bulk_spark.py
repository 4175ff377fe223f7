#!/usr/bin/env python3
"""cds over a FHIR Bulk Data export on Apache Spark (docs/bulk-data.md).

Reads an export from any location Spark reads (a local folder, HDFS, S3, ...): the files
its `manifest.json` lists when there is one, else every `*.ndjson`. Groups the resources
by patient exactly as `cds evaluate --bulk` does, builds each patient's one-patient FHIR
Bundle with the same bytes, and pipes the Bundles of each partition through the product's
own `cds evaluate --batch` (shipped to every executor with the Catalog through
`SparkContext.addFile`, which is what `spark-submit --files` does). Each output line keeps
its patient key; every Bundle must get exactly one output line, or the task fails. The
result is `{"patient":ID,"plan":...}` / `{"patient":ID,"error":...}` lines in patient id
order, written as NDJSON text files or as Parquet (columns `patient`, `result`): byte for
byte what `cds evaluate --bulk` writes for the same export (a test: `make bulk-spark`).

    spark-submit Sources/Integrations/spark/cds_bulk_spark.py EXPORT OUT \\
        --cds .build/release/cds --catalog Catalog --as-of 2026-03-02 [--format cds-hooks] \\
        [--output-format parquet] [--partitions N]

Why `mapPartitions` with a child process rather than `RDD.pipe`: the executor looks up the
shipped binary itself (`SparkFiles.get`, whatever the cluster manager's working
directory), the child's exit status 65 (some patient got an error line, which is a
result) is told apart from a failure, and the patient keys stay beside their lines
without a second pass (`zip`).
"""

import argparse
import collections
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import threading

# As cds's grouping step (Sources/CDSBulkData/ResourceKey.swift).
PATIENT_MEMBERS = ("subject", "patient", "beneficiary")
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# cds evaluate --batch's longest line (ServerConfiguration.maxLineBytes).
MAX_LINE_BYTES = 4 << 20
ERROR_LINE = re.compile(r'\{"line":[0-9]+,"error":(.*)\}', re.S)


def _object(pairs):
    """A JSON object that, like cds's parser, refuses a key given twice."""
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _constant(name):
    raise ValueError(f"{name} is not JSON")


def classify(line):
    """One export line: ("blank",), ("unreadable",), ("deletions", [Type/id, ...]),
    ("unattached", reason) or ("resource", patient, type, id, line)."""
    if line.strip(" \t\r") == "":
        return ("blank",)
    if len(line.encode("utf-8", "surrogatepass")) > MAX_LINE_BYTES:
        return ("unreadable",)
    try:
        resource = json.loads(line, object_pairs_hook=_object, parse_constant=_constant)
    except ValueError:
        return ("unreadable",)
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return ("unattached", "no resourceType")
    kind = resource["resourceType"]
    rid = resource.get("id") if isinstance(resource.get("id"), str) else ""
    if "\0" in kind or "\0" in rid:
        return ("unattached", "a NUL character in resourceType or id")
    if kind == "Patient":
        if not FHIR_ID.fullmatch(rid):
            return ("unattached", "a Patient without a valid id")
        return ("resource", rid, kind, rid, line)
    entries = resource.get("entry")
    if kind == "Bundle" and isinstance(entries, list) and entries and all(
            isinstance(e, dict) and isinstance(e.get("request"), dict) and e["request"].get("method") == "DELETE"
            for e in entries):
        return ("deletions", [e["request"]["url"] for e in entries if isinstance(e["request"].get("url"), str)])
    for member in PATIENT_MEMBERS:
        value = resource.get(member)
        reference = value.get("reference") if isinstance(value, dict) else None
        if not isinstance(reference, str) or not reference.startswith("Patient/"):
            continue
        patient = reference[len("Patient/"):]
        if not FHIR_ID.fullmatch(patient):
            return ("unattached", f"{member} is not a Patient/{{id}} reference")
        return ("resource", patient, kind, rid, line)
    return ("unattached", "no Patient/{id} reference in " + ", ".join(PATIENT_MEMBERS))


def bundle(patient, resources):
    """The one-patient Bundle, byte for byte as cds builds it
    (BulkEvaluator.bundle(patient:lines:)), or None when the export does not hold the
    patient's Patient resource. `resources`: (type, id, line) triples."""
    ordered = []
    for item in sorted(resources):
        if not ordered or ordered[-1] != item:  # a line exported twice counts once
            ordered.append(item)
    if not any(kind == "Patient" for kind, _, _ in ordered):
        return None, len(ordered)
    entries = ",".join('{"resource":' + line + "}" for _, _, line in ordered)
    return '{"resourceType":"Bundle","id":"' + patient + '","type":"collection","entry":[' + entries + "]}", len(ordered)


def output_line(patient, result_key, line):
    """The bulk output line for one `cds evaluate --batch` output line."""
    error = ERROR_LINE.fullmatch(line)
    if error:
        return '{"patient":"' + patient + '","error":' + error.group(1) + "}", False
    return '{"patient":"' + patient + '","' + result_key + '":' + line + "}", True


def run_cds(rows, command, env):
    """Pipes one partition's (patient, bundle) rows through `cds evaluate --batch`;
    yields (patient, output line, evaluated) in order."""
    from pyspark import SparkFiles

    binary = SparkFiles.get(command["binary"])
    catalog = SparkFiles.get(command["catalog"])
    if not os.access(binary, os.X_OK):
        os.chmod(binary, os.stat(binary).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    argv = [binary, "evaluate", "--batch", "-", "--workers", str(command["workers"]), "--catalog", catalog,
            "--format", command["format"]]
    if command["as_of"]:
        argv += ["--as-of", command["as_of"]]
    keys = collections.deque()
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, env=env)
        failure = []

        def feed():
            try:
                for patient, text in rows:
                    keys.append(patient)
                    child.stdin.write(text.encode("utf-8") + b"\n")
                child.stdin.close()
            except BaseException as error:  # noqa: BLE001 - reported by the reading side
                failure.append(error)
                try:
                    child.stdin.close()
                except OSError:
                    pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        answered = 0
        for raw in child.stdout:
            if not keys:
                raise RuntimeError("cds wrote more lines than it was given")
            patient = keys.popleft()
            answered += 1
            yield (patient,) + output_line(patient, command["result_key"], raw.decode("utf-8").rstrip("\n"))
        writer.join()
        status = child.wait()
        if failure:
            raise RuntimeError(f"feeding cds failed: {failure[0]!r}")
        if status not in (0, 65) or keys:
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"cds evaluate --batch exited {status} with {len(keys)} of {answered + len(keys)} "
                               f"lines unanswered: {detail}")


def export_files(spark, export):
    """The resource and deletion files of the export (manifest, else every *.ndjson)."""
    base = export.rstrip("/")
    try:
        text = "\n".join(row.value for row in spark.read.text(base + "/manifest.json", wholetext=True).collect())
    except Exception:  # noqa: BLE001 - no manifest: every *.ndjson
        return [base + "/*.ndjson"]
    manifest = json.loads(text)

    def local(entry):
        url = entry["url"].split("?", 1)[0].split("#", 1)[0]
        return base + "/" + url.rstrip("/").rsplit("/", 1)[-1]

    return [local(e) for e in manifest.get("deleted", [])] + [local(e) for e in manifest["output"]]


def run(spark, export, out, cds, catalog, as_of=None, fmt="plan", output_format="ndjson", partitions=None):
    """Evaluates the export and writes the result; returns the summary counts."""
    sc = spark.sparkContext
    # The executors' Python imports this module's functions by name when it was imported.
    sc.addPyFile(os.path.abspath(__file__))
    sc.addFile(os.path.abspath(cds))
    sc.addFile(os.path.abspath(catalog), recursive=True)
    command = {"binary": os.path.basename(cds), "catalog": os.path.basename(os.path.abspath(catalog)),
               "workers": 1, "format": fmt, "as_of": as_of, "result_key": "response" if fmt == "cds-hooks" else "plan"}
    # RDD.pipe and subprocesses get an empty environment unless given one.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    partitions = partitions or sc.defaultParallelism

    lines = sc.textFile(",".join(export_files(spark, export)))
    classified = lines.map(classify).cache()
    kinds = classified.map(lambda c: c[0]).countByValue()
    deleted = sc.broadcast(set(classified.filter(lambda c: c[0] == "deletions").flatMap(lambda c: c[1]).collect()))
    resources = classified.filter(lambda c: c[0] == "resource")
    kept = resources.filter(lambda c: f"{c[2]}/{c[3]}" not in deleted.value)
    groups = kept.map(lambda c: (c[1], (c[2], c[3], c[4]))).groupByKey(partitions) \
        .map(lambda kv: (kv[0],) + bundle(kv[0], kv[1])).cache()
    unknown = groups.filter(lambda g: g[1] is None).map(lambda g: g[2]).sum()
    known = groups.filter(lambda g: g[1] is not None).map(lambda g: (g[0], g[1])).sortByKey(numPartitions=partitions)
    results = known.mapPartitions(lambda rows: run_cds(rows, command, env)).cache()
    if output_format == "parquet":
        spark.createDataFrame(results.map(lambda r: (r[0], r[1])), "patient string, result string").write.parquet(out)
    else:
        results.map(lambda r: r[1]).saveAsTextFile(out)
    evaluated = results.map(lambda r: r[2]).countByValue()
    summary = {
        "patients": evaluated.get(True, 0) + evaluated.get(False, 0),
        "plans": evaluated.get(True, 0),
        "errors": evaluated.get(False, 0),
        "naming no patient": kinds.get("unattached", 0),
        "of patients not in the export": unknown,
        "deleted": resources.count() - kept.count(),
        "unreadable": kinds.get("unreadable", 0),
    }
    for rdd in (classified, groups, results):
        rdd.unpersist()
    return summary


def main():
    ap = argparse.ArgumentParser(description="cds over a FHIR Bulk Data export on Apache Spark")
    ap.add_argument("export", help="the export folder (any location Spark reads)")
    ap.add_argument("out", help="where to write the result (a folder of part files)")
    ap.add_argument("--cds", required=True, help="the cds executable to ship to the executors (a release build)")
    ap.add_argument("--catalog", required=True, help="the Catalog directory to ship with it")
    ap.add_argument("--as-of", help="the assessment date YYYY-MM-DD (default: today, UTC, on each executor)")
    ap.add_argument("--format", default="plan", choices=["plan", "cds-hooks"])
    ap.add_argument("--output-format", default="ndjson", choices=["ndjson", "parquet"])
    ap.add_argument("--partitions", type=int, help="partitions of the grouped patients (default: Spark's default parallelism)")
    args = ap.parse_args()

    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("cds-bulk").getOrCreate()
    try:
        summary = run(spark, args.export, args.out, args.cds, args.catalog, args.as_of, args.format,
                      args.output_format, args.partitions)
    finally:
        spark.stop()
    print("cds-bulk-spark: " + ", ".join(f"{v} {k}" for k, v in summary.items()), file=sys.stderr)
    sys.exit(65 if summary["errors"] or summary["unreadable"] else 0)


if __name__ == "__main__":
    main()
