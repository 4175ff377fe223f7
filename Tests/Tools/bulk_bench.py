#!/usr/bin/env python3
"""Figures for FHIR Bulk Data in (docs/performance.md, "Bulk Data"); a benchmark, not a test.

Builds exports of 1,000 to 100,000 patients: 1,000 synthetic carebundle patients with
iliopsoas resources (Tests/Tools/bulk_export.py), cloned with fresh ids for the larger
sizes (every id and reference rewritten, so each clone is a patient of its own). Then
measures `cds evaluate --bulk` on 1 and 2 lanes (wall time, patients/s, peak resident
memory from VmHWM) and the Spark job in local[2] mode on the sizes up to --spark-max, with
Spark's start-up (session and first job) measured apart from the job itself.

    python3 Tests/Tools/bulk_bench.py .build/release/cds --sizes 1000 10000 100000 [--spark-max 10000]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "Sources", "Integrations", "spark"))

AS_OF = "2026-03-02"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
LOCAL_ID = re.compile(r'(?<=[/"])ip([0-9]+)-')


def base_export(work, patients, lean):
    path = os.path.join(work, f"base{'-lean' if lean else ''}-{patients}")
    if not os.path.exists(os.path.join(path, "manifest.json")):
        import bulk_export
        streams, ids = bulk_export.generate(patients, 3, lean=lean)
        bulk_export.write(path, streams, ids, edge_cases=False, manifest=True)
    return path


def cloned_export(work, base, size, base_size, lean):
    """`size` patients: the base export's patients cloned with fresh ids."""
    path = os.path.join(work, f"export{'-lean' if lean else ''}-{size}")
    if os.path.exists(os.path.join(path, "manifest.json")):
        return path
    os.makedirs(path, exist_ok=True)
    manifest = json.load(open(os.path.join(base, "manifest.json")))
    clones = size // base_size
    for entry in manifest["output"]:
        name = entry["url"].rsplit("/", 1)[-1]
        lines = open(os.path.join(base, name), encoding="utf-8").read().splitlines()
        with open(os.path.join(path, name), "w", encoding="utf-8") as out:
            for k in range(clones):
                if k == 0:
                    out.write("".join(line + "\n" for line in lines))
                    continue
                prefix = f"{k:08x}"
                for line in lines:
                    line = UUID.sub(lambda m: prefix + m.group(0)[8:], line)
                    out.write(LOCAL_ID.sub(lambda m: f"c{k}-ip{m.group(1)}-", line) + "\n")
        entry["count"] = len(lines) * clones
    json.dump(manifest, open(os.path.join(path, "manifest.json"), "w"), indent=1)
    return path


def du(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def run_bulk(cds, export, workers, budget=None):
    argv = [cds, "evaluate", "--bulk", export, "--as-of", AS_OF, "--workers", str(workers), "--catalog", os.path.join(ROOT, "Catalog")]
    if budget:
        argv += ["--memory-budget", str(budget)]
    start = time.monotonic()
    err_file = tempfile.TemporaryFile()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err_file)
    peak = 0
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        try:
            for line in open(f"/proc/{p.pid}/status"):
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.05)
    seconds = time.monotonic() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    err_file.seek(0)
    err = err_file.read().decode()
    assert p.returncode in (0, 65), err
    summary = [l for l in err.splitlines() if "bulk:" in l][-1]
    patients = int(re.search(r"bulk: ([0-9]+) patients", summary).group(1))
    grouping = re.search(r"grouping ([0-9.]+) s", summary)
    return {"seconds": seconds, "patients": patients, "peak_mib": peak / 1024, "cpu": usage.ru_utime + usage.ru_stime,
            "load": os.getloadavg()[0],
            "grouping": float(grouping.group(1)) if grouping else None, "summary": summary}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cds")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--spark-max", type=int, default=10000)
    ap.add_argument("--base", type=int, default=1000)
    ap.add_argument("--work", default="/tmp/cds-bulk-bench")
    ap.add_argument("--no-spark", action="store_true")
    ap.add_argument("--lean", action="store_true", help="patients without laboratory panels and vital signs (about 10x smaller)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--budget-run", type=int, help="also run the largest size with --memory-budget N")
    args = ap.parse_args()
    cds = os.path.abspath(args.cds)
    os.makedirs(args.work, exist_ok=True)
    base = base_export(args.work, args.base, args.lean)
    rows = []
    exports = {}
    for size in args.sizes:
        export = exports[size] = cloned_export(args.work, base, size, args.base, args.lean)
        mb = du(export) / 1e6
        for workers in args.workers:
            r = run_bulk(cds, export, workers)
            rows.append((size, mb, f"cds evaluate --bulk, {workers} lane{'s' if workers > 1 else ''}{', lean patients' if args.lean else ''}", r))
            print(f"{size} patients ({mb:.0f} MB), --bulk --workers {workers}: {r['seconds']:.1f} s, "
                  f"{r['patients'] / r['seconds']:.0f} patients/s, CPU {r['cpu']:.1f} s, load {r['load']:.1f}, peak RSS {r['peak_mib']:.1f} MiB; {r['summary']}", flush=True)
        if args.budget_run and size == max(args.sizes):
            r = run_bulk(cds, export, max(args.workers), budget=args.budget_run)
            rows.append((size, mb, f"cds evaluate --bulk, {max(args.workers)} lanes, --memory-budget {args.budget_run}", r))
            print(f"{size} patients, --memory-budget 16: {r['seconds']:.1f} s, peak RSS {r['peak_mib']:.1f} MiB", flush=True)
    if not args.no_spark:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ["PYSPARK_PYTHON"] = sys.executable
        import cds_bulk_spark
        from pyspark.sql import SparkSession
        start = time.monotonic()
        spark = (SparkSession.builder.master("local[2]").appName("cds-bulk-bench").config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false").config("spark.driver.host", "127.0.0.1").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        spark.sparkContext.parallelize(range(4), 2).map(lambda x: x).collect()
        startup = time.monotonic() - start
        print(f"Spark local[2]: session and first job {startup:.1f} s", flush=True)
        for size in [s for s in args.sizes if s <= args.spark_max]:
            export = exports[size]
            for attempt in ("first", "second"):
                out = os.path.join(args.work, f"spark-{size}-{attempt}")
                subprocess.run(["rm", "-rf", out])
                t = time.monotonic()
                summary = cds_bulk_spark.run(spark, export, out, cds, os.path.join(ROOT, "Catalog"), AS_OF, partitions=4)
                seconds = time.monotonic() - t
                rows.append((size, du(export) / 1e6, f"Spark job, local[2], {attempt} run in the session",
                             {"seconds": seconds, "patients": summary["patients"], "peak_mib": None, "grouping": None,
                              "cpu": None, "load": os.getloadavg()[0]}))
                print(f"{size} patients, Spark ({attempt} run): {seconds:.1f} s, {summary['patients'] / seconds:.0f} patients/s", flush=True)
        spark.stop()
    print("\n| patients | export MB | program | wall s | patients/s | grouping s | CPU s | patients per CPU s | load | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size, mb, name, r in rows:
        peak = f"{r['peak_mib']:.1f}" if r["peak_mib"] else ""
        grouping = f"{r['grouping']:.1f}" if r["grouping"] is not None else ""
        cpu = f"{r['cpu']:.1f} | {r['patients'] / r['cpu']:,.0f}" if r["cpu"] else " | "
        print(f"| {size:,} | {mb:,.0f} | {name} | {r['seconds']:.1f} | {r['patients'] / r['seconds']:,.0f} | {grouping} | {cpu} | {r['load']:.1f} | {peak} |")


if __name__ == "__main__":
    main()
