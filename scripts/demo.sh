#!/usr/bin/env bash
# The demo: a 4-shard stream, generated access logs piped in through `streamq put`, read back,
# windowed queries written as Parquet and JSON lines, the raw records delivered as Parquet, and the
# files read back with DuckDB. Everything lives under demo-output/ and is recreated on every run.
set -euo pipefail
cd "$(dirname "$0")/.."

streamq=".build/release/streamq"
out="demo-output"
export STREAMQ_DATA_DIR="$out/streamq-data"
count="${DEMO_RECORDS:-200000}"

rm -rf "$out"
mkdir -p "$out"

echo "== streamq create-stream access --shards 4"
$streamq create-stream access --shards 4

echo
echo "== streamq gen access-logs --count $count | streamq put access --key-field host"
start=$(date +%s.%N)
$streamq gen access-logs --count "$count" --seed 7 | $streamq put access --key-field host
end=$(date +%s.%N)
python3 -c "import sys; n=$count; s=$end-$start; print(f'   {n} records in {s:.2f} s ({n/s:,.0f} records/s, durable: fsync always)')"

echo
echo "== streamq describe-stream access"
$streamq describe-stream access | cut -c1-110

echo
echo "== streamq read access --limit 3"
$streamq read access --limit 3

echo
echo "== streamq read access --group dashboard --limit 50000 (a consumer group: the next run continues)"
$streamq read access --group dashboard --limit 50000 | wc -l | awk '{print "   " $1 " records"}'
$streamq read access --group dashboard | wc -l | awk '{print "   then " $1 " more (the rest, not the first 50,000 again)"}'
$streamq groups access

echo "== streamq stats access"
$streamq stats access

echo
echo "== streamq query: requests, server errors and mean latency per minute (first 5 minutes)"
$streamq query "SELECT window_start, count(*) AS requests, count(*) FILTER (WHERE status >= 500) AS server_errors,
                       round(avg(latency_ms), 1) AS mean_latency_ms
                FROM access GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE) ORDER BY window_start LIMIT 5" --format table

echo
echo "== windowed queries into files (committed atomically, listed in each _manifest/)"
results="$PWD/$out/results"
$streamq query "SELECT window_start, status, count(*) AS requests,
                       count(*) FILTER (WHERE status >= 500) * 1.0 / count(*) AS error_rate
                FROM access GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status" \
    --into "file://$results/requests_by_status/dt={dt}/hr={hr}" --format parquet
$streamq query "SELECT window_start, path, approx_percentile(latency_ms, 0.95) AS p95_latency_ms, count(*) AS requests
                FROM access WHERE path NOT LIKE '/api/v1/items/%'
                GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), path" \
    --into "file://$results/p95_latency_by_path/dt={dt}/hr={hr}" --format jsonl
$streamq query "SELECT window_start, path, count(*) AS requests FROM access
                GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE), path HAVING count(*) > 2000" \
    --into "file://$results/busy_paths_5min/dt={dt}" --format parquet

echo
echo "== streamq deliver: the raw records as Parquet, partitioned by arrival hour"
$streamq deliver access --into "file://$results/raw_access/dt={dt}/hr={hr}" --format parquet --once

echo
echo "== queries that feed streams: a derived stream backfilled from history (bounded CREATE STREAM … AS)"
$streamq query "CREATE STREAM slow_requests WITH (shards = 2) AS
                SELECT ts, host, path, latency_ms FROM access WHERE latency_ms > 250"
$streamq query "SELECT path, count(*) AS slow, round(avg(latency_ms), 1) AS mean_ms FROM slow_requests
                GROUP BY path ORDER BY slow DESC LIMIT 3" --format table

echo
echo "== a persistent query, hosted by streamq run until it has caught up, then stopped (it commits first)"
$streamq sql <<'SQL'
CREATE STREAM errors_per_minute AS SELECT window_start, count(*) AS server_errors FROM access
  WHERE status >= 500 GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE);
SQL
$streamq run > "$out/run.log" 2>&1 &
runner=$!
for _ in $(seq 1 300); do
    if $streamq queries describe errors_per_minute | grep -q "^lag shardId-000000000003 *0 records"; then break; fi
    sleep 0.2
done
kill -TERM "$runner"
wait "$runner"
$streamq queries describe errors_per_minute | grep -E "^(rows_in|rows_out|late|watermark|state_bytes) "
$streamq query "SELECT window_start, server_errors FROM errors_per_minute ORDER BY server_errors DESC LIMIT 3" --format table

echo
echo "== the files, read back with DuckDB"
python3 - "$results" <<'PY'
import duckdb, os, sys
root = sys.argv[1]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
for name in sorted(os.listdir(root)):
    files = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(root, name)) for f in fs
             if f.endswith((".parquet", ".jsonl")) and "_errors" not in d]
    rows = sum(con.execute(f"SELECT count(*) FROM read_{'parquet' if files[0].endswith('.parquet') else 'json_auto'}('{f}')").fetchone()[0] for f in files)
    print(f"   {name:<22} {len(files)} file(s), {rows:>7} rows   e.g. {os.path.relpath(files[0], root)}")
print()
print("   worst minutes by server-error rate (requests_by_status, Parquet):")
for row in con.execute(f"""SELECT strftime(window_start, '%H:%M') AS minute, sum(requests) AS requests,
        round(100 * sum(error_rate * requests) / sum(requests), 2) AS error_pct
        FROM read_parquet('{root}/requests_by_status/**/*.parquet', hive_partitioning = true)
        GROUP BY minute ORDER BY error_pct DESC LIMIT 3""").fetchall():
    print(f"     {row[0]}  {row[1]:>6} requests  {row[2]:>5}% 5xx")
print("   slowest paths by p95 latency (p95_latency_by_path, JSON lines):")
for row in con.execute(f"""SELECT path, round(max(p95_latency_ms), 1) AS worst_p95 FROM
        read_json_auto('{root}/p95_latency_by_path/**/*.jsonl') GROUP BY path ORDER BY worst_p95 DESC LIMIT 3""").fetchall():
    print(f"     {row[0]:<18} {row[1]:>6} ms")
PY

echo
echo "== read everything back and check it against what was generated"
$streamq read access | sort > "$out/read-back.ndjson"
$streamq gen access-logs --count "$count" --seed 7 | sort > "$out/generated.ndjson"
if cmp -s "$out/read-back.ndjson" "$out/generated.ndjson"; then
    echo "   all $count records read back byte for byte"
else
    echo "   MISMATCH between generated and stored records" >&2
    exit 1
fi
python3 - "$out/read-back.ndjson" <<'PY'
import json, sys, collections
statuses = collections.Counter()
for line in open(sys.argv[1]):
    statuses[json.loads(line)["status"]] += 1
total = sum(statuses.values())
print("   status  count   share")
for status, n in sorted(statuses.items()):
    print(f"   {status}     {n:>6}  {100*n/total:5.1f}%")
PY
rm -f "$out/read-back.ndjson" "$out/generated.ndjson"
du -sh "$STREAMQ_DATA_DIR" | awk '{print "\n   data directory: " $2 " (" $1 " on disk)"}'
echo "   result files:   $out/results/"
