"""Stream lifecycle (reference §4, §8): create, describe, summary, list with pagination, delete,
waiters, StreamARN addressing, and the ResourceNotFound / ResourceInUse texts."""
import datetime
import time

import pytest

from kinesis_support import ACCOUNT, MAX_HASH, create_stream, error, stream_arn, unique


def test_create_describe_and_even_hash_ranges(kinesis):
    name = unique()
    before = time.time()
    kinesis.create_stream(StreamName=name, ShardCount=3)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    description = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert description["StreamName"] == name
    assert description["StreamARN"] == stream_arn(name)
    assert description["StreamStatus"] == "ACTIVE"
    assert description["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert description["RetentionPeriodHours"] == 24
    assert description["HasMoreShards"] is False
    assert description["EncryptionType"] == "NONE"
    created = description["StreamCreationTimestamp"].timestamp()
    assert before - 2 <= created <= time.time() + 2
    step = 2**128 // 3
    shards = description["Shards"]
    assert [s["ShardId"] for s in shards] == [f"shardId-{i:012d}" for i in range(3)]
    for i, shard in enumerate(shards):
        assert shard["HashKeyRange"] == {"StartingHashKey": str(i * step),
                                         "EndingHashKey": str(MAX_HASH if i == 2 else (i + 1) * step - 1)}
        assert "EndingSequenceNumber" not in shard["SequenceNumberRange"]
        assert int(shard["SequenceNumberRange"]["StartingSequenceNumber"]) >= 0
        assert "ParentShardId" not in shard


def test_describe_stream_summary(kinesis):
    name = create_stream(kinesis, shards=2)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamName"] == name
    assert summary["StreamARN"] == stream_arn(name)
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["OpenShardCount"] == 2
    assert summary["RetentionPeriodHours"] == 24
    assert summary["ConsumerCount"] == 0
    assert summary["EncryptionType"] == "NONE"
    assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert isinstance(summary["StreamCreationTimestamp"], datetime.datetime)


def test_describe_stream_pages_shards(kinesis):
    name = create_stream(kinesis, shards=5)
    first = kinesis.describe_stream(StreamName=name, Limit=2)["StreamDescription"]
    assert [s["ShardId"] for s in first["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    assert first["HasMoreShards"] is True
    rest = kinesis.describe_stream(StreamName=name, ExclusiveStartShardId="shardId-000000000001")["StreamDescription"]
    assert [s["ShardId"] for s in rest["Shards"]] == [f"shardId-{i:012d}" for i in (2, 3, 4)]
    assert rest["HasMoreShards"] is False
    paged = kinesis.get_paginator("describe_stream").paginate(StreamName=name, PaginationConfig={"PageSize": 2})
    assert [s["ShardId"] for page in paged for s in page["StreamDescription"]["Shards"]] == [
        f"shardId-{i:012d}" for i in range(5)]


def test_list_streams_pages_with_summaries(kinesis):
    prefix = unique("list")
    names = sorted(f"{prefix}-{i}" for i in range(5))
    for name in names:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    seen, summaries = [], []
    response = kinesis.list_streams(Limit=2, ExclusiveStartStreamName=prefix)
    while True:
        assert len(response["StreamNames"]) <= 2
        assert [s["StreamName"] for s in response["StreamSummaries"]] == response["StreamNames"]
        seen += response["StreamNames"]
        summaries += response["StreamSummaries"]
        if not response["HasMoreStreams"]:
            break
        assert response["NextToken"]
        response = kinesis.list_streams(NextToken=response["NextToken"], Limit=2)
    assert [n for n in seen if n.startswith(prefix)] == names
    assert seen == sorted(seen)
    for summary in summaries:
        if summary["StreamName"].startswith(prefix):
            assert summary["StreamARN"] == stream_arn(summary["StreamName"])
            assert summary["StreamStatus"] in ("CREATING", "ACTIVE")
            assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
            assert isinstance(summary["StreamCreationTimestamp"], datetime.datetime)


def test_list_streams_paginator_sees_every_stream(kinesis):
    prefix = unique("pag")
    names = [f"{prefix}-{i}" for i in range(3)]
    for name in names:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    pages = list(kinesis.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 1}))
    listed = [n for page in pages for n in page["StreamNames"]]
    assert set(names) <= set(listed)
    assert len(listed) == len(set(listed))
    assert len(pages) >= 3


def test_create_existing_stream_is_resource_in_use(kinesis):
    name = create_stream(kinesis)
    assert error(kinesis.create_stream, StreamName=name, ShardCount=1) == (
        "ResourceInUseException", f"Stream {name} under account {ACCOUNT} already exists.", 400)


@pytest.mark.parametrize("operation,arguments", [
    ("describe_stream", {}),
    ("describe_stream_summary", {}),
    ("delete_stream", {}),
    ("list_shards", {}),
    ("put_record", {"Data": b"x", "PartitionKey": "k"}),
    ("put_records", {"Records": [{"Data": b"x", "PartitionKey": "k"}]}),
    ("get_shard_iterator", {"ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"}),
    ("split_shard", {"ShardToSplit": "shardId-000000000000", "NewStartingHashKey": "100"}),
    ("merge_shards", {"ShardToMerge": "shardId-000000000000", "AdjacentShardToMerge": "shardId-000000000001"}),
    ("update_shard_count", {"TargetShardCount": 2, "ScalingType": "UNIFORM_SCALING"}),
    ("increase_stream_retention_period", {"RetentionPeriodHours": 48}),
    ("decrease_stream_retention_period", {"RetentionPeriodHours": 24}),
    ("add_tags_to_stream", {"Tags": {"k": "v"}}),
    ("remove_tags_from_stream", {"TagKeys": ["k"]}),
    ("list_tags_for_stream", {}),
    ("start_stream_encryption", {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}),
    ("stop_stream_encryption", {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}),
    ("enable_enhanced_monitoring", {"ShardLevelMetrics": ["IncomingBytes"]}),
])
def test_missing_stream_is_resource_not_found(kinesis, operation, arguments):
    name = unique("missing")
    assert error(getattr(kinesis, operation), StreamName=name, **arguments) == (
        "ResourceNotFoundException", f"Stream {name} under account {ACCOUNT} not found.", 400)


def test_missing_shard_is_resource_not_found(kinesis):
    name = create_stream(kinesis)
    assert error(kinesis.get_shard_iterator, StreamName=name, ShardId="shardId-000000000007",
                 ShardIteratorType="TRIM_HORIZON") == (
        "ResourceNotFoundException",
        f"Shard shardId-000000000007 in stream {name} under account {ACCOUNT} does not exist", 400)


def test_delete_stream_and_waiter(kinesis):
    name = create_stream(kinesis)
    kinesis.delete_stream(StreamName=name)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    assert error(kinesis.describe_stream, StreamName=name)[0] == "ResourceNotFoundException"
    assert name not in kinesis.list_streams(ExclusiveStartStreamName=name[:-1])["StreamNames"]


def test_a_deleted_name_can_be_created_again_empty(kinesis):
    name = create_stream(kinesis)
    kinesis.put_record(StreamName=name, Data=b"old", PartitionKey="k")
    kinesis.delete_stream(StreamName=name)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert kinesis.get_records(ShardIterator=iterator)["Records"] == []


def test_stream_arn_addresses_every_stream_operation(kinesis):
    name = create_stream(kinesis, shards=2)
    arn = stream_arn(name)
    assert kinesis.describe_stream(StreamARN=arn)["StreamDescription"]["StreamName"] == name
    assert kinesis.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]["StreamName"] == name
    assert len(kinesis.list_shards(StreamARN=arn)["Shards"]) == 2
    put = kinesis.put_record(StreamARN=arn, Data=b"a", PartitionKey="k")
    assert kinesis.put_records(StreamARN=arn, Records=[{"Data": b"b", "PartitionKey": "k"}])["FailedRecordCount"] == 0
    iterator = kinesis.get_shard_iterator(StreamARN=arn, ShardId=put["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=iterator, StreamARN=arn)["Records"]] == [b"a", b"b"]
    kinesis.add_tags_to_stream(StreamARN=arn, Tags={"team": "data"})
    assert kinesis.list_tags_for_stream(StreamARN=arn)["Tags"] == [{"Key": "team", "Value": "data"}]
    kinesis.remove_tags_from_stream(StreamARN=arn, TagKeys=["team"])
    kinesis.increase_stream_retention_period(StreamARN=arn, RetentionPeriodHours=48)
    kinesis.decrease_stream_retention_period(StreamARN=arn, RetentionPeriodHours=24)
    kinesis.split_shard(StreamARN=arn, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**126))
    wait = kinesis.get_waiter("stream_exists")
    wait.wait(StreamARN=arn, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    kinesis.merge_shards(StreamARN=arn, ShardToMerge="shardId-000000000002", AdjacentShardToMerge="shardId-000000000003")
    wait.wait(StreamARN=arn, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    assert kinesis.update_shard_count(StreamARN=arn, TargetShardCount=4,
                                      ScalingType="UNIFORM_SCALING")["StreamARN"] == arn
    wait.wait(StreamARN=arn, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    kinesis.delete_stream(StreamARN=arn)
    kinesis.get_waiter("stream_not_exists").wait(StreamARN=arn, WaiterConfig={"Delay": 1, "MaxAttempts": 20})


def test_stream_arn_of_a_missing_stream(kinesis):
    name = unique("missing")
    assert error(kinesis.describe_stream_summary, StreamARN=stream_arn(name)) == (
        "ResourceNotFoundException", f"Stream {name} under account {ACCOUNT} not found.", 400)
