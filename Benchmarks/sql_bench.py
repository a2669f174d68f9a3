#!/usr/bin/env python3
"""SQL benchmarks for `make bench`, side by side with DuckDB on the same records in the same run.

    sql_bench.py STREAMQ_BINARY OUT_DIR RECORDS [THREADS]

Loads RECORDS generated access logs into a 4-shard stream (through `streamq put`), then times:
the 1-minute tumbling window query of ../shared/bench/duckdb_window.py (and DuckDB running it on
the same records as NDJSON with the same thread count), a filter-only query, a HOP(10 s, 1 min)
query, a SESSION query, count(DISTINCT) and approx_percentile (each also in DuckDB, with the peak
memory of each engine); the time to the first row of a bounded query
over 1 M records; and, in follow mode, the latency from the append that moves the watermark past
a window's end to the emitted row, and how many records/s a follow query processes while `streamq
put` appends them. Prints a Markdown table."""
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
    ("count(DISTINCT) users per host",
     "SELECT host, count(DISTINCT user) AS users FROM access GROUP BY host",
     f"SELECT host, count(DISTINCT user) AS users FROM {source} GROUP BY host"),
    ("approx_percentile p90 latency per method",
     "SELECT method, approx_percentile(latency_ms, 0.9) AS p90 FROM access GROUP BY method",
     f"SELECT method, approx_quantile(latency_ms, 0.9) AS p90 FROM {source} GROUP BY method"),
]


def best(runs, action):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_rss_mb(command, **kwargs):
    """Peak resident memory of one run of `command`, in MB, as GNU time reports it (measured by a
    small parent: a child forked from this Python process would count its memory too)."""
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *command], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, **kwargs)
    if result.returncode != 0:
        sys.exit(f"sql_bench: {command[:3]} failed: {result.stderr.decode()[-500:]}")
    return int(result.stderr.decode().strip().splitlines()[-1]) / 1024


DUCKDB_CHILD = ("import duckdb, sys; con = duckdb.connect(); con.execute(f'SET threads={sys.argv[1]}'); "
                "con.execute(\"SET TimeZone='UTC'\"); con.execute(sys.argv[2]).fetchall()")

rows = []
for name, ours, theirs in QUERIES:
    mine = best(3, lambda: sq("query", ours, "--format", "jsonl", "--parallel", str(threads), stdout=subprocess.DEVNULL))
    reference = best(3, lambda: con.execute(theirs).fetchall())
    my_memory = peak_rss_mb([streamq, "query", ours, "--format", "jsonl", "--parallel", str(threads)], env=env)
    their_memory = peak_rss_mb([sys.executable, "-c", DUCKDB_CHILD, str(threads), theirs])
    rows.append((name, records / mine, records / reference, my_memory, their_memory))

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

# Follow throughput: a follow query over a 4-shard stream while `streamq put` appends the records;
# records two hours later close every window. Done when the emitted counts add up to all records.
subprocess.run([streamq, "create-stream", "flow", "--shards", "4"], env=env, check=True, stdout=subprocess.DEVNULL)
flow_follower = subprocess.Popen(
    [streamq, "query", "SELECT window_start, status, count(*) AS n FROM flow WATERMARK DELAY INTERVAL '30' MINUTE "
     "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status", "--follow", "--format", "jsonl"],
    env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
time.sleep(0.5)  # the follower is reading the (empty) stream before the appends start
last_ts = 0
with open(ndjson, "rb") as f:
    for line in f:
        last_ts = max(last_ts, json.loads(line)["ts"])
flow_start = time.perf_counter()
with open(ndjson, "rb") as f:
    sq("put", "flow", "--key-field", "host", stdin=f, stdout=subprocess.DEVNULL)
put_done = time.perf_counter()
# The watermark is the slowest shard's: a closing record on every shard (64 keys cover all four).
closers = "".join(json.dumps({"ts": last_ts + 7_200_000, "method": "GET", "status": 0, "key": f"closer-{k}"}) + "\n"
                  for k in range(64))
sq("put", "flow", "--key-field", "key", input=closers.encode(), stdout=subprocess.DEVNULL)
counted = 0
while counted < records:
    line = flow_follower.stdout.readline()
    if not line:
        sys.exit("sql_bench: the follow query stopped before it had counted every record")
    counted += json.loads(line)["n"]
flow_seconds = time.perf_counter() - flow_start
flow_follower.kill()
flow_follower.wait()

print(f"\nSQL over {records:,} stored records (4 shards), {threads} threads for both engines, best of 3 runs; "
      "DuckDB reads the same records as NDJSON in the same run.\n")
print("| query | streamq records/s | DuckDB records/s | ratio | streamq peak RSS | DuckDB peak RSS |")
print("|---|---:|---:|---:|---:|---:|")
for name, mine, reference, my_memory, their_memory in rows:
    print(f"| {name} | {mine:,.0f} | {reference:,.0f} | {mine / reference:.2f}x | {my_memory:,.0f} MB | {their_memory:,.0f} MB |")
print("\nPeak RSS: one run of each as a process of its own (DuckDB's includes the Python interpreter, about 30 MB).")
print(f"\nTime to first row (bounded query over {records:,} records, streamed output): {first_row_ms:.0f} ms")
print(f"Follow mode, append to emitted window row (producer through `streamq put`, durable append included): "
      f"p50 {statistics.median(latencies) / 1000:.1f} ms, p99 {latencies[int(len(latencies) * 0.99) - 1] / 1000:.1f} ms "
      f"over {len(latencies)} windows")
print(f"Follow mode throughput (tumbling query over a 4-shard stream while `streamq put` appends {records:,} records): "
      f"{records / flow_seconds:,.0f} records/s from the first append to the last window row "
      f"(the appends alone: {records / (put_done - flow_start):,.0f} records/s)")
