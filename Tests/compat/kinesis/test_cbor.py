"""CBOR 1.1 requests built by hand, as the Java SDKs (KCL, Kinesis Agent) send them (reference §1):
blobs as byte strings, timestamps as tag 1 around integer epoch milliseconds, CBOR responses and errors."""
import time

from kinesis_support import ACCOUNT, CBOR_TYPE, Tag, cbor_decode, cbor_encode, create_stream, post

SHARD = "shardId-000000000000"


def call(server, operation, body, raw=None):
    response = post(server.url, operation, raw if raw is not None else cbor_encode(body), content_type=CBOR_TYPE)
    assert response.headers["Content-Type"].startswith(CBOR_TYPE), response.headers
    return response.status_code, cbor_decode(response.content) if response.content else None


def indefinite_map(fields):
    """A top-level map the way Jackson's CBOR generator writes it: indefinite length, then 0xff."""
    return b"\xbf" + b"".join(cbor_encode(k) + cbor_encode(v) for k, v in fields.items()) + b"\xff"


def assert_epoch_millis(value, near_seconds):
    assert isinstance(value, Tag) and value.tag == 1, value
    assert isinstance(value.value, int), f"{value.value!r} is not integer milliseconds"
    assert abs(value.value - near_seconds * 1000) < 60_000, value.value


def test_put_and_get_records_over_cbor(server, kinesis):
    name = create_stream(kinesis)
    before = time.time()
    status, put = call(server, "PutRecord", {"StreamName": name, "Data": b"\x00\xff binary", "PartitionKey": "k"})
    assert status == 200, put
    assert put["ShardId"] == SHARD and isinstance(put["SequenceNumber"], str)
    status, batch = call(server, "PutRecords", {"StreamName": name, "Records": [
        {"Data": b"two", "PartitionKey": "k"}, {"Data": b"", "PartitionKey": "k"}]})
    assert status == 200 and batch["FailedRecordCount"] == 0 and len(batch["Records"]) == 2
    status, shard_iterator = call(server, "GetShardIterator", {"StreamName": name, "ShardId": SHARD,
                                                               "ShardIteratorType": "TRIM_HORIZON"})
    assert status == 200
    status, got = call(server, "GetRecords", {"ShardIterator": shard_iterator["ShardIterator"]})
    assert status == 200
    assert [r["Data"] for r in got["Records"]] == [b"\x00\xff binary", b"two", b""]
    assert got["Records"][0]["SequenceNumber"] == put["SequenceNumber"]
    for record in got["Records"]:
        assert_epoch_millis(record["ApproximateArrivalTimestamp"], before)
    assert got["MillisBehindLatest"] == 0 and isinstance(got["NextShardIterator"], str)
    # The same records through JSON.
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD, ShardIteratorType="TRIM_HORIZON")
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]] == [
        b"\x00\xff binary", b"two", b""]


def test_at_timestamp_is_epoch_milliseconds(server, kinesis):
    name = create_stream(kinesis)
    kinesis.put_record(StreamName=name, Data=b"first", PartitionKey="k")
    time.sleep(0.3)
    between = int(time.time() * 1000)
    time.sleep(0.05)
    kinesis.put_record(StreamName=name, Data=b"second", PartitionKey="k")
    status, shard_iterator = call(server, "GetShardIterator", {"StreamName": name, "ShardId": SHARD,
                                                               "ShardIteratorType": "AT_TIMESTAMP",
                                                               "Timestamp": Tag(1, between)})
    assert status == 200, shard_iterator
    status, got = call(server, "GetRecords", {"ShardIterator": shard_iterator["ShardIterator"]})
    assert [r["Data"] for r in got["Records"]] == [b"second"]


def test_future_at_timestamp_in_milliseconds(server, kinesis):
    name = create_stream(kinesis)
    future = int((time.time() + 3600) * 1000)
    status, body = call(server, "GetShardIterator", {"StreamName": name, "ShardId": SHARD,
                                                     "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": Tag(1, future)})
    assert status == 400
    assert body["__type"].split("#")[-1] == "InvalidArgumentException"
    assert f"timestampInMillis: {future}," in body["message"]


def test_describe_stream_summary_timestamps(server, kinesis):
    name = create_stream(kinesis)
    status, body = call(server, "DescribeStreamSummary", {"StreamName": name})
    assert status == 200
    summary = body["StreamDescriptionSummary"]
    assert summary["StreamName"] == name and summary["OpenShardCount"] == 1
    assert_epoch_millis(summary["StreamCreationTimestamp"], time.time())


def test_errors_are_cbor_maps(server):
    status, body = call(server, "DescribeStreamSummary", {"StreamName": "no-such-cbor-stream"})
    assert status == 400
    assert body["__type"].split("#")[-1] == "ResourceNotFoundException"
    assert body["message"] == f"Stream no-such-cbor-stream under account {ACCOUNT} not found."


def test_indefinite_length_maps_are_accepted(server, kinesis):
    name = create_stream(kinesis)
    status, put = call(server, "PutRecord", None,
                       raw=indefinite_map({"StreamName": name, "Data": b"jackson", "PartitionKey": "k"}))
    assert status == 200, put
    assert put["ShardId"] == SHARD


def test_malformed_cbor_is_serialization_exception(server):
    status, body = call(server, "ListStreams", None, raw=b"\xbf\x6aStreamN")
    assert status == 400
    assert body["__type"].split("#")[-1] == "SerializationException"


def test_cbor_validation_errors_use_the_same_text(server, kinesis):
    name = create_stream(kinesis)
    status, body = call(server, "PutRecord", {"StreamName": name, "Data": b"x", "PartitionKey": "k" * 257})
    assert status == 400
    assert body["__type"].split("#")[-1] == "ValidationException"
    assert body["message"] == (f"1 validation error detected: Value '{'k' * 257}' at 'partitionKey' failed to satisfy "
                               "constraint: Member must have length less than or equal to 256")
