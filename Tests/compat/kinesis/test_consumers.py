"""Enhanced fan-out (reference §4, §9): consumer registration and SubscribeToShard through boto3's
event-stream reader."""
import re
import threading
import time

import pytest

from kinesis_support import create_stream, error, stream_arn, unique


@pytest.fixture(scope="module")
def reader(server):
    """The subscribing client: a short read timeout, so a silent event stream fails the test quickly."""
    return server.client(read_timeout=10)


def register(client, name, consumer="app"):
    consumer = client.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName=consumer)["Consumer"]
    deadline = time.monotonic() + 20
    while client.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])[
            "ConsumerDescription"]["ConsumerStatus"] != "ACTIVE":
        assert time.monotonic() < deadline, "consumer never became ACTIVE"
        time.sleep(0.1)
    return consumer


def events(client, consumer_arn, shard_id, position, until, timeout=15):
    """SubscribeToShardEvents until `until(collected)` is true; closes the subscription."""
    response = client.subscribe_to_shard(ConsumerARN=consumer_arn, ShardId=shard_id, StartingPosition=position)
    stream, collected = response["EventStream"], []
    deadline = time.monotonic() + timeout
    try:
        for event in stream:
            assert set(event) == {"SubscribeToShardEvent"}, event
            collected.append(event["SubscribeToShardEvent"])
            if until(collected):
                return collected
            assert time.monotonic() < deadline, f"condition not met in {timeout} s: {collected}"
    finally:
        stream.close()
    return collected


def records_of(collected):
    return [r for event in collected for r in event["Records"]]


def test_register_describe_list_deregister(kinesis):
    name = create_stream(kinesis)
    arn = stream_arn(name)
    before = int(time.time())
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")["Consumer"]
    assert consumer["ConsumerName"] == "reader"
    assert consumer["ConsumerStatus"] in ("CREATING", "ACTIVE")
    match = re.fullmatch(re.escape(arn) + r"/consumer/reader:(\d+)", consumer["ConsumerARN"])
    assert match, consumer["ConsumerARN"]
    assert before - 2 <= int(match.group(1)) <= time.time() + 2
    register(kinesis, name, "second")
    by_arn = kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])["ConsumerDescription"]
    by_name = kinesis.describe_stream_consumer(StreamARN=arn, ConsumerName="reader")["ConsumerDescription"]
    assert by_arn == by_name
    assert by_arn["StreamARN"] == arn and by_arn["ConsumerARN"] == consumer["ConsumerARN"]
    listed = kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]
    assert sorted(c["ConsumerName"] for c in listed) == ["reader", "second"]
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["ConsumerCount"] == 2
    kinesis.deregister_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    deadline = time.monotonic() + 20
    while True:
        try:
            status = kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])[
                "ConsumerDescription"]["ConsumerStatus"]
            assert status == "DELETING"
        except kinesis.exceptions.ResourceNotFoundException:
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert [c["ConsumerName"] for c in kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]] == ["second"]


def test_list_stream_consumers_pages(kinesis):
    name = create_stream(kinesis)
    for consumer in ("c1", "c2", "c3"):
        kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName=consumer)
    first = kinesis.list_stream_consumers(StreamARN=stream_arn(name), MaxResults=2)
    assert len(first["Consumers"]) == 2 and first["NextToken"]
    rest = kinesis.list_stream_consumers(StreamARN=stream_arn(name), NextToken=first["NextToken"])
    assert sorted(c["ConsumerName"] for c in first["Consumers"] + rest["Consumers"]) == ["c1", "c2", "c3"]
    assert "NextToken" not in rest


def test_duplicate_consumer_is_resource_in_use(kinesis):
    name = create_stream(kinesis)
    kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName="dup")
    code, _, status = error(kinesis.register_stream_consumer, StreamARN=stream_arn(name), ConsumerName="dup")
    assert (code, status) == ("ResourceInUseException", 400)


def test_delete_stream_with_consumers_needs_enforce_consumer_deletion(kinesis):
    name = create_stream(kinesis)
    kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName="holder")
    code, _, status = error(kinesis.delete_stream, StreamName=name)
    assert (code, status) == ("ResourceInUseException", 400)
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})


def test_missing_consumer_is_resource_not_found(kinesis):
    name = create_stream(kinesis)
    missing = f"{stream_arn(name)}/consumer/{unique('nobody')}:1700000000"
    assert error(kinesis.describe_stream_consumer, ConsumerARN=missing)[0] == "ResourceNotFoundException"
    assert error(kinesis.subscribe_to_shard, ConsumerARN=missing, ShardId="shardId-000000000000",
                 StartingPosition={"Type": "LATEST"})[0] == "ResourceNotFoundException"


def test_subscribe_reads_existing_records_and_continues(kinesis, reader):
    name = create_stream(kinesis)
    sequences = [kinesis.put_record(StreamName=name, Data=b"e%d" % i, PartitionKey="k")["SequenceNumber"]
                 for i in range(3)]
    consumer = register(kinesis, name)
    collected = events(reader, consumer["ConsumerARN"], "shardId-000000000000", {"Type": "TRIM_HORIZON"},
                       lambda c: len(records_of(c)) >= 3)
    records = records_of(collected)
    assert [r["Data"] for r in records] == [b"e0", b"e1", b"e2"]
    assert [r["SequenceNumber"] for r in records] == sequences
    assert all(r["PartitionKey"] == "k" for r in records)
    last = collected[-1]
    assert int(last["ContinuationSequenceNumber"]) >= int(sequences[-1])
    assert last["MillisBehindLatest"] == 0
    # Continuing after the checkpoint delivers only what came later.
    # API_SubscribeToShard: calling it again for the same consumer and shard within 5 seconds of a
    # successful call answers ResourceInUseException.
    time.sleep(5.1)
    kinesis.put_record(StreamName=name, Data=b"later", PartitionKey="k")
    more = events(reader, consumer["ConsumerARN"], "shardId-000000000000",
                  {"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last["ContinuationSequenceNumber"]},
                  lambda c: len(records_of(c)) >= 1)
    assert [r["Data"] for r in records_of(more)] == [b"later"]


def test_subscribe_pushes_records_put_after_subscribing(kinesis, reader):
    name = create_stream(kinesis)
    consumer = register(kinesis, name)
    threading.Timer(0.5, lambda: kinesis.put_records(
        StreamName=name, Records=[{"Data": b"live%d" % i, "PartitionKey": "k"} for i in range(5)])).start()
    collected = events(reader, consumer["ConsumerARN"], "shardId-000000000000", {"Type": "LATEST"},
                       lambda c: len(records_of(c)) >= 5)
    assert [r["Data"] for r in records_of(collected)] == [b"live%d" % i for i in range(5)]


def test_subscribe_at_timestamp(kinesis, reader):
    name = create_stream(kinesis)
    kinesis.put_record(StreamName=name, Data=b"old", PartitionKey="k")
    consumer = register(kinesis, name)
    collected = events(reader, consumer["ConsumerARN"], "shardId-000000000000",
                       {"Type": "AT_TIMESTAMP", "Timestamp": 1}, lambda c: len(records_of(c)) >= 1)
    assert [r["Data"] for r in records_of(collected)] == [b"old"]


def test_subscribe_to_a_closed_shard_ends_with_child_shards(kinesis, reader):
    name = create_stream(kinesis)
    kinesis.put_record(StreamName=name, Data=b"parent", PartitionKey="k")
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    consumer = register(kinesis, name)
    collected = events(reader, consumer["ConsumerARN"], "shardId-000000000000", {"Type": "TRIM_HORIZON"},
                       lambda c: bool(c[-1].get("ChildShards")))
    assert [r["Data"] for r in records_of(collected)] == [b"parent"]
    end = collected[-1]
    assert end.get("ContinuationSequenceNumber") is None  # KCL: null continuation exactly with ChildShards
    assert sorted(c["ShardId"] for c in end["ChildShards"]) == ["shardId-000000000001", "shardId-000000000002"]
    assert all(c["ParentShards"] == ["shardId-000000000000"] for c in end["ChildShards"])
    assert all(not e.get("ChildShards") for e in collected[:-1])


def test_subscribing_again_within_5_seconds_is_refused(kinesis, reader):
    name = create_stream(kinesis)
    consumer = register(kinesis, name)
    first = reader.subscribe_to_shard(ConsumerARN=consumer["ConsumerARN"], ShardId="shardId-000000000000",
                                      StartingPosition={"Type": "LATEST"})
    try:
        next(iter(first["EventStream"]))  # the subscription is live
        code, _, status = error(reader.subscribe_to_shard, ConsumerARN=consumer["ConsumerARN"],
                                ShardId="shardId-000000000000", StartingPosition={"Type": "LATEST"})
        assert (code, status) == ("ResourceInUseException", 400)
    finally:
        first["EventStream"].close()


def test_deleting_the_stream_ends_a_subscription_with_resource_not_found(kinesis, reader):
    name = create_stream(kinesis)
    consumer = register(kinesis, name)
    subscription = reader.subscribe_to_shard(ConsumerARN=consumer["ConsumerARN"], ShardId="shardId-000000000000",
                                             StartingPosition={"Type": "LATEST"})
    events = iter(subscription["EventStream"])
    next(events)  # live
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    with pytest.raises(Exception) as raised:
        for _ in range(20):
            next(events)
    assert "ResourceNotFoundException" in type(raised.value).__name__ + str(raised.value)


def test_an_idle_continuation_resumes_at_the_next_record(kinesis, reader):
    name = create_stream(kinesis)
    consumer = register(kinesis, name)
    idle = events(reader, consumer["ConsumerARN"], "shardId-000000000000", {"Type": "TRIM_HORIZON"},
                  lambda c: len(c) >= 1)
    assert records_of(idle) == []
    continuation = idle[-1]["ContinuationSequenceNumber"]
    kinesis.put_record(StreamName=name, Data=b"next", PartitionKey="k")
    time.sleep(5.1)  # one subscription per consumer and shard every 5 s
    resumed = events(reader, consumer["ConsumerARN"], "shardId-000000000000",
                     {"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": continuation},
                     lambda c: len(records_of(c)) >= 1)
    assert [r["Data"] for r in records_of(resumed)] == [b"next"]


def test_deregistering_the_consumer_ends_its_subscription(kinesis, reader):
    name = create_stream(kinesis)
    consumer = register(kinesis, name)
    subscription = reader.subscribe_to_shard(ConsumerARN=consumer["ConsumerARN"], ShardId="shardId-000000000000",
                                             StartingPosition={"Type": "LATEST"})
    stream = iter(subscription["EventStream"])
    next(stream)
    kinesis.deregister_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    with pytest.raises(Exception) as raised:
        for _ in range(20):
            next(stream)
    assert "ResourceNotFoundException" in type(raised.value).__name__ + str(raised.value)
