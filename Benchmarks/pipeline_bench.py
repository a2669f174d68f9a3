#!/usr/bin/env python3
"""Persistent queries for `make bench` (issue 14 §5), in the same run:
- a three-stage pipeline hosted by `streamq serve`: raw access logs -> `parsed` (GET requests,
  projected) -> `per_minute` (count and average latency per minute and status) and `top_paths` (hits
  per minute and path); RECORDS records are put into the raw stream first, then the server starts and
  the time until every stage has caught up (the last stream holds its rows) gives records/s;
- the same run with one persistent query (per minute and status, straight from the raw stream);
- latency: with the server running, one record put (boto3, PutRecord) whose event time moves the
  watermark past a window's end, until that window's row is in `per_minute` (polled with GetRecords
  every 2 ms): p50 and p99 of 30.

    pipeline_bench.py STREAMQ_BINARY OUT_DIR [RECORDS]

RECORDS defaults to BENCH_PIPELINE_RECORDS or 1,000,000. Prints a Markdown table."""
import json, os, signal, statistics, subprocess, sys, time, urllib.request

streamq, out = sys.argv[1], sys.argv[2]
records = int(sys.argv[3]) if len(sys.argv) > 3 else int(os.environ.get("BENCH_PIPELINE_RECORDS") or 1_000_000)
ndjson = os.path.join(out, "pipeline-access.ndjson")
with open(ndjson, "wb") as f:
    subprocess.run([streamq, "gen", "access-logs", "--count", str(records), "--seed", "7"], stdout=f, check=True)
gets = sum(1 for line in open(ndjson, "rb") if b'"method":"GET"' in line)

PIPELINE = [
    "CREATE STREAM parsed AS SELECT ts, host, path, status, latency_ms FROM raw WHERE method = 'GET'",
    # `parsed` interleaves the event times of raw's four shards by as much as one commit spans (about
    # 40 s of these logs): the downstream watermark delay covers that (see the README).
    "CREATE STREAM per_minute AS SELECT window_start, status, count(*) AS n, avg(latency_ms) AS avg_latency "
    "FROM parsed WATERMARK DELAY INTERVAL '2' MINUTE GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status",
    "CREATE STREAM top_paths AS SELECT window_start, path, count(*) AS hits FROM parsed "
    "WATERMARK DELAY INTERVAL '2' MINUTE GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), path HAVING count(*) >= 100",
]
SINGLE = [
    "CREATE STREAM per_minute AS SELECT window_start, status, count(*) AS n, avg(latency_ms) AS avg_latency "
    "FROM raw WHERE method = 'GET' GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status",
]


def prepare(name, statements):
    data = os.path.join(out, f"pipeline-{name}")
    subprocess.run(["rm", "-rf", data], check=True)
    env = dict(os.environ, STREAMQ_DATA_DIR=data)
    subprocess.run([streamq, "create-stream", "raw", "--shards", "4"], env=env, check=True, stdout=subprocess.DEVNULL)
    with open(ndjson, "rb") as f:
        subprocess.run([streamq, "put", "raw", "--key-field", "host"], stdin=f, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for statement in statements:
        subprocess.run([streamq, "sql"], input=(statement + ";\n").encode(), env=env, check=True,
                       stdout=subprocess.DEVNULL)
    return env


def serve(env):
    server = subprocess.Popen([streamq, "serve", "--listen", "127.0.0.1:0"], env=env, stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    if not line.startswith("listening on "):
        sys.exit(f"pipeline_bench: streamq serve did not start: {line!r}")
    return server, line.strip().removeprefix("listening on ")


def queries(url):
    with urllib.request.urlopen(url + "/v1/queries") as answer:
        return {query["name"]: query for query in json.load(answer)}


def caught_up(url, last):
    """Every query has read its source to the end and the last one has emitted; each source's rows
    are its upstream's output, so this holds once the whole graph has drained."""
    state = queries(url)
    if any(query["state"] != "running" or any(shard["records"] for shard in query["lag"]) for query in state.values()):
        return False
    first = state.get("parsed", state.get("per_minute"))
    return first["rowsIn"] == records and state[last]["rowsOut"] > 0


def catch_up(name, statements, last):
    env = prepare(name, statements)
    server, url = serve(env)
    start = time.perf_counter()
    try:
        while not caught_up(url, last):
            if time.perf_counter() - start > 900:
                sys.exit(f"pipeline_bench: the {name} queries did not catch up in 15 minutes")
            time.sleep(0.05)
        return time.perf_counter() - start, env, server, url
    except BaseException:
        server.kill()
        raise


pipeline_seconds, env, server, url = catch_up("three-stage", PIPELINE, "top_paths")
late = sum(query["late"] for query in queries(url).values())
import boto3  # installed by scripts/install-compat-deps.sh

client = boto3.client("kinesis", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIDBENCH",
                      aws_secret_access_key="bench")
last_ts = max(json.loads(line)["ts"] for line in open(ndjson, "rb"))
latencies = []
window = (last_ts // 60_000 + 10) * 60_000
iterator = client.get_shard_iterator(StreamName="per_minute", ShardId="shardId-000000000000",
                                     ShardIteratorType="LATEST")["ShardIterator"]
for round_ in range(31):
    # A record 6 minutes on: the watermark (newest event time - 2 min) passes the end of the last
    # record's window, which then fires.
    record = {"ts": window + 6 * 60_000 * (round_ + 1), "host": "bench", "method": "GET", "path": "/latency",
              "status": 200, "latency_ms": 1.0}
    start = time.perf_counter()
    client.put_record(StreamName="raw", Data=json.dumps(record).encode(), PartitionKey="bench")
    while True:
        answer = client.get_records(ShardIterator=iterator)
        iterator = answer["NextShardIterator"]
        if answer["Records"]:
            break
        if time.perf_counter() - start > 60:
            sys.exit("pipeline_bench: no window row within 60 s of the record that closes it")
        time.sleep(0.002)
    if round_ > 0:  # the first closes the backlog's last window
        latencies.append((time.perf_counter() - start) * 1000)
server.send_signal(signal.SIGTERM)
server.wait()

single_seconds, _, single_server, _ = catch_up("single", SINGLE, "per_minute")
single_server.send_signal(signal.SIGTERM)
single_server.wait()

print(f"\nPersistent queries ({records:,} access-log records put into a 4-shard raw stream first, then "
      f"`streamq serve` started; records/s until the last stream is complete; {gets:,} GET requests flow on):\n")
print("| what | records/s | seconds |")
print("|---|---:|---:|")
print(f"| three-stage pipeline (raw -> parsed -> per_minute and top_paths) | {records / pipeline_seconds:,.0f} | "
      f"{pipeline_seconds:.2f} |")
print(f"| one persistent query (per_minute straight from raw) | {records / single_seconds:,.0f} | {single_seconds:.2f} |")
print(f"\nRows the pipeline's windowed stages counted late (their windows had closed when the row came): {late:,}.")
latencies.sort()
print(f"\nLatency from the PutRecord that closes a window to its row in the pipeline's per_minute stream "
      f"(two queries and two committed appends on the way, 30 rounds): p50 {statistics.median(latencies):.1f} ms, "
      f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.1f} ms.")
