"""Resharding and ListShards (reference §4, §8): SplitShard, MergeShards, UpdateShardCount; writes only
to open shards; closed parents end with a null NextShardIterator together with ChildShards; every
ShardFilter type and the NextToken rules."""
import time

import pytest

from kinesis_support import MAX_HASH, create_stream, error, hash_key, list_all_shards, read_shard, shard_for_hash


def wait(client, name):
    client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})


def by_id(shards):
    return {s["ShardId"]: s for s in shards}


def ids(shards):
    return [s["ShardId"] for s in shards]


def sleep_to_next_second():
    """Sleeps past the next whole second and returns it (boto3 sends timestamps as whole seconds)."""
    second = int(time.time()) + 1
    time.sleep(second - time.time() + 0.05)
    return second


def test_split_closes_the_parent_and_routes_to_children(kinesis):
    name = create_stream(kinesis)
    before = [kinesis.put_record(StreamName=name, Data=b"old%d" % i, PartitionKey=f"k{i}")["SequenceNumber"]
              for i in range(3)]
    middle = 2**127
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(middle))
    wait(kinesis, name)
    shards = by_id(list_all_shards(kinesis, name))
    assert sorted(shards) == ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]
    parent = shards["shardId-000000000000"]
    assert int(parent["SequenceNumberRange"]["EndingSequenceNumber"]) >= int(before[-1])
    assert shards["shardId-000000000001"]["ParentShardId"] == "shardId-000000000000"
    assert shards["shardId-000000000002"]["ParentShardId"] == "shardId-000000000000"
    assert shards["shardId-000000000001"]["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(middle - 1)}
    assert shards["shardId-000000000002"]["HashKeyRange"] == {"StartingHashKey": str(middle),
                                                              "EndingHashKey": str(MAX_HASH)}
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 2
    keys = [f"new-{i}" for i in range(40)]
    response = kinesis.put_records(StreamName=name, Records=[{"Data": k.encode(), "PartitionKey": k} for k in keys])
    assert [r["ShardId"] for r in response["Records"]] == [
        "shardId-000000000001" if hash_key(k) < middle else "shardId-000000000002" for k in keys]
    assert kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k0")["ShardId"] != "shardId-000000000000"
    old, _ = read_shard(kinesis, name, "shardId-000000000000")
    assert [r["SequenceNumber"] for r in old] == before


def test_reading_a_closed_parent_to_its_end_gives_child_shards(kinesis):
    name = create_stream(kinesis)
    for i in range(3):
        kinesis.put_record(StreamName=name, Data=b"%d" % i, PartitionKey="k")
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**100))
    wait(kinesis, name)
    position = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    first = kinesis.get_records(ShardIterator=position, Limit=2)
    assert len(first["Records"]) == 2
    assert first["NextShardIterator"] and not first.get("ChildShards")
    last = kinesis.get_records(ShardIterator=first["NextShardIterator"])
    assert [r["Data"] for r in last["Records"]] == [b"2"]
    # The end may take another call ("it might take multiple calls"), but a null iterator comes only with children.
    for _ in range(10):
        if not last.get("NextShardIterator"):
            break
        assert not last.get("ChildShards")
        last = kinesis.get_records(ShardIterator=last["NextShardIterator"])
        assert last["Records"] == []
    assert "NextShardIterator" not in last or last["NextShardIterator"] is None
    assert sorted(last["ChildShards"], key=lambda c: c["ShardId"]) == [
        {"ShardId": "shardId-000000000001", "ParentShards": ["shardId-000000000000"],
         "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": str(2**100 - 1)}},
        {"ShardId": "shardId-000000000002", "ParentShards": ["shardId-000000000000"],
         "HashKeyRange": {"StartingHashKey": str(2**100), "EndingHashKey": str(MAX_HASH)}},
    ]


def test_latest_on_a_closed_shard_is_its_end(kinesis):
    name = create_stream(kinesis)
    kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    wait(kinesis, name)
    records, last = read_shard(kinesis, name, "shardId-000000000000", iterator_type="LATEST")
    assert records == []
    assert last.get("NextShardIterator") is None
    assert {c["ShardId"] for c in last["ChildShards"]} == {"shardId-000000000001", "shardId-000000000002"}


def test_merge_creates_one_child_of_both_parents(kinesis):
    name = create_stream(kinesis, shards=3)
    kinesis.merge_shards(StreamName=name, ShardToMerge="shardId-000000000001",
                         AdjacentShardToMerge="shardId-000000000002")
    wait(kinesis, name)
    shards = by_id(list_all_shards(kinesis, name))
    child = shards["shardId-000000000003"]
    assert child["ParentShardId"] == "shardId-000000000001"
    assert child["AdjacentParentShardId"] == "shardId-000000000002"
    assert child["HashKeyRange"] == {"StartingHashKey": shards["shardId-000000000001"]["HashKeyRange"]["StartingHashKey"],
                                     "EndingHashKey": str(MAX_HASH)}
    for parent in ("shardId-000000000001", "shardId-000000000002"):
        assert "EndingSequenceNumber" in shards[parent]["SequenceNumberRange"]
        _, last = read_shard(kinesis, name, parent)
        assert last.get("NextShardIterator") is None
        assert last["ChildShards"] == [{"ShardId": "shardId-000000000003",
                                        "ParentShards": ["shardId-000000000001", "shardId-000000000002"],
                                        "HashKeyRange": child["HashKeyRange"]}]
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 2
    open_shards = [s for s in shards.values() if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
    for key in [f"m{i}" for i in range(30)]:
        response = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey=key)
        assert response["ShardId"] == shard_for_hash(open_shards, hash_key(key))


def test_merging_non_adjacent_shards_is_invalid(kinesis):
    name = create_stream(kinesis, shards=3)
    code, _, status = error(kinesis.merge_shards, StreamName=name, ShardToMerge="shardId-000000000000",
                            AdjacentShardToMerge="shardId-000000000002")
    assert (code, status) == ("InvalidArgumentException", 400)


@pytest.mark.parametrize("key", ["0", "1", str(2**127)])
def test_split_key_outside_the_shard_is_invalid(kinesis, key):
    name = create_stream(kinesis, shards=2)
    # shard 1 starts at 2**127; the new key must be > start + 1 and <= its end.
    code, _, status = error(kinesis.split_shard, StreamName=name, ShardToSplit="shardId-000000000001",
                            NewStartingHashKey=key)
    assert (code, status) == ("InvalidArgumentException", 400)


def test_splitting_a_closed_shard_is_refused(kinesis):
    name = create_stream(kinesis)
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    wait(kinesis, name)
    # AWS: InvalidArgumentException "Shard ... has already been merged or split, and thus is not eligible
    # for merging or splitting." (moto and other emulators tested against AWS agree on the code).
    code, message, status = error(kinesis.split_shard, StreamName=name, ShardToSplit="shardId-000000000000",
                                  NewStartingHashKey=str(2**126))
    assert (code, status) == ("InvalidArgumentException", 400)
    assert "has already been merged or split" in message


@pytest.mark.parametrize("start,target", [(2, 4), (4, 2), (3, 5)])
def test_update_shard_count_ends_with_equal_open_shards(kinesis, start, target):
    name = create_stream(kinesis, shards=start)
    response = kinesis.update_shard_count(StreamName=name, TargetShardCount=target, ScalingType="UNIFORM_SCALING")
    assert (response["StreamName"], response["CurrentShardCount"], response["TargetShardCount"]) == (name, start, target)
    wait(kinesis, name)
    shards = list_all_shards(kinesis, name, ShardFilter={"Type": "AT_LATEST"})
    assert len(shards) == target
    ranges = sorted((int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"])) for s in shards)
    assert ranges[0][0] == 0 and ranges[-1][1] == MAX_HASH
    assert all(ranges[i][1] + 1 == ranges[i + 1][0] for i in range(target - 1))
    widths = [end - begin + 1 for begin, end in ranges]
    assert max(widths) - min(widths) <= target
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == target
    for key in [f"u{i}" for i in range(30)]:
        assert kinesis.put_record(StreamName=name, Data=b"x", PartitionKey=key)["ShardId"] == \
            shard_for_hash(shards, hash_key(key))


@pytest.fixture
def resharded(kinesis):
    """Two shards, shard 0 split into 2 and 3 between two whole seconds t1 (before) and t2 (after)."""
    name = create_stream(kinesis, shards=2)
    t1 = sleep_to_next_second()
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**125))
    wait(kinesis, name)
    t2 = sleep_to_next_second()
    return name, t1, t2


def test_list_shards_filters(kinesis, resharded):
    name, t1, t2 = resharded
    everything = ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002", "shardId-000000000003"]
    after_split = everything[1:]
    before_split = everything[:2]

    def listed(**kwargs):
        return sorted(ids(list_all_shards(kinesis, name, **kwargs)))

    assert listed() == everything
    assert listed(ShardFilter={"Type": "FROM_TRIM_HORIZON"}) == everything
    assert listed(ShardFilter={"Type": "AT_TRIM_HORIZON"}) == before_split
    assert listed(ShardFilter={"Type": "AT_LATEST"}) == after_split
    assert listed(ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000001"}) == everything[2:]
    assert listed(ExclusiveStartShardId="shardId-000000000000") == after_split
    assert listed(ShardFilter={"Type": "AT_TIMESTAMP", "Timestamp": t1}) == before_split
    assert listed(ShardFilter={"Type": "AT_TIMESTAMP", "Timestamp": t2}) == after_split
    assert listed(ShardFilter={"Type": "FROM_TIMESTAMP", "Timestamp": t1}) == everything
    assert listed(ShardFilter={"Type": "FROM_TIMESTAMP", "Timestamp": t2}) == after_split


def test_list_shards_pages_with_next_token(kinesis):
    name = create_stream(kinesis, shards=5)
    first = kinesis.list_shards(StreamName=name, MaxResults=2)
    assert ids(first["Shards"]) == ["shardId-000000000000", "shardId-000000000001"]
    second = kinesis.list_shards(NextToken=first["NextToken"], MaxResults=2)
    assert ids(second["Shards"]) == ["shardId-000000000002", "shardId-000000000003"]
    third = kinesis.list_shards(NextToken=second["NextToken"])
    assert ids(third["Shards"]) == ["shardId-000000000004"]
    assert "NextToken" not in third


@pytest.mark.parametrize("extra", [
    {"StreamName": "x"}, {"ExclusiveStartShardId": "shardId-000000000000"},
    {"ShardFilter": {"Type": "AT_LATEST"}},
])
def test_next_token_cannot_be_combined(kinesis, extra):
    name = create_stream(kinesis, shards=3)
    token = kinesis.list_shards(StreamName=name, MaxResults=1)["NextToken"]
    if "StreamName" in extra:
        extra = {"StreamName": name}
    code, message, status = error(kinesis.list_shards, NextToken=token, **extra)
    assert (code, status) == ("InvalidArgumentException", 400)
    if "StreamName" in extra:
        assert message == "NextToken and StreamName cannot be provided together."


def test_next_token_expires(server_factory):
    server = server_factory(["--iterator-lifetime", "2"])
    client = server.client()
    name = create_stream(client, shards=3)
    token = client.list_shards(StreamName=name, MaxResults=1)["NextToken"]
    time.sleep(2.5)
    code, _, status = error(client.list_shards, NextToken=token)
    assert (code, status) == ("ExpiredNextTokenException", 400)


def test_describe_stream_shows_closed_parents(kinesis):
    name = create_stream(kinesis)
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    wait(kinesis, name)
    shards = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    assert ids(shards) == ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]
    assert "EndingSequenceNumber" in shards[0]["SequenceNumberRange"]
