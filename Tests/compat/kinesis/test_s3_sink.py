"""Files into S3: `streamq deliver` and `streamq query --into s3://…` against moto's server as S3.

The objects must be the very files the same run writes into file:///, read back the same way by
DuckDB and pyarrow (Tests/compat/read_sink.py); exactly once across `kill -9` of a following
deliver; multipart above the part size; one-line errors for a missing bucket or endpoint."""
import http.server, json, os, signal, subprocess, sys, threading, time
from pathlib import Path

import boto3
import pytest
import requests

from conftest import REPO, free_port, streamq_binary
from kinesis_support import unique
from test_cli_remote import cli

READ_SINK = REPO / "Tests" / "compat" / "read_sink.py"


@pytest.fixture(scope="module")
def moto_s3(tmp_path_factory):
    """moto's server on a free loopback port, with credentials `testing`."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    deadline = time.monotonic() + 30
    while True:
        try:
            client.list_buckets()
            break
        except Exception:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("moto server did not start")
            time.sleep(0.1)
    yield url, client
    process.kill()
    process.wait()
    log.close()


class Streamq:
    """Runs the CLI on one data directory with credentials for moto."""

    def __init__(self, data_dir, endpoint):
        self.data_dir = str(data_dir)
        self.endpoint = endpoint
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("AWS_") and k != "STREAMQ_ENDPOINT"}
        self.env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
                        HOME=str(Path(data_dir).parent))

    def command(self, *arguments):
        return [streamq_binary(), "--data-dir", self.data_dir, *arguments]

    def run(self, *arguments, stdin=None, s3=True):
        extra = ["--s3-endpoint", self.endpoint] if s3 else []
        return subprocess.run(self.command(*arguments, *extra), input=stdin, capture_output=True, text=True,
                              env=self.env, timeout=120)

    def ok(self, *arguments, stdin=None, s3=True):
        done = self.run(*arguments, stdin=stdin, s3=s3)
        assert done.returncode == 0, f"{arguments}: {done.stderr}"
        return done

    def put(self, stream, records):
        self.ok("put", stream, "--key-field", "k", stdin="".join(json.dumps(r) + "\n" for r in records), s3=False)


def records(start, count, pad=0):
    return [{"k": i, "ts": f"2026-01-01T00:{(i // 60) % 60:02d}:{i % 60:02d}Z", "status": 200 + i % 3,
             "text": "x" * pad} for i in range(start, start + count)]


@pytest.fixture
def streamq(tmp_path, moto_s3):
    cli = Streamq(tmp_path / "data", moto_s3[0])
    cli.ok("create-stream", "events", "--shards", "2", s3=False)
    return cli


def new_bucket(client, name):
    client.create_bucket(Bucket=name)
    return name


def manifests(client, bucket, prefix):
    listing = list_keys(client, bucket, prefix + "/_manifest/")
    return [json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in sorted(listing)]


def list_keys(client, bucket, prefix):
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def download(client, bucket, prefix, into):
    """Every object under prefix/ into the directory `into`, at the same relative paths."""
    for key in list_keys(client, bucket, prefix + "/"):
        target = Path(into) / key[len(prefix) + 1:]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())


def data_files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in Path(root).rglob("part-*")
            if "_manifest" not in p.parts}


def read_back(fmt, root, order, partitions):
    """What DuckDB and pyarrow see in the part files of the partition directories `partitions`."""
    done = subprocess.run([sys.executable, str(READ_SINK), fmt, f"{root}/{partitions}/part-*", order],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    seen["pyarrow"].sort(key=lambda row: json.dumps(row, sort_keys=True))  # in file order, not ordered
    return seen


@pytest.mark.parametrize("fmt,compression", [("jsonl", "none"), ("jsonl", "gzip"), ("csv", "zstd"),
                                             ("csv", "gzip"), ("parquet", "none")])
def test_deliver_writes_the_same_files_into_s3_as_into_a_directory(streamq, moto_s3, tmp_path, fmt, compression):
    _, s3 = moto_s3
    bucket = new_bucket(s3, f"deliver-{fmt}-{compression}")
    streamq.put("events", records(0, 300))
    options = ["--format", fmt, "--compression", compression, "--once"]
    if fmt != "jsonl":
        options += ["--schema", "k BIGINT, ts TIMESTAMP, status BIGINT, text VARCHAR"]
    streamq.ok("deliver", "events", "--into", f"s3://{bucket}/out/dt={{dt}}", *options)
    streamq.ok("deliver", "events", "--into", f"file://{tmp_path}/local/dt={{dt}}", *options, s3=False)
    download(s3, bucket, "out", tmp_path / "fetched")
    local = data_files(tmp_path / "local")
    assert local and data_files(tmp_path / "fetched") == local
    committed = {f["path"] for m in manifests(s3, bucket, "out") for f in m["files"]}
    committed |= {m["errorFile"] for m in manifests(s3, bucket, "out") if m.get("errorFile")}
    assert committed == set(local)
    if fmt != "jsonl":
        order = "k"
        seen = read_back(fmt, tmp_path / "fetched", order, "dt=*")
        assert seen == read_back(fmt, tmp_path / "local", order, "dt=*")
        assert len(seen["duckdb"]) == 300 and len(seen["pyarrow"]) == 300


@pytest.mark.parametrize("fmt,compression", [("jsonl", "zstd"), ("csv", "none"), ("parquet", "none")])
def test_a_bounded_query_into_s3_matches_the_same_query_into_a_directory(streamq, moto_s3, tmp_path, fmt,
                                                                         compression):
    _, s3 = moto_s3
    bucket = new_bucket(s3, f"query-{fmt}")
    streamq.put("events", records(0, 500))
    sql = ("SELECT window_start, status, count(*) AS n FROM events "
           "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status")
    options = ["--format", fmt, "--compression", compression]
    streamq.ok("query", sql, "--into", f"s3://{bucket}/q/{{dt}}", *options)
    streamq.ok("query", sql, "--into", f"file://{tmp_path}/local/{{dt}}", *options, s3=False)
    download(s3, bucket, "q", tmp_path / "fetched")
    assert data_files(tmp_path / "fetched").keys() == data_files(tmp_path / "local").keys()
    seen = read_back(fmt, tmp_path / "fetched", "window_start, status", "2*")
    assert seen == read_back(fmt, tmp_path / "local", "window_start, status", "2*")
    assert sum(int(row["n"]) for row in seen["duckdb"]) == 500
    again = streamq.run("query", sql, "--into", f"s3://{bucket}/q/{{dt}}", *options)
    assert again.returncode != 0 and "already holds committed results" in again.stderr


def test_a_follow_query_into_s3_commits_on_stop(streamq, moto_s3, tmp_path):
    url, s3 = moto_s3
    bucket = new_bucket(s3, "follow")
    streamq.put("events", records(0, 200))
    process = subprocess.Popen(
        streamq.command("query", "SELECT k, status FROM events", "--follow", "--into", f"s3://{bucket}/f/{{dt}}",
                        "--roll-inactivity", "500ms", "--s3-endpoint", url),
        env=streamq.env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not list_keys(s3, bucket, "f/_manifest/") and time.monotonic() < deadline:
        time.sleep(0.2)
    streamq.put("events", records(200, 100))  # committed when the query stops, if not before
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    download(s3, bucket, "f", tmp_path / "fetched")
    lines = [json.loads(line) for body in data_files(tmp_path / "fetched").values()
             for line in body.decode().splitlines()]
    assert sorted(row["k"] for row in lines) == list(range(300))


def test_deliver_is_exactly_once_across_kill_9(streamq, moto_s3, tmp_path):
    url, s3 = moto_s3
    bucket = new_bucket(s3, "exactly-once")
    into = f"s3://{bucket}/d/dt={{dt}}/hr={{hr}}"
    streamq.put("events", records(0, 1000))
    process = subprocess.Popen(
        streamq.command("deliver", "events", "--into", into, "--buffer-interval", "200ms", "--s3-endpoint", url),
        env=streamq.env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60

    def wait_for_commits(count):
        while len(list_keys(s3, bucket, "d/_manifest/")) < count:
            assert time.monotonic() < deadline and process.poll() is None, "deliver stopped committing"
            time.sleep(0.05)

    wait_for_commits(1)
    for batch in range(1, 5):
        committed = len(list_keys(s3, bucket, "d/_manifest/"))
        streamq.put("events", records(batch * 1000, 1000))
        wait_for_commits(committed + 1)
    streamq.put("events", records(5000, 1000))  # being delivered when the kill comes
    process.send_signal(signal.SIGKILL)
    process.wait()
    # What a commit cut short leaves: a part object no manifest lists.
    stray = list_keys(s3, bucket, "d/dt=")[0].rsplit("/", 1)[0] + "/part-00999999-0000.jsonl"
    s3.put_object(Bucket=bucket, Key=stray, Body=b'{"k": -1}\n')
    # … and a multipart upload a crash interrupted.
    upload = s3.create_multipart_upload(Bucket=bucket, Key=stray.replace("00999999", "00999998"))
    s3.upload_part(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 100)
    streamq.put("events", records(6000, 1000))
    streamq.ok("deliver", "events", "--into", into, "--buffer-interval", "200ms", "--once")

    listed = {f["path"] for m in manifests(s3, bucket, "d") for f in m["files"]}
    present = {key[len("d/"):] for key in list_keys(s3, bucket, "d/") if not key.startswith("d/_manifest/")}
    assert stray[len("d/"):] not in present
    assert present == listed, "every object is a committed one"
    assert not s3.list_multipart_uploads(Bucket=bucket, Prefix="d/").get("Uploads"), "the interrupted upload is aborted"
    download(s3, bucket, "d", tmp_path / "fetched")
    keys = [json.loads(line)["k"] for body in data_files(tmp_path / "fetched").values()
            for line in body.decode().splitlines()]
    assert sorted(keys) == list(range(7000)), "every record exactly once"


def test_a_large_file_goes_up_in_parts(streamq, moto_s3, tmp_path):
    _, s3 = moto_s3
    bucket = new_bucket(s3, "multipart")
    streamq.put("events", records(0, 12_000, pad=1000))
    streamq.ok("deliver", "events", "--into", f"s3://{bucket}/big", "--once", "--s3-part-size", "5MiB")
    (key,) = [k for k in list_keys(s3, bucket, "big/") if "/part-" in k]
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] > 10 * 1024 * 1024
    assert head["ETag"].strip('"').endswith("-3"), "a multipart upload of three 5 MiB parts"
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    assert sorted(json.loads(line)["k"] for line in body.splitlines()) == list(range(12_000))


def test_deliver_from_a_remote_endpoint_into_s3(server, moto_s3, tmp_path):
    """Both ends remote: records read through --endpoint (streamq serve, or moto's Kinesis), files into S3."""
    url, s3 = moto_s3
    bucket = new_bucket(s3, "remote-both")
    name = unique("s3")
    cli(server, "create-stream", name, "--shards", "2")
    cli(server, "put", name, "--key-field", "k", stdin="".join(json.dumps(r) + "\n" for r in records(0, 500)))
    cli(server, "deliver", name, "--into", f"s3://{bucket}/remote/dt={{dt}}", "--format", "parquet", "--once",
        "--s3-endpoint", url, "--schema", "k BIGINT, ts TIMESTAMP, status BIGINT, text VARCHAR")
    download(s3, bucket, "remote", tmp_path / "fetched")
    seen = read_back("parquet", tmp_path / "fetched", "k", "dt=*")
    assert [row["k"] for row in seen["duckdb"]] == list(range(500))
    assert seen["types"]["k"] == "int64" and seen["types"]["ts"].startswith("timestamp")


class FlakyS3(http.server.ThreadingHTTPServer):
    """Forwards requests to moto, but answers every third one `503 SlowDown` instead."""

    def __init__(self, target):
        self.target = target
        self.count = 0
        self.failed = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), FlakyHandler)


class FlakyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_one(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            self.server.count += 1
            fail = self.server.count % 3 == 0
            self.server.failed += fail
        if fail:
            answer = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            self.send_response(503)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            return
        forwarded = requests.request(self.command, self.server.target + self.path, data=body,
                                     headers={k: v for k, v in self.headers.items()}, timeout=30)
        self.send_response(forwarded.status_code)
        for name, value in forwarded.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(forwarded.content)))
        self.end_headers()
        self.wfile.write(forwarded.content)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_one


def test_throttled_and_failing_calls_are_retried(streamq, moto_s3, tmp_path):
    url, s3 = moto_s3
    bucket = new_bucket(s3, "flaky")
    proxy = FlakyS3(url)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        streamq.put("events", records(0, 7000, pad=1000))
        done = subprocess.run(
            streamq.command("deliver", "events", "--into", f"s3://{bucket}/r/dt={{dt}}", "--once",
                            "--s3-part-size", "5MiB", "--s3-endpoint", f"http://127.0.0.1:{proxy.server_port}"),
            capture_output=True, text=True, env=streamq.env, timeout=120)
    finally:
        proxy.shutdown()
    assert done.returncode == 0, done.stderr
    assert proxy.failed >= 2, "some calls were answered 503"
    download(s3, bucket, "r", tmp_path / "fetched")
    keys = [json.loads(line)["k"] for body in data_files(tmp_path / "fetched").values()
            for line in body.decode().splitlines()]
    assert sorted(keys) == list(range(7000))


def test_a_missing_bucket_or_endpoint_fails_in_one_line(streamq, moto_s3):
    streamq.put("events", records(0, 10))
    missing = streamq.run("deliver", "events", "--into", "s3://no-such-bucket/x", "--once")
    assert missing.returncode != 0
    assert missing.stderr.strip().count("\n") == 0, missing.stderr
    assert "NoSuchBucket" in missing.stderr and "s3://no-such-bucket" in missing.stderr
    down = subprocess.run(
        streamq.command("query", "SELECT k FROM events", "--into", "s3://any-bucket/x", "--s3-endpoint",
                        f"http://127.0.0.1:{free_port()}"),
        capture_output=True, text=True, env=streamq.env, timeout=120)
    assert down.returncode != 0
    assert down.stderr.strip().count("\n") == 0, down.stderr
    assert "S3 ListObjectsV2 s3://any-bucket" in down.stderr
