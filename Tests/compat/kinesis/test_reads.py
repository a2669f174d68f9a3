"""GetShardIterator / GetRecords (reference §7): the five iterator types, Limit, NextShardIterator,
MillisBehindLatest, AT_TIMESTAMP with integer and fractional seconds, and iterator expiry."""
import re
import time

from kinesis_support import create_stream, error, post

SHARD = "shardId-000000000000"


def iterator(client, name, iterator_type, **kwargs):
    return client.get_shard_iterator(StreamName=name, ShardId=SHARD, ShardIteratorType=iterator_type,
                                     **kwargs)["ShardIterator"]


def put_all(client, name, payloads):
    return [client.put_record(StreamName=name, Data=p, PartitionKey="k")["SequenceNumber"] for p in payloads]


def test_empty_open_shard(kinesis):
    name = create_stream(kinesis)
    response = kinesis.get_records(ShardIterator=iterator(kinesis, name, "TRIM_HORIZON"))
    assert response["Records"] == []
    assert response["NextShardIterator"]
    assert response["MillisBehindLatest"] == 0
    assert "ChildShards" not in response or response["ChildShards"] == []


def test_trim_horizon_reads_everything_in_order(kinesis):
    name = create_stream(kinesis)
    payloads = [b"r%d" % i for i in range(5)]
    sequences = put_all(kinesis, name, payloads)
    response = kinesis.get_records(ShardIterator=iterator(kinesis, name, "TRIM_HORIZON"))
    assert [r["Data"] for r in response["Records"]] == payloads
    assert [r["SequenceNumber"] for r in response["Records"]] == sequences
    assert all(r["PartitionKey"] == "k" for r in response["Records"])
    assert all(abs(r["ApproximateArrivalTimestamp"].timestamp() - time.time()) < 60 for r in response["Records"])
    assert response["MillisBehindLatest"] == 0
    again = kinesis.get_records(ShardIterator=response["NextShardIterator"])
    assert again["Records"] == [] and again["NextShardIterator"] and again["MillisBehindLatest"] == 0


def test_latest_sees_only_later_records(kinesis):
    name = create_stream(kinesis)
    put_all(kinesis, name, [b"before"])
    latest = iterator(kinesis, name, "LATEST")
    put_all(kinesis, name, [b"after"])
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=latest)["Records"]] == [b"after"]


def test_at_and_after_sequence_number(kinesis):
    name = create_stream(kinesis)
    sequences = put_all(kinesis, name, [b"a", b"b", b"c"])
    at = kinesis.get_records(ShardIterator=iterator(kinesis, name, "AT_SEQUENCE_NUMBER",
                                                    StartingSequenceNumber=sequences[1]))
    assert [r["Data"] for r in at["Records"]] == [b"b", b"c"]
    after = kinesis.get_records(ShardIterator=iterator(kinesis, name, "AFTER_SEQUENCE_NUMBER",
                                                       StartingSequenceNumber=sequences[1]))
    assert [r["Data"] for r in after["Records"]] == [b"c"]
    last = kinesis.get_records(ShardIterator=iterator(kinesis, name, "AFTER_SEQUENCE_NUMBER",
                                                      StartingSequenceNumber=sequences[2]))
    assert last["Records"] == [] and last["NextShardIterator"]


def test_at_timestamp_with_integer_and_fractional_seconds(server, kinesis):
    name = create_stream(kinesis)
    put_all(kinesis, name, [b"first"])
    whole_second = int(time.time()) + 1
    time.sleep(whole_second - time.time() + 0.05)
    put_all(kinesis, name, [b"second"])
    time.sleep(0.3)
    fraction = time.time()
    time.sleep(0.05)
    put_all(kinesis, name, [b"third"])
    # boto3 sends whole seconds.
    by_int = kinesis.get_records(ShardIterator=iterator(kinesis, name, "AT_TIMESTAMP", Timestamp=whole_second))
    assert [r["Data"] for r in by_int["Records"]] == [b"second", b"third"]
    # Other SDKs send fractions; the JSON number is seconds.
    response = post(server.url, "GetShardIterator", {"StreamName": name, "ShardId": SHARD,
                                                     "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": fraction})
    assert response.status_code == 200, response.text
    by_float = kinesis.get_records(ShardIterator=response.json()["ShardIterator"])
    assert [r["Data"] for r in by_float["Records"]] == [b"third"]
    # A timestamp before the stream's first record reads from the trim horizon.
    from_start = kinesis.get_records(ShardIterator=iterator(kinesis, name, "AT_TIMESTAMP", Timestamp=1))
    assert [r["Data"] for r in from_start["Records"]] == [b"first", b"second", b"third"]


def test_limit_pages_through_the_shard(kinesis):
    name = create_stream(kinesis)
    payloads = [b"%d" % i for i in range(10)]
    put_all(kinesis, name, payloads)
    position, pages = iterator(kinesis, name, "TRIM_HORIZON"), []
    while True:
        response = kinesis.get_records(ShardIterator=position, Limit=3)
        if not response["Records"]:
            break
        pages.append([r["Data"] for r in response["Records"]])
        position = response["NextShardIterator"]
    assert pages == [payloads[0:3], payloads[3:6], payloads[6:9], payloads[9:]]
    assert response["MillisBehindLatest"] == 0


def test_iterators_can_be_reused(kinesis):
    name = create_stream(kinesis)
    put_all(kinesis, name, [b"a", b"b"])
    position = iterator(kinesis, name, "TRIM_HORIZON")
    first = [r["Data"] for r in kinesis.get_records(ShardIterator=position)["Records"]]
    second = [r["Data"] for r in kinesis.get_records(ShardIterator=position)["Records"]]
    assert first == second == [b"a", b"b"]


def test_iterator_of_a_deleted_stream_is_resource_not_found(kinesis):
    name = create_stream(kinesis)
    position = iterator(kinesis, name, "TRIM_HORIZON")
    kinesis.delete_stream(StreamName=name)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    assert error(kinesis.get_records, ShardIterator=position)[0] == "ResourceNotFoundException"


def test_iterators_expire_after_the_configured_lifetime(server_factory):
    server = server_factory(["--iterator-lifetime", "2"])
    client = server.client()
    name = create_stream(client)
    put_all(client, name, [b"a"])
    old = iterator(client, name, "TRIM_HORIZON")
    time.sleep(1.2)
    fresh = client.get_records(ShardIterator=old)["NextShardIterator"]  # still valid; its successor is new
    time.sleep(1.2)
    code, message, status = error(client.get_records, ShardIterator=old)
    assert (code, status) == ("ExpiredIteratorException", 400)
    assert re.fullmatch(r"Iterator expired\. The iterator was created at time .+ while right now it is .+ which is "
                        r"further in the future than the tolerated delay of 2000 milliseconds\.", message), message
    assert client.get_records(ShardIterator=fresh)["Records"] == []



def test_after_the_shards_starting_number_is_its_first_record(kinesis):
    """AWS's StartingSequenceNumber sits just below the shard's first record (KCL resumes from it)."""
    from kinesis_support import create_stream, read_shard
    name = create_stream(kinesis)
    start = kinesis.list_shards(StreamName=name)["Shards"][0]["SequenceNumberRange"]["StartingSequenceNumber"]
    empty, _ = read_shard(kinesis, name, "shardId-000000000000", iterator_type="AFTER_SEQUENCE_NUMBER",
                          StartingSequenceNumber=start)
    assert empty == []
    first = kinesis.put_record(StreamName=name, Data=b"first", PartitionKey="k")["SequenceNumber"]
    assert int(first) > int(start)
    records, _ = read_shard(kinesis, name, "shardId-000000000000", iterator_type="AFTER_SEQUENCE_NUMBER",
                            StartingSequenceNumber=start)
    assert [r["Data"] for r in records] == [b"first"]
    at, _ = read_shard(kinesis, name, "shardId-000000000000", iterator_type="AT_SEQUENCE_NUMBER",
                       StartingSequenceNumber=first)
    assert [r["Data"] for r in at] == [b"first"]


def test_a_sequence_number_of_a_deleted_stream_is_refused_by_its_successor(streamq_only, kinesis):
    import time
    from kinesis_support import create_stream, error
    name = create_stream(kinesis)
    old = kinesis.put_record(StreamName=name, Data=b"old", PartitionKey="k")["SequenceNumber"]
    kinesis.delete_stream(StreamName=name)
    time.sleep(1.1)  # the new stream's creation second differs
    kinesis.create_stream(StreamName=name, ShardCount=1)
    code, _, _ = error(kinesis.get_shard_iterator, StreamName=name, ShardId="shardId-000000000000",
                       ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=old)
    assert code == "InvalidArgumentException"
