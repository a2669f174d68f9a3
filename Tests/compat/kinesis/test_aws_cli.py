"""The AWS CLI against the server, as its users type it (reference §11)."""
import base64
import json
import os
import shutil
import subprocess
import sys

import pytest

from kinesis_support import unique


def aws_command():
    """The `aws` on PATH, else the installed awscli module (pip may put its script off PATH)."""
    if shutil.which("aws"):
        return ["aws"]
    probe = subprocess.run([sys.executable, "-m", "awscli", "--version"], capture_output=True)
    if probe.returncode != 0:
        pytest.fail("the AWS CLI is not installed (scripts/install-compat-deps.sh installs it)")
    return [sys.executable, "-m", "awscli"]


@pytest.fixture
def aws(server):
    command = aws_command()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret",
               AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
    env.pop("AWS_PROFILE", None)

    def run(*arguments):
        result = subprocess.run([*command, "kinesis", *arguments, "--endpoint-url", server.url, "--output", "json"],
                                env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None

    return run


def test_create_wait_put_get(aws):
    name = unique("cli")
    assert aws("create-stream", "--stream-name", name, "--shard-count", "1") is None
    aws("wait", "stream-exists", "--stream-name", name)
    put = aws("put-record", "--stream-name", name, "--partition-key", "k", "--data", "hello from the cli")
    assert put["ShardId"] == "shardId-000000000000"
    iterator = aws("get-shard-iterator", "--stream-name", name, "--shard-id", put["ShardId"],
                   "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    got = aws("get-records", "--shard-iterator", iterator)
    assert [r["SequenceNumber"] for r in got["Records"]] == [put["SequenceNumber"]]
    assert base64.b64decode(got["Records"][0]["Data"]) == b"hello from the cli"
    assert got["MillisBehindLatest"] == 0
    description = aws("describe-stream-summary", "--stream-name", name)["StreamDescriptionSummary"]
    assert description["StreamStatus"] == "ACTIVE"
