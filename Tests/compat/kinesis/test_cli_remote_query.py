"""Remote mode of the SQL engine and the consumers (issue 11 §2): `streamq query` (bounded and --follow
with --name), `sql`, `explain`, `deliver` and `read --group` with `--endpoint URL`, against the spawned
server (or moto's with STREAMQ_COMPAT_TARGET=moto). Expected results are computed here from the records
sent, so the same checks hold on either server."""
import collections
import csv
import io
import json
import pathlib
import subprocess
import time

from conftest import streamq_binary
from test_cli_remote import cli
from kinesis_support import unique

MINUTE = 60_000
BASE = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def records(count, start=BASE, step=250):
    """JSON access records one `step` ms apart, spread over users and statuses."""
    return [{"ts": start + i * step, "user": f"u{i % 23}", "status": [200, 404, 500][i % 3], "bytes": i}
            for i in range(count)]


def put(server, name, rows, *options):
    body = "\n".join(json.dumps(row) for row in rows) + "\n"
    result = cli(server, "put", name, "--key-field", "user", *options, stdin=body)
    assert result.stderr.strip().endswith(f"stored {len(rows)} records in {name}"), result.stderr


def minute_counts(rows):
    counts = collections.Counter((row["ts"] // MINUTE * MINUTE, row["status"]) for row in rows)
    return sorted((start, status, n) for (start, status), n in counts.items())


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def iso(milliseconds):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(milliseconds / 1000)) + ".000Z"


TUMBLE = ("SELECT window_start, status, count(*) AS n FROM \"{name}\" "
          "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status ORDER BY window_start, status")


def test_a_bounded_query_reads_every_shard_through_a_split(server):
    name = unique("rq")
    cli(server, "create-stream", name, "--shards", "3")
    before, after = records(1500), records(900, start=BASE + 1500 * 250)
    put(server, name, before)
    cli(server, "split-shard", name, "--shard", "shardId-000000000001")
    put(server, name, after)
    result = cli(server, "query", TUMBLE.format(name=name), "--format", "csv")
    got = [(row["window_start"], int(row["status"]), int(row["n"])) for row in csv_rows(result.stdout)]
    assert got == [(iso(start), status, n) for start, status, n in minute_counts(before + after)]


def test_a_bounded_query_with_limit_filter_and_stats(server):
    name = unique("rq")
    cli(server, "create-stream", name, "--shards", "2")
    rows = records(2000)
    put(server, name, rows)
    result = cli(server, "query", f"SELECT ts, user FROM \"{name}\" WHERE status = 500 AND bytes < 300",
                 "--format", "jsonl", "--stats")
    got = sorted((json.loads(line)["ts"], json.loads(line)["user"]) for line in result.stdout.splitlines())
    assert got == sorted((row["ts"], row["user"]) for row in rows if row["status"] == 500 and row["bytes"] < 300)
    assert "rows in 2000," in result.stderr
    limited = cli(server, "query", f"SELECT * FROM \"{name}\" LIMIT 7", "--format", "jsonl")
    assert len(limited.stdout.splitlines()) == 7


def follow_until(server, sql, state, rows):
    """Runs `query --follow --name q1` until it has printed `rows` rows, then stops it with SIGTERM
    (it commits its checkpoint on the way out); returns the rows."""
    import os
    import signal
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(server.data_dir.parent),
                   "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
    process = subprocess.Popen([streamq_binary(), "query", sql, "--follow", "--name", "q1", "--format", "jsonl",
                                "--state-dir", state, "--endpoint", server.url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    try:
        got = [json.loads(process.stdout.readline()) for _ in range(rows)]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, process.stderr.read()
    return got


def test_a_follow_query_with_a_name_resumes_from_its_local_checkpoint(server, tmp_path):
    name = unique("rq")
    state = str(tmp_path / "state")
    cli(server, "create-stream", name, "--shards", "2")
    # Three minutes of records: with no watermark delay the first two windows close once the third's
    # records are read.
    put(server, name, records(720))
    sql = (f"SELECT window_start, count(*) AS n FROM \"{name}\" WATERMARK DELAY INTERVAL '0' SECOND "
           "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)")
    assert follow_until(server, sql, state, 2) == [{"window_start": iso(BASE), "n": 240},
                                                   {"window_start": iso(BASE + MINUTE), "n": 240}]
    assert list(pathlib.Path(state).rglob("*q1*")), "the checkpoint is kept in --state-dir"
    # A fourth minute closes the third window; the resumed query emits only that one.
    put(server, name, records(240, start=BASE + 3 * MINUTE))
    assert follow_until(server, sql, state, 1) == [{"window_start": iso(BASE + 2 * MINUTE), "n": 240}]


def test_sql_shell_and_explain_work_remotely(server):
    name = unique("rq")
    cli(server, "create-stream", name)
    put(server, name, records(50))
    shell = cli(server, "sql", stdin=f".streams\n.schema {name}\nSELECT count(*) AS n FROM \"{name}\";\n")
    lines = shell.stdout.splitlines()
    assert [name, "1", "-"] in [line.split() for line in lines]  # the API does not say how many records
    assert ["status", "BIGINT", "100%"] in [line.split()[:3] for line in lines]
    assert lines[lines.index("n") + 1].strip() == "50"
    explain = cli(server, "explain", f"SELECT count(*) FROM \"{name}\"")
    assert f"stream {name}" in explain.stdout
    assert "shards: 1 open" in explain.stdout


def test_deliver_once_writes_every_record_to_files(server, tmp_path):
    name = unique("rq")
    cli(server, "create-stream", name, "--shards", "2")
    rows = records(1000)
    put(server, name, rows)
    out = tmp_path / "out"
    cli(server, "deliver", name, "--once", "--into", f"file://{out}", "--state-dir", str(tmp_path / "state"))
    delivered = [json.loads(line) for path in sorted(out.rglob("*.jsonl")) for line in path.read_text().splitlines()]
    assert sorted(row["bytes"] for row in delivered) == list(range(1000))
    # A second run delivers nothing new: it resumes from the sink's manifest.
    cli(server, "deliver", name, "--once", "--into", f"file://{out}", "--state-dir", str(tmp_path / "state"))
    again = [line for path in out.rglob("*.jsonl") for line in path.read_text().splitlines()]
    assert len(again) == 1000


def test_read_group_continues_after_its_checkpoint(server, tmp_path):
    name = unique("rq")
    state = str(tmp_path / "state")
    cli(server, "create-stream", name, "--shards", "2")
    put(server, name, records(300))
    first = cli(server, "read", name, "--group", "g", "--state-dir", state).stdout.splitlines()
    assert sorted(json.loads(line)["bytes"] for line in first) == list(range(300))
    assert cli(server, "read", name, "--group", "g", "--state-dir", state).stdout == ""
    put(server, name, [dict(row, bytes=row["bytes"] + 300) for row in records(100)])
    third = cli(server, "read", name, "--group", "g", "--state-dir", state).stdout.splitlines()
    assert sorted(json.loads(line)["bytes"] for line in third) == list(range(300, 400))
    # Per key, in the order written.
    for user in ("u0", "u7"):
        mine = [json.loads(line)["bytes"] for line in first if json.loads(line)["user"] == user]
        assert mine == sorted(mine)


def test_a_missing_stream_is_one_clear_line(server):
    result = cli(server, "query", "SELECT count(*) FROM \"no-such-stream\"", check=False)
    assert result.returncode != 0
    assert "no-such-stream" in result.stderr and len(result.stderr.strip().splitlines()) == 1
