#!/usr/bin/env python3
"""SQL benchmarks for `make bench`, side by side with DuckDB on the same records in the same run.

    sql_bench.py STREAMQ_BINARY OUT_DIR RECORDS [THREADS]

Loads RECORDS generated access logs into a 4-shard stream (through `streamq put`), then times:
the 1-minute tumbling window query of ../shared/bench/duckdb_window.py (and DuckDB running it on
the same records as NDJSON with the same thread count), a filter-only query, a HOP(10 s, 1 min)
query and a SESSION query (each also in DuckDB); the time to the first row of a bounded query
over 1 M records; and, in follow mode, the latency from the append that moves the watermark past
a window's end to the emitted row. Prints a Markdown table."""
import json, os, statistics, subprocess, sys, time

streamq, out, records = sys.argv[1], sys.argv[2], int(sys.argv[3])
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
here = os.path.dirname(os.path.abspath(__file__))
anchor_script = os.path.join(here, "..", "..", "shared", "bench", "duckdb_window.py")
data = os.path.join(out, "sql-data")
ndjson = os.path.join(out, "sql-access.ndjson")
env = dict(os.environ, STREAMQ_DATA_DIR=data)

import duckdb  # installed by scripts/install-deps.sh


def sq(*args, **kwargs):
    return subprocess.run([streamq, *args], env=env, check=True, **kwargs)


subprocess.run(["rm", "-rf", data], check=True)
with open(ndjson, "wb") as f:
    sq("gen", "access-logs", "--count", str(records), "--seed", "7", stdout=f)
sq("create-stream", "access", "--shards", "4", stdout=subprocess.DEVNULL)
with open(ndjson, "rb") as f:
    sq("put", "access", "--key-field", "host", stdin=f, stdout=subprocess.DEVNULL)

con = duckdb.connect()
con.execute(f"SET threads={threads}")
con.execute("SET TimeZone='UTC'")
source = (f"read_json('{ndjson}', format='newline_delimited', columns={{'ts':'BIGINT','host':'VARCHAR','method':'VARCHAR',"
          "'path':'VARCHAR','status':'INTEGER','bytes':'BIGINT','latency_ms':'DOUBLE','user_agent':'VARCHAR','user':'VARCHAR'})")

QUERIES = [
    ("tumble 1 min by status (duckdb_window.py)",
     "SELECT window_start, status, count(*) AS n, avg(latency_ms) AS avg_latency, max(latency_ms) AS max_latency, sum(bytes) AS bytes "
     "FROM access WHERE method = 'GET' GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status ORDER BY window_start, status",
     f"SELECT time_bucket(INTERVAL 1 MINUTE, make_timestamp(ts*1000)) AS window_start, status, count(*) AS n, avg(latency_ms) AS avg_latency, "
     f"max(latency_ms) AS max_latency, sum(bytes) AS bytes FROM {source} WHERE method = 'GET' GROUP BY ALL ORDER BY window_start, status"),
    ("filter only (status >= 500, rows out)",
     "SELECT ts, path, status, latency_ms FROM access WHERE status >= 500 AND latency_ms > 50",
     f"SELECT ts, path, status, latency_ms FROM {source} WHERE status >= 500 AND latency_ms > 50"),
    ("hop 10 s / 1 min by path",
     "SELECT window_start, path, count(*) AS n, max(latency_ms) AS worst FROM access "
     "GROUP BY HOP(ts, INTERVAL '10' SECOND, INTERVAL '1' MINUTE), path",
     f"SELECT ws, path, count(*) AS n, max(latency_ms) AS worst FROM (SELECT unnest(generate_series(floor(ts / 10000)::BIGINT * 10000 - 50000, "
     f"floor(ts / 10000)::BIGINT * 10000, 10000)) AS ws, path, latency_ms FROM {source}) GROUP BY ws, path"),
    ("session 2 s gap by user",
     "SELECT user, window_start, count(*) AS n FROM access GROUP BY SESSION(ts, INTERVAL '2' SECOND), user",
     f"WITH t AS (SELECT user, ts, CASE WHEN ts - lag(ts) OVER (PARTITION BY user ORDER BY ts) < 2000 THEN 0 ELSE 1 END AS fresh FROM {source}), "
     "s AS (SELECT *, sum(fresh) OVER (PARTITION BY user ORDER BY ts ROWS UNBOUNDED PRECEDING) AS sid FROM t) "
     "SELECT user, min(ts) AS window_start, count(*) AS n FROM s GROUP BY user, sid"),
]


def best(runs, action):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


rows = []
for name, ours, theirs in QUERIES:
    mine = best(3, lambda: sq("query", ours, "--format", "jsonl", "--parallel", str(threads), stdout=subprocess.DEVNULL))
    reference = best(3, lambda: con.execute(theirs).fetchall())
    rows.append((name, records / mine, records / reference))

# Time to first row: a bounded scan whose first match comes early, over the first 1 M records' store.
first_row_query = "SELECT ts, path FROM access WHERE status = 503"
samples = []
for _ in range(5):
    start = time.perf_counter()
    child = subprocess.Popen([streamq, "query", first_row_query, "--format", "jsonl"], env=env, stdout=subprocess.PIPE)
    child.stdout.readline()
    samples.append(time.perf_counter() - start)
    child.kill()
    child.wait()
first_row_ms = statistics.median(samples) * 1000

# Follow latency: a 1-shard stream, 1 s tumbling windows, no watermark delay; each append of a record
# one second later closes the previous window.
subprocess.run([streamq, "create-stream", "live", "--shards", "1"], env=env, check=True, stdout=subprocess.DEVNULL)
follower = subprocess.Popen(
    [streamq, "query", "SELECT window_start, count(*) AS n FROM live WATERMARK DELAY INTERVAL '0' SECOND "
     "GROUP BY TUMBLE(ts, INTERVAL '1' SECOND)", "--follow", "--format", "jsonl"],
    env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
producer = subprocess.Popen([streamq, "put", "live", "--partition-key", "k"], env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
latencies = []
base = 1_767_225_600_000
for second in range(41):
    start = time.perf_counter()
    producer.stdin.write((json.dumps({"ts": base + second * 1000, "v": 1}) + "\n").encode())
    producer.stdin.flush()
    if second == 0:
        continue
    follower.stdout.readline()
    if second > 1:  # the first includes the follower's start-up
        latencies.append((time.perf_counter() - start) * 1e6)
producer.stdin.close()
producer.wait()
follower.kill()
follower.wait()
latencies.sort()

print(f"\nSQL over {records:,} stored records (4 shards), {threads} threads for both engines, best of 3 runs; "
      "DuckDB reads the same records as NDJSON in the same run.\n")
print("| query | streamq records/s | DuckDB records/s | ratio |")
print("|---|---:|---:|---:|")
for name, mine, reference in rows:
    print(f"| {name} | {mine:,.0f} | {reference:,.0f} | {mine / reference:.2f}x |")
print(f"\nTime to first row (bounded query over {records:,} records, streamed output): {first_row_ms:.0f} ms")
print(f"Follow mode, append to emitted window row (producer through `streamq put`, durable append included): "
      f"p50 {statistics.median(latencies) / 1000:.1f} ms, p99 {latencies[int(len(latencies) * 0.99) - 1] / 1000:.1f} ms "
      f"over {len(latencies)} windows")
