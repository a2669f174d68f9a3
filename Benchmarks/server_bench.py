#!/usr/bin/env python3
"""`streamq serve` benchmarks for `make bench`, side by side with Redis Streams and moto in the same run.

    server_bench.py [STREAMQ_BINARY] [OUT_DIR]

STREAMQ_BINARY defaults to $STREAMQ_BIN, else .build/release/streamq. Starts `streamq serve` on a
fresh data directory (default fsync policy) with a 4-shard stream, then measures:
- PutRecords throughput and latency: `wrk -t2 -c8 -d10s -s ../shared/bench/putrecords.lua`
  (500 x 180-byte records per request, unsigned); records/s = 2xx requests x 500 / seconds, with
  wrk's p50/p99 request latency. Anchors in the same run: Redis Streams XADD pipelined with AOF
  everysec (../shared/bench/redis_xadd.sh) and moto's server driven by the same wrk script.
- GetRecords throughput: one Python client reading back what wrk put, raw HTTP with keep-alive,
  Limit 10000, the four shards in turn, for up to 10 s (Python's JSON parsing is part of the figure).
- Latency from PutRecord to arrival, over 200 records put one at a time every 10 ms into one shard:
  over SubscribeToShard (boto3's event-stream reader, a registered consumer) and over GetRecords
  polling every 200 ms (the fastest a consumer may poll under AWS's 5 reads/s per shard).
SERVER_BENCH_TARGET=moto measures moto in streamq's place (to try the script without streamq).
Prints Markdown tables and the ratios streamq/Redis (goal >= 2) and streamq/moto (goal >= 100)."""
import json, os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time

import boto3
import requests
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED_BENCH = os.path.join(REPO, "..", "shared", "bench")
STREAM = "load"
SHARDS = 4
WRK_SECONDS = 10
LATENCY_RECORDS = 200
PUT_INTERVAL = 0.010
POLL_INTERVAL = 0.200
RECORDS_PER_REQUEST = 500


class BenchError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Endpoint:
    """A Kinesis endpoint process: `streamq serve` or moto's server."""

    def __init__(self, kind, binary, work):
        self.kind, self.binary, self.work = kind, binary, work
        self.process = None
        self.url = None

    def __enter__(self):
        log = open(os.path.join(self.work, f"{self.kind}.log"), "ab")
        if self.kind == "moto":
            port = free_port()
            self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                            stdout=log, stderr=log)
            self.url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(self.url + "/moto-api/", timeout=1)
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline:
                        raise BenchError("moto's server did not start")
                    time.sleep(0.1)
        else:
            data = os.path.join(self.work, "streamq-data")
            self.process = subprocess.Popen([self.binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data],
                                            stdout=subprocess.PIPE, stderr=log)
            line = self.process.stdout.readline().decode().strip()
            if not line.startswith("listening on http://"):
                raise BenchError(f"streamq serve said {line!r} (log: {self.work}/streamq.log)")
            self.url = line.split(" ", 2)[2]
            threading.Thread(target=lambda: [None for _ in self.process.stdout], daemon=True).start()
        log.close()
        return self

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def client(self):
        return boto3.client("kinesis", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="AKIDBENCH",
                            aws_secret_access_key="bench", config=Config(retries={"max_attempts": 1}, read_timeout=60))

    def create_stream(self, name=STREAM, shards=SHARDS):
        client = self.client()
        client.create_stream(StreamName=name, ShardCount=shards)
        client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
        return client


def wrk_put(url, label):
    """records/s, p50 ms, p99 ms and non-2xx count of wrk's PutRecords run against `url`."""
    script = os.path.join(SHARED_BENCH, "putrecords.lua")
    result = subprocess.run(["wrk", "-t2", "-c8", f"-d{WRK_SECONDS}s", "-s", script, url + "/"],
                            env=dict(os.environ, STREAM=STREAM), capture_output=True, text=True,
                            timeout=WRK_SECONDS + 60)
    match = re.search(r"wrk_put requests=(\d+) non2xx=(\d+) errors=(\d+) seconds=([\d.]+) p50_ms=([\d.]+) "
                      r"p99_ms=([\d.]+)", result.stdout)
    if result.returncode != 0 or not match:
        raise BenchError(f"wrk against {label} failed: {result.stdout[-500:]} {result.stderr[-500:]}")
    requests_done, non2xx, errors = int(match.group(1)), int(match.group(2)), int(match.group(3))
    seconds, p50, p99 = float(match.group(4)), float(match.group(5)), float(match.group(6))
    ok = requests_done - non2xx
    return {"records_per_second": ok * RECORDS_PER_REQUEST / seconds, "p50_ms": p50, "p99_ms": p99,
            "non2xx": non2xx, "errors": errors, "records": ok * RECORDS_PER_REQUEST}


def redis_anchor(records=1_000_000):
    script = os.path.join(SHARED_BENCH, "redis_xadd.sh")
    result = subprocess.run(["bash", script, str(records), "everysec"], capture_output=True, text=True, timeout=600)
    match = re.search(r"records_per_s=(\d+)", result.stdout)
    if result.returncode != 0 or not match:
        raise BenchError(f"redis_xadd.sh failed: {result.stdout[-500:]} {result.stderr[-500:]}")
    return int(match.group(1))


def kinesis_call(session, url, operation, body):
    response = session.post(url + "/", data=json.dumps(body), timeout=60, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Kinesis_20131202.{operation}",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20260101/us-east-1/kinesis/aws4_request, "
                         "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00",
        "X-Amz-Date": "20260101T000000Z"})
    if response.status_code != 200:
        raise BenchError(f"{operation} answered {response.status_code}: {response.text[:300]}")
    return response.json()


def get_records_throughput(url, seconds=10):
    """records/s of one client reading the stream back from TRIM_HORIZON, shard after shard."""
    session = requests.Session()
    shards = [s["ShardId"] for s in kinesis_call(session, url, "ListShards", {"StreamName": STREAM})["Shards"]]
    total, start = 0, time.perf_counter()
    deadline = start + seconds
    for shard in shards:
        iterator = kinesis_call(session, url, "GetShardIterator", {"StreamName": STREAM, "ShardId": shard,
                                                                   "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
        while time.perf_counter() < deadline:
            response = kinesis_call(session, url, "GetRecords", {"ShardIterator": iterator, "Limit": 10000})
            total += len(response["Records"])
            iterator = response.get("NextShardIterator")
            if not response["Records"] and response.get("MillisBehindLatest", 0) == 0 or not iterator:
                break
    return total / (time.perf_counter() - start), total


def put_one_at_a_time(client, name, arrivals, ready):
    """Puts LATENCY_RECORDS records into shard 0 every PUT_INTERVAL; returns {index: send time}."""
    ready.wait(30)
    sent = {}
    for i in range(LATENCY_RECORDS):
        sent[i] = time.perf_counter()
        client.put_record(StreamName=name, Data=b"%d" % i, PartitionKey="p", ExplicitHashKey="0")
        time.sleep(PUT_INTERVAL)
    deadline = time.monotonic() + 10
    while len(arrivals) < LATENCY_RECORDS and time.monotonic() < deadline:
        time.sleep(0.05)
    return sent


def percentiles(sent, arrivals):
    latencies = sorted((arrivals[i] - sent[i]) * 1000 for i in sent if i in arrivals)
    if len(latencies) < LATENCY_RECORDS:
        raise BenchError(f"only {len(latencies)} of {LATENCY_RECORDS} records arrived")
    return latencies[len(latencies) // 2], latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]


def subscribe_latency(endpoint):
    client = endpoint.create_stream("latency-efo", 1)
    arn = client.describe_stream_summary(StreamName="latency-efo")["StreamDescriptionSummary"]["StreamARN"]
    consumer = client.register_stream_consumer(StreamARN=arn, ConsumerName="bench")["Consumer"]["ConsumerARN"]
    while client.describe_stream_consumer(ConsumerARN=consumer)["ConsumerDescription"]["ConsumerStatus"] != "ACTIVE":
        time.sleep(0.1)
    arrivals, ready, failures = {}, threading.Event(), []

    def subscribe():
        try:
            reader = endpoint.client()
            stream = reader.subscribe_to_shard(ConsumerARN=consumer, ShardId="shardId-000000000000",
                                               StartingPosition={"Type": "LATEST"})["EventStream"]
            ready.set()
            for event in stream:
                now = time.perf_counter()
                for record in event["SubscribeToShardEvent"]["Records"]:
                    arrivals[int(record["Data"])] = now
                if len(arrivals) >= LATENCY_RECORDS:
                    stream.close()
                    return
        except Exception as error:  # reported by the caller
            failures.append(error)
            ready.set()

    threading.Thread(target=subscribe, daemon=True).start()
    if not ready.wait(30):
        raise BenchError("SubscribeToShard sent no initial-response within 30 s")
    if failures:
        raise BenchError(f"SubscribeToShard: {str(failures[0]).splitlines()[0]}")
    return percentiles(put_one_at_a_time(client, "latency-efo", arrivals, ready), arrivals)


def polling_latency(endpoint):
    client = endpoint.create_stream("latency-poll", 1)
    arrivals, ready = {}, threading.Event()

    def poll():
        reader = endpoint.client()
        iterator = reader.get_shard_iterator(StreamName="latency-poll", ShardId="shardId-000000000000",
                                             ShardIteratorType="LATEST")["ShardIterator"]
        ready.set()
        while len(arrivals) < LATENCY_RECORDS:
            response = reader.get_records(ShardIterator=iterator)
            now = time.perf_counter()
            for record in response["Records"]:
                arrivals[int(record["Data"])] = now
            iterator = response["NextShardIterator"]
            time.sleep(POLL_INTERVAL)

    threading.Thread(target=poll, daemon=True).start()
    return percentiles(put_one_at_a_time(client, "latency-poll", arrivals, ready), arrivals)


def measure(kind, binary, work):
    with Endpoint(kind, binary, work) as endpoint:
        endpoint.create_stream()
        put = wrk_put(endpoint.url, kind)
        get_rps, got = get_records_throughput(endpoint.url)
        try:
            efo = subscribe_latency(endpoint)
        except Exception as error:  # reported in the table, the other figures still stand
            efo = error
        poll = polling_latency(endpoint)
    return {"put": put, "get_records_per_second": get_rps, "got": got, "subscribe": efo, "poll": poll}


def main():
    binary = (sys.argv[1] if len(sys.argv) > 1 else None) or os.environ.get("STREAMQ_BIN") or \
        os.path.join(REPO, ".build", "release", "streamq")
    out = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(REPO, "bench-output"))
    os.makedirs(out, exist_ok=True)
    for tool in ("wrk", "redis-server", "redis-benchmark"):
        if not shutil.which(tool):
            raise BenchError(f"{tool} is not installed (scripts/install-compat-deps.sh --bench installs it)")
    target = os.environ.get("SERVER_BENCH_TARGET", "streamq")
    if target == "streamq" and not os.path.exists(binary):
        raise BenchError(f"no streamq binary at {binary}")
    work = tempfile.mkdtemp(prefix="server-bench-", dir=out)
    try:
        subject = measure(target, binary, work)
        redis = redis_anchor()
        with Endpoint("moto", None, work) as moto:
            moto.create_stream()
            moto_put = wrk_put(moto.url, "moto")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    put = subject["put"]
    name = "streamq serve" if target == "streamq" else "moto (standing in for streamq)"
    print(f"\n{name}, Kinesis API over loopback HTTP/1.1, default fsync policy, {SHARDS}-shard stream: PutRecords of "
          f"500 x 180-byte records by `wrk -t2 -c8 -d{WRK_SECONDS}s` (../shared/bench/putrecords.lua); anchors "
          "measured in the same run.\n")
    print("| benchmark | records/s | p50 ms | p99 ms | notes |")
    print("|---|---:|---:|---:|---|")
    print(f"| {name}: PutRecords (wrk) | {put['records_per_second']:,.0f} | {put['p50_ms']:.2f} | {put['p99_ms']:.2f} | "
          f"{put['non2xx']} non-2xx, {put['errors']} socket errors |")
    print(f"| anchor: Redis Streams XADD, AOF everysec, pipelined 100 | {redis:,.0f} | | | redis_xadd.sh |")
    print(f"| anchor: moto server PutRecords (same wrk) | {moto_put['records_per_second']:,.0f} | "
          f"{moto_put['p50_ms']:.2f} | {moto_put['p99_ms']:.2f} | {moto_put['non2xx']} non-2xx |")
    print(f"| {name}: GetRecords (1 Python client, Limit 10000) | {subject['get_records_per_second']:,.0f} | | | "
          f"{subject['got']:,} records read back |")
    print(f"\nLatency from PutRecord to arrival, {LATENCY_RECORDS} records put one at a time every "
          f"{PUT_INTERVAL * 1000:.0f} ms into one shard, measured in the Python client (boto3 on both ends):\n")
    print("| path | p50 ms | p99 ms |")
    print("|---|---:|---:|")
    efo = subject["subscribe"]
    if isinstance(efo, Exception):
        print(f"| SubscribeToShard (enhanced fan-out) | failed: {efo} | |")
    else:
        print(f"| SubscribeToShard (enhanced fan-out; goal p99 <= 10 ms) | {efo[0]:.2f} | {efo[1]:.2f} |")
    poll = subject["poll"]
    print(f"| GetRecords polling every {POLL_INTERVAL * 1000:.0f} ms | {poll[0]:.2f} | {poll[1]:.2f} |")
    print(f"\n{name} / Redis XADD: {put['records_per_second'] / redis:.2f}x (goal >= 2x, must >= 1x); "
          f"{name} / moto: {put['records_per_second'] / max(moto_put['records_per_second'], 1):.0f}x (goal >= 100x)")


if __name__ == "__main__":
    try:
        main()
    except (BenchError, subprocess.SubprocessError, OSError, requests.RequestException) as error:
        sys.exit(f"make bench: cannot measure streamq serve: {error}")
