"""The process itself: /health, /metrics, SIGTERM, restart on the same data directory."""
import re

import requests

from kinesis_support import create_stream, read_shard


def test_health(server):
    assert requests.get(server.url + "/health", timeout=10).status_code == 200


def test_metrics_are_prometheus_text(server, kinesis):
    name = create_stream(kinesis)
    kinesis.put_records(StreamName=name, Records=[{"Data": b"m", "PartitionKey": "k"}])
    response = requests.get(server.url + "/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.text
    assert "# TYPE " in text
    sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfNa]+( \d+)?$')
    for line in text.splitlines():
        assert line.startswith("#") or not line.strip() or sample.match(line), line
    assert "PutRecords" in text


def test_sigterm_exits_cleanly_and_data_survives_a_restart(streamq_only, server_factory):
    server = server_factory()
    client = server.client()
    name = create_stream(client, Tags={"kept": "yes"})
    client.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    sequence = client.put_record(StreamName=name, Data=b"durable", PartitionKey="k")["SequenceNumber"]
    assert server.stop() == 0
    server.start()
    client = server.client()
    records, _ = read_shard(client, name, "shardId-000000000000")
    assert [(r["SequenceNumber"], r["Data"]) for r in records] == [(sequence, b"durable")]
    summary = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 48
    assert client.list_tags_for_stream(StreamName=name)["Tags"] == [{"Key": "kept", "Value": "yes"}]
    later = client.put_record(StreamName=name, Data=b"later", PartitionKey="k")["SequenceNumber"]
    assert int(later) > int(sequence)


def test_read_and_query_work_beside_the_server(streamq_only, server, kinesis):
    """The server holds the write lock; the read-only CLI commands run beside it on the same directory."""
    import json
    import subprocess
    from conftest import streamq_binary
    from kinesis_support import create_stream
    name = create_stream(kinesis)
    kinesis.put_records(StreamName=name, Records=[{"Data": b'{"n":%d}' % i, "PartitionKey": "k"} for i in range(3)])
    environment = {"STREAMQ_DATA_DIR": str(server.data_dir), "PATH": "/usr/bin:/bin"}
    read = subprocess.run([streamq_binary(), "read", name], capture_output=True, text=True, env=environment,
                          timeout=60)
    assert read.returncode == 0, read.stderr
    assert read.stdout.splitlines() == ['{"n":0}', '{"n":1}', '{"n":2}']
    query = subprocess.run([streamq_binary(), "query", f"SELECT sum(n) AS total FROM \"{name}\""],
                           capture_output=True, text=True, env=environment, timeout=60)
    assert query.returncode == 0, query.stderr
    assert json.loads(query.stdout) == {"total": 3}
    put = subprocess.run([streamq_binary(), "put", name], input="x\n", capture_output=True, text=True,
                         env=environment, timeout=60)
    assert put.returncode == 1
    assert "locked" in put.stderr
