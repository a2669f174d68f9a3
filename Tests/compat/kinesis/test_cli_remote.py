"""Remote mode of the CLI (issue 11 §2): `streamq COMMAND --endpoint URL` against the spawned server
(or moto's, with STREAMQ_COMPAT_TARGET=moto: the client against an implementation nobody here wrote),
checked through boto3."""
import json
import os
import subprocess

from conftest import ON_MOTO, streamq_binary
from kinesis_support import error, read_stream, stream_arn, unique


def cli(server, *arguments, stdin=None, check=True):
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(server.data_dir.parent),  # no ~/.aws: placeholder credentials for an explicit endpoint
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    }
    result = subprocess.run([streamq_binary(), *arguments, "--endpoint", server.url], input=stdin,
                            capture_output=True, text=True, env=environment, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def feed_slowly(process, lines, per_write):
    """Writes `lines` to `process`'s stdin `per_write` at a time, 20 ms apart, on a thread (started
    and returned), and closes it after the last."""
    import threading
    import time

    def feed():
        for start in range(0, len(lines), per_write):
            process.stdin.write(("\n".join(lines[start:start + per_write]) + "\n").encode())
            process.stdin.flush()
            time.sleep(0.02)
        process.stdin.close()

    feeder = threading.Thread(target=feed)
    feeder.start()
    return feeder


def test_create_list_describe_and_delete(server, kinesis):
    name = unique("cli")
    assert cli(server, "create-stream", name, "--shards", "2").stdout == f"created stream {name} with 2 shards\n"
    assert name in cli(server, "list-streams").stdout.splitlines()
    description = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert [s["ShardId"] for s in description["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    described = json.loads(cli(server, "describe-stream", name, "--json").stdout)
    assert [s["ShardId"] for s in described["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    assert described["StreamStatus"] == "ACTIVE"
    cli(server, "delete-stream", name)
    code, _, _ = error(kinesis.describe_stream, StreamName=name)
    assert code == "ResourceNotFoundException"


def test_put_stores_every_line_and_read_returns_them(server, kinesis):
    name = unique("cli")
    cli(server, "create-stream", name, "--shards", "3")
    lines = [json.dumps({"user": f"u{i % 37}", "n": i}) for i in range(1200)]
    put = cli(server, "put", name, "--key-field", "user", stdin="\n".join(lines) + "\n")
    assert put.stderr.strip().endswith(f"stored 1200 records in {name}")
    stored = [record for records in read_stream(kinesis, name).values() for record in records]
    assert sorted(r["Data"].decode() for r in stored) == sorted(lines)
    assert {r["PartitionKey"] for r in stored} == {f"u{i}" for i in range(37)}
    read = cli(server, "read", name).stdout.splitlines()
    assert sorted(read) == sorted(lines)
    # Per key, in input order.
    for user in ("u0", "u5", "u36"):
        mine = [line for line in read if json.loads(line)["user"] == user]
        assert mine == [line for line in lines if json.loads(line)["user"] == user]


def test_read_follows_lineage_across_a_split(server, kinesis):
    name = unique("cli")
    cli(server, "create-stream", name)
    first = [f"before {i}" for i in range(300)]
    cli(server, "put", name, "--partition-key", "k", stdin="\n".join(first) + "\n")
    cli(server, "split-shard", name, "--shard", "shardId-000000000000")
    second = [f"after {i}" for i in range(300)]
    cli(server, "put", name, "--partition-key", "k", stdin="\n".join(second) + "\n")
    assert cli(server, "read", name).stdout.splitlines() == first + second
    limited = cli(server, "read", name, "--limit", "5").stdout.splitlines()
    assert limited == first[:5]


def test_a_split_during_put_loses_nothing_and_keeps_each_keys_order(server, kinesis):
    """A shard split while `put` is sending: requests to the closed parent go again to its children
    (stored batches by PutRecords, routed by the server), and every key's lines arrive in order."""
    import time
    name = unique("cli")
    cli(server, "create-stream", name, "--shards", "2")
    lines = [json.dumps({"k": f"k{i % 40}", "n": i}) for i in range(20000)]
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(server.data_dir.parent),
                   "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
    put = subprocess.Popen([streamq_binary(), "put", name, "--key-field", "k", "--endpoint", server.url],
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment)
    feeder = feed_slowly(put, lines, 500)
    time.sleep(0.2)
    cli(server, "split-shard", name, "--shard", "shardId-000000000000")
    feeder.join(timeout=60)
    assert put.wait(timeout=120) == 0, put.stderr.read().decode()
    stored = cli(server, "read", name).stdout.splitlines()
    assert set(stored) == set(lines)
    assert len(stored) == len(lines)
    records = [json.loads(line) for line in stored]
    for key in range(40):
        numbers = [record["n"] for record in records if record["k"] == f"k{key}"]
        assert numbers == sorted(numbers), f"k{key} out of order"


def test_commands_that_need_a_data_directory_say_so(server):
    result = cli(server, "rotate-key", "anything", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("streamq: error: rotate-key works on a local data directory only")
    assert len(result.stderr.splitlines()) == 1


def test_a_write_to_the_servers_directory_points_at_its_endpoint(streamq_only, server):
    environment = {"STREAMQ_DATA_DIR": str(server.data_dir), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = subprocess.run([streamq_binary(), "put", "anything"], input="x\n", capture_output=True, text=True,
                            env=environment, timeout=60)
    assert result.returncode == 1
    assert f"with --endpoint {server.url}" in result.stderr


def test_stats_says_what_the_api_can_tell(server):
    name = unique("cli")
    cli(server, "create-stream", name, "--shards", "2")
    text = cli(server, "stats", name).stdout
    assert "shardId-000000000000" in text and "shardId-000000000001" in text
    assert "not part of the Kinesis API" in text


def test_put_survives_the_server_going_down_and_coming_back(streamq_only, tmp_path):
    """kill -9 of the server mid-put: put's retries carry it over the restart and nothing is lost;
    each request is a stored batch stamped with its lane's producer id, so a request whose answer
    was lost and is sent again is stored once: exactly once through streamq serve."""
    import signal
    import socket
    import time
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = tmp_path / "data"

    def start():
        process = subprocess.Popen([streamq_binary(), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data),
                                    "--master-key-file", str(tmp_path / "keys")],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert process.stdout.readline().decode().startswith("listening on ")
        return process

    server = start()
    url = f"http://127.0.0.1:{port}"
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
                   "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "STREAMQ_ENDPOINT": url}
    subprocess.run([streamq_binary(), "create-stream", "faults", "--shards", "2"], env=environment, check=True,
                   capture_output=True, timeout=60)
    lines = [f"line {i}" for i in range(6000)]
    put = subprocess.Popen([streamq_binary(), "put", "faults"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=environment)
    feeder = feed_slowly(put, lines, 200)
    time.sleep(0.3)
    assert put.poll() is None, "put finished before the server went down"
    server.send_signal(signal.SIGKILL)
    server.wait()
    time.sleep(1.0)
    server = start()
    try:
        feeder.join(timeout=60)
        assert put.wait(timeout=120) == 0, put.stderr.read().decode()
        read = subprocess.run([streamq_binary(), "read", "faults"], env=environment, capture_output=True, text=True,
                              timeout=120)
        assert read.returncode == 0, read.stderr
        stored = read.stdout.splitlines()
        assert sorted(stored) == sorted(lines)  # nothing lost, nothing twice
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_put_aggregate_packs_records_that_read_and_kcl_unpack(server, kinesis):
    import base64
    from aws_kinesis_agg.deaggregator import iter_deaggregate_records
    name = unique("cli")
    cli(server, "create-stream", name, "--shards", "2")
    lines = [json.dumps({"user": f"u{i % 50}", "n": i}) for i in range(3000)]
    put = cli(server, "put", name, "--key-field", "user", "--aggregate", stdin="\n".join(lines) + "\n")
    assert put.stderr.strip().endswith(f"stored 3000 records in {name}")
    stored = [record for records in read_stream(kinesis, name).values() for record in records]
    assert len(stored) < 3000 / 20  # many small records cost one Kinesis record
    unpacked = [base64.b64decode(r["kinesis"]["data"]).decode()
                for r in iter_deaggregate_records(stored, data_format="Boto3")]
    assert sorted(unpacked) == sorted(lines)  # as KCL sees them
    read = cli(server, "read", name).stdout.splitlines()
    for user in ("u0", "u49"):  # per key, in input order
        assert [l for l in read if json.loads(l)["user"] == user] == [l for l in lines if json.loads(l)["user"] == user]
    assert sorted(read) == sorted(lines)


def test_read_follow_through_enhanced_fan_out_prints_each_record_as_it_is_put(streamq_only, server, kinesis):
    """`read --follow --consumer c`: the consumer is registered, the history comes first, and records
    put 20 ms apart are printed as they are stored (pushed by SubscribeToShard, not polled 5 times a
    second, which would take 100 ms on average)."""
    import signal
    import statistics
    import threading
    import time
    name = unique("cli")
    cli(server, "create-stream", name, "--shards", "2")
    history = [json.dumps({"key": f"k{i % 7}", "n": i}) for i in range(200)]
    cli(server, "put", name, "--key-field", "key", stdin="\n".join(history) + "\n")
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(server.data_dir.parent),
                   "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
    reader = subprocess.Popen([streamq_binary(), "read", name, "--follow", "--consumer", "c", "--endpoint", server.url],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
    printed = []  # (line, time printed)
    everything_printed = threading.Event()
    live = [json.dumps({"key": f"k{i % 7}", "n": i}) for i in range(200, 300)]

    def collect():
        for line in reader.stdout:
            printed.append((line.decode().rstrip("\n"), time.monotonic()))
            if len(printed) == len(history) + len(live):
                everything_printed.set()

    collector = threading.Thread(target=collect, daemon=True)
    collector.start()
    try:
        deadline = time.monotonic() + 60
        while len(printed) < len(history) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sorted(line for line, _ in printed) == sorted(history), f"printed {len(printed)} of the history"
        consumers = kinesis.list_stream_consumers(StreamARN=stream_arn(name))["Consumers"]
        assert [(c["ConsumerName"], c["ConsumerStatus"]) for c in consumers] == [("c", "ACTIVE")]
        stored_at = {}
        for line in live:
            kinesis.put_record(StreamName=name, Data=line.encode(), PartitionKey=json.loads(line)["key"])
            stored_at[line] = time.monotonic()
            time.sleep(0.02)
        assert everything_printed.wait(timeout=60), f"printed {len(printed)} of {len(history) + len(live)}"
    finally:
        reader.send_signal(signal.SIGTERM)
        reader.wait(timeout=30)
    lines = [line for line, _ in printed]
    for key in (f"k{k}" for k in range(7)):  # per key, in the order put
        expected = [line for line in history + live if json.loads(line)["key"] == key]
        assert [line for line in lines if json.loads(line)["key"] == key] == expected
    latencies = [printed_at - stored_at[line] for line, printed_at in printed if line in stored_at]
    assert len(latencies) == len(live)
    assert statistics.median(latencies) < 0.05, f"median {statistics.median(latencies) * 1000:.0f} ms"


def test_ship_stores_each_line_of_the_files_once(server, kinesis, tmp_path):
    # Through streamq serve exactly once (the producer-stamp extension); through moto at least once.
    name = unique("cli")
    cli(server, "create-stream", name, "--shards", "2")
    logs = tmp_path / "logs"
    logs.mkdir()
    written = {"app.log": [f"app {i}" for i in range(700)], "db.log": [f"db {i}" for i in range(300)]}
    for file, lines in written.items():
        (logs / file).write_text("\n".join(lines) + "\n")
    ship = ["ship", "--path", str(logs / "*.log"), "--stream", name, "--state-dir", str(tmp_path / "state"), "--once"]
    assert "shipped 1000 lines from 2 files" in cli(server, *ship).stderr
    assert "shipped 0 lines" in cli(server, *ship).stderr  # resumed from the checkpoint
    stored = [json.loads(r["Data"]) for records in read_stream(kinesis, name).values() for r in records]
    for file, lines in written.items():
        assert [r["message"] for r in stored if r["file"].endswith(file)] == lines
