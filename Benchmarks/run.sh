#!/usr/bin/env bash
# `make bench`: generates the sample access logs, measures the anchor (zstd -1 on the same records)
# and streamq's storage benchmarks in the same run, and prints one table of figures and ratios.
# BENCH_RECORDS sets the record count (default 1,000,000), BENCH_PUT_RECORDS the `streamq put` benchmarks'
# (default BENCH_RECORDS), BENCH_SQL_RECORDS the SQL benchmarks' (default 2,000,000), BENCH_SHIP_LINES the
# `streamq ship` benchmark's lines (default 1,000,000), BENCH_PIPELINE_RECORDS the persistent-query benchmark's
# (default 1,000,000); results land in bench-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
records="${BENCH_RECORDS:-1000000}"
out="$PWD/bench-output"
rm -rf "$out"
mkdir -p "$out"

echo "building streamq (release)..." >&2
swift build -c release --static-swift-stdlib --product streamq >&2
.build/release/streamq gen access-logs --count "$records" --seed 7 > "$out/access.ndjson"

echo "anchor: zstd -1 and zstd -d on $records records (one core, best of 3)..." >&2
python3 Benchmarks/zstd_anchor.py "$out/access.ndjson" "$records" "$out/zstd-anchor.json"

echo "streamq storage and client benchmarks..." >&2
# The benchmark package keeps the list of the main package's source files from its last build; a file
# added or removed since fails that build ("missing inputs", "cannot find type"). Forget the list.
rm -f Benchmarks/.build/manifest.db Benchmarks/.build/*/description.json
(cd Benchmarks && STREAMQ_BENCH_RECORDS="$records" swift package --allow-writing-to-package-directory \
    benchmark --no-progress --format influx --path "$out" >&2)

python3 Benchmarks/report.py "$out" "$records"

echo "streamq put benchmarks (stdin to durable, each key mode, 1 and 4 shards)..." >&2
python3 Benchmarks/put_bench.py .build/release/streamq "$out" "$records"

echo "SQL benchmarks (streamq and DuckDB side by side)..." >&2
python3 Benchmarks/sql_bench.py .build/release/streamq "$out" "${BENCH_SQL_RECORDS:-2000000}"

echo "Kinesis server benchmarks (PutRecords through wrk, Redis XADD and moto in the same run)..." >&2
scripts/install-compat-deps.sh --bench
python3 Benchmarks/server_bench.py .build/release/streamq "$out"

echo "persistent queries: a three-stage pipeline and one query hosted by streamq serve..." >&2
python3 Benchmarks/pipeline_bench.py .build/release/streamq "$out"

echo "remote mode against embedded (put through streamq serve on loopback)..." >&2
python3 Benchmarks/remote_bench.py .build/release/streamq "$out"

echo "file sink benchmarks..." >&2
python3 Benchmarks/sink_bench.py .build/release/streamq "$out"

echo "log shipping: streamq ship against tail | streamq put and rsyslog on the same file..." >&2
python3 Benchmarks/ship_bench.py .build/release/streamq "$out" "${BENCH_SHIP_LINES:-1000000}"
