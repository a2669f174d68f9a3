#!/usr/bin/env bash
# The demo: a 4-shard stream, generated access logs piped in through `streamq put`, read back and
# summarised. Everything lives under demo-output/ and is recreated on every run.
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
