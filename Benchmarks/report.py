#!/usr/bin/env python3
"""Prints the benchmark table: streamq's figures (median of the runs) next to the zstd anchor."""
import csv, json, os, sys

out, records = sys.argv[1], int(sys.argv[2])
file_bytes = os.path.getsize(os.path.join(out, "access.ndjson"))
bytes_per_record = file_bytes / records

try:
    with open(os.path.join(out, "zstd-anchor.json")) as f:
        zstd = json.load(f)
    compress_mb, decompress_mb = zstd["compress_mb_per_second"], zstd["decompress_mb_per_second"]
    compress_rps, decompress_rps = zstd["compress_records_per_second"], zstd["decompress_records_per_second"]
    ratio = zstd["ratio"]
except (OSError, ValueError, KeyError) as error:
    sys.exit(f"make bench: no zstd anchor to compare with ({error}); zstd_anchor.py measures it")

medians = {}
percentiles = {}
for name in os.listdir(out):
    if not name.endswith(".influx.csv"):
        continue
    with open(os.path.join(out, name)) as f:
        rows = [line for line in f if not line.startswith("#")]
    for row in csv.DictReader(rows):
        percentiles[(row["test"], row["metric"], row["percentile"])] = float(row["value"])
        if row["percentile"] == "50.0":
            medians[(row["test"], row["metric"])] = float(row["value"])

def is_hot_path(test):
    """The one-thread microbenchmarks of per-record steps, reported in a table of their own."""
    return test.startswith("json") or test == "partition key hashes"


tests = sorted({test for test, metric in medians if metric == "records/s" and not is_hot_path(test)},
               key=lambda t: (not t.startswith("append"), t))
print(f"\n{records:,} access-log records, {bytes_per_record:.0f} bytes each on average, zstd level 1; "
      f"median of 3 runs (zstd: best of 3); ratios against the zstd CLI on the same file in the same run.\n")
print(f"| benchmark | records/s | raw MB/s | anchor | ratio |")
print(f"|---|---:|---:|---|---:|")
for test in tests:
    rps = medians.get((test, "records/s"), 0)
    mbs = medians.get((test, "rawMB/s"), 0)
    if test.startswith("append") or test.startswith("producer"):
        anchor, anchor_rps = "zstd -1 compress", compress_rps
    else:
        anchor, anchor_rps = "zstd -d decompress", decompress_rps
    print(f"| {test} | {rps:,.0f} | {mbs:,.0f} | {anchor} | {rps / anchor_rps:.2f}x |")
print(f"| anchor: zstd -1 compress (1 core) | {compress_rps:,.0f} | {compress_mb:,.0f} | | |")
print(f"| anchor: zstd -d decompress (1 core) | {decompress_rps:,.0f} | {decompress_mb:,.0f} | | |")
print(f"\nzstd ratio on the whole file: {ratio:.2f}x")

lookups = sorted(test for test, metric in medians if metric == "records/s" and is_hot_path(test))
if lookups:
    print("\nPer-record steps on one thread: the JSON field lookup of `put --key-field` (ten fields a line) "
          "and the MD5 of a partition key that routes a record to its shard:\n")
    print("| benchmark | per second | ns each | raw MB/s |")
    print("|---|---:|---:|---:|")
    for test in lookups:
        rps = medians[(test, "records/s")]
        print(f"| {test} | {rps:,.0f} | {1e9 / rps:,.0f} | {medians.get((test, 'rawMB/s'), 0):,.0f} |")

latency = [(test, metric) for (test, metric) in medians if metric.startswith("latency")]
for test, metric in latency:
    p50 = percentiles.get((test, metric, "50.0"), 0)
    p99 = percentiles.get((test, metric, "99.0"), 0)
    print(f"\n{test}: p50 {p50:,.0f} µs, p99 {p99:,.0f} µs (one shard, fsync always, a record every ~0.1 ms)")
