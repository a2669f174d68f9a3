#!/usr/bin/env python3
"""File-sink benchmarks for `make bench`: `streamq deliver --once` of a stored stream into each
format (rows/s, and MB/s of record data delivered), and the Parquet file's size against pyarrow
writing the same rows with ZSTD.

    sink_bench.py STREAMQ_BINARY OUT_DIR

Uses the 4-shard stream that sql_bench.py stored in OUT_DIR/sql-data."""
import glob, os, shutil, subprocess, sys, time

streamq, out = sys.argv[1], os.path.abspath(sys.argv[2])
data = os.path.join(out, "sql-data")
env = dict(os.environ, STREAMQ_DATA_DIR=data)
raw_bytes = os.path.getsize(os.path.join(out, "sql-access.ndjson"))
sinks = os.path.join(out, "sinks")

CASES = [("jsonl", "none"), ("jsonl", "gzip"), ("jsonl", "zstd"), ("csv", "none"), ("parquet", "none")]
rows = []
for fmt, compression in CASES:
    target = os.path.join(sinks, f"{fmt}-{compression}")
    shutil.rmtree(target, ignore_errors=True)
    start = time.perf_counter()
    done = subprocess.run([streamq, "deliver", "access", "--into", f"file://{target}", "--format", fmt, "--compression", compression,
                           "--once", "--buffer-size", "1GiB"], env=env, check=True, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    delivered = int(done.stderr.split("delivered ")[1].split(" ")[0])
    size = sum(os.path.getsize(f) for f in glob.glob(os.path.join(target, "part-*")))
    rows.append((fmt, compression, delivered / seconds, raw_bytes / seconds / 1e6, size))

import pyarrow.parquet as pq
ours = glob.glob(os.path.join(sinks, "parquet-none", "part-*.parquet"))
table = pq.read_table(ours)
reference = os.path.join(sinks, "pyarrow-zstd.parquet")
pq.write_table(table, reference, compression="zstd")
ours_size = sum(os.path.getsize(f) for f in ours)
theirs_size = os.path.getsize(reference)
plain = os.path.join(sinks, "pyarrow-zstd-plain.parquet")
pq.write_table(table, plain, compression="zstd", use_dictionary=False)

records = table.num_rows
print(f"\nFile sinks: `streamq deliver access --once` of the {records:,} stored records (reading, JSON extraction and "
      "the sink), MB/s of record data (NDJSON bytes) delivered.\n")
print("| format | compression | rows/s | MB/s | file bytes |")
print("|---|---|---:|---:|---:|")
for fmt, compression, rps, mbs, size in rows:
    print(f"| {fmt} | {compression} | {rps:,.0f} | {mbs:,.0f} | {size:,} |")
print(f"\nParquet size: streamq {ours_size:,} bytes; pyarrow with ZSTD on the same rows {theirs_size:,} bytes "
      f"(ratio {ours_size / theirs_size:.2f}x; pyarrow without dictionary encoding {os.path.getsize(plain):,} bytes, "
      f"ratio {ours_size / os.path.getsize(plain):.2f}x).")
