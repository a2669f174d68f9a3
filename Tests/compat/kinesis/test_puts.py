"""PutRecord / PutRecords (reference §4, §6, §7): MD5 routing with inclusive ranges, ExplicitHashKey,
atomic request validation, per-entry results in order, and KCL-valid sequence numbers."""
from kinesis_support import (MAX_HASH, assert_kcl_sequence_number, create_stream, error, hash_key, list_all_shards,
                             read_shard, read_stream, shard_for_hash)


def test_put_record_routes_by_md5_of_the_utf8_key(kinesis):
    name = create_stream(kinesis, shards=4)
    shards = list_all_shards(kinesis, name)
    for key in ["alpha", "beta", "gamma", "delta", "ε-unicode-ключ", "🙂", "k" * 256, "0", "user-42"]:
        response = kinesis.put_record(StreamName=name, Data=key.encode(), PartitionKey=key)
        assert response["ShardId"] == shard_for_hash(shards, hash_key(key)), key
        assert_kcl_sequence_number(response["SequenceNumber"], response["ShardId"])


def test_put_records_routes_each_entry(kinesis):
    name = create_stream(kinesis, shards=3)
    shards = list_all_shards(kinesis, name)
    keys = [f"key-{i}" for i in range(60)]
    response = kinesis.put_records(StreamName=name, Records=[{"Data": k.encode(), "PartitionKey": k} for k in keys])
    assert response["FailedRecordCount"] == 0
    assert len(response["Records"]) == len(keys)
    for key, entry in zip(keys, response["Records"]):
        assert set(entry) == {"SequenceNumber", "ShardId"}
        assert entry["ShardId"] == shard_for_hash(shards, hash_key(key))
        assert_kcl_sequence_number(entry["SequenceNumber"], entry["ShardId"])
    stored = read_stream(kinesis, name)
    for key, entry in zip(keys, response["Records"]):
        matching = [r for r in stored[entry["ShardId"]] if r["SequenceNumber"] == entry["SequenceNumber"]]
        assert [(r["Data"], r["PartitionKey"]) for r in matching] == [(key.encode(), key)]


def test_put_responses_report_encryption_type_none_on_an_unencrypted_stream(kinesis):
    name = create_stream(kinesis)
    assert kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")["EncryptionType"] == "NONE"
    assert kinesis.put_records(StreamName=name, Records=[{"Data": b"x", "PartitionKey": "k"}])["EncryptionType"] == "NONE"


def test_explicit_hash_key_overrides_the_partition_key(kinesis):
    name = create_stream(kinesis, shards=4)
    shards = list_all_shards(kinesis, name)
    for shard in shards:
        start, end = int(shard["HashKeyRange"]["StartingHashKey"]), int(shard["HashKeyRange"]["EndingHashKey"])
        for value in (start, end):  # both ends are inclusive
            response = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="same", ExplicitHashKey=str(value))
            assert response["ShardId"] == shard["ShardId"]
    entries = [{"Data": b"y", "PartitionKey": "same", "ExplicitHashKey": str(v)} for v in (0, MAX_HASH)]
    response = kinesis.put_records(StreamName=name, Records=entries)
    assert [r["ShardId"] for r in response["Records"]] == ["shardId-000000000000", "shardId-000000000003"]


def test_a_hash_equal_to_a_partition_key_hash_on_a_range_end(kinesis):
    # A partition key whose MD5 is exactly a shard's EndingHashKey: split so that it is.
    name = create_stream(kinesis, shards=1)
    key = "boundary"
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(hash_key(key) + 1))
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    assert kinesis.put_record(StreamName=name, Data=b"x", PartitionKey=key)["ShardId"] == "shardId-000000000001"


def test_put_records_rejects_the_whole_request_on_one_bad_entry(raw_kinesis, kinesis):
    name = create_stream(kinesis, shards=2)
    records = [{"Data": b"good", "PartitionKey": "a"}, {"Data": b"good", "PartitionKey": "b"},
               {"Data": b"bad", "PartitionKey": "c", "ExplicitHashKey": str(2**128)}]
    assert error(raw_kinesis.put_records, StreamName=name, Records=records)[0] == "InvalidArgumentException"
    assert all(records == [] for records in read_stream(kinesis, name).values())


def test_sequence_number_for_ordering_keeps_order(kinesis):
    name = create_stream(kinesis)
    previous = kinesis.put_record(StreamName=name, Data=b"0", PartitionKey="k")["SequenceNumber"]
    for i in range(1, 5):
        current = kinesis.put_record(StreamName=name, Data=str(i).encode(), PartitionKey="k",
                                     SequenceNumberForOrdering=previous)["SequenceNumber"]
        assert int(current) > int(previous)
        previous = current


def test_sequence_numbers_increase_per_shard_and_are_unique_per_stream(kinesis):
    name = create_stream(kinesis, shards=4)
    sequences, by_shard = [], {}
    for batch in range(4):
        response = kinesis.put_records(StreamName=name, Records=[
            {"Data": b"%d" % i, "PartitionKey": f"{batch}-{i}"} for i in range(100)])
        for entry in response["Records"]:
            sequences.append(entry["SequenceNumber"])
            by_shard.setdefault(entry["ShardId"], []).append(int(entry["SequenceNumber"]))
    for record in range(20):
        entry = kinesis.put_record(StreamName=name, Data=b"single", PartitionKey=f"single-{record}")
        sequences.append(entry["SequenceNumber"])
        by_shard.setdefault(entry["ShardId"], []).append(int(entry["SequenceNumber"]))
    assert len(set(sequences)) == len(sequences)
    assert len(by_shard) == 4
    for shard_id, numbers in by_shard.items():
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), shard_id
    for shard in list_all_shards(kinesis, name):
        starting = int(shard["SequenceNumberRange"]["StartingSequenceNumber"])
        assert starting <= min(by_shard[shard["ShardId"]])
        stored = [int(r["SequenceNumber"]) for r in read_shard(kinesis, name, shard["ShardId"])[0]]
        assert stored == by_shard[shard["ShardId"]]


def test_starting_sequence_number_is_fixed_at_creation(kinesis):
    name = create_stream(kinesis)
    before = list_all_shards(kinesis, name)[0]["SequenceNumberRange"]["StartingSequenceNumber"]
    kinesis.put_records(StreamName=name, Records=[{"Data": b"x", "PartitionKey": "k"}] * 3)
    assert list_all_shards(kinesis, name)[0]["SequenceNumberRange"]["StartingSequenceNumber"] == before


def test_data_is_stored_byte_for_byte(kinesis):
    name = create_stream(kinesis)
    # The last is data + the one-byte key = exactly 1 MiB, the largest record a default stream takes.
    payloads = [b"", bytes(range(256)), b"\x00" * 10, "unicode ✓".encode(), b"x" * (1024 * 1024 - 1)]
    for payload in payloads:
        kinesis.put_record(StreamName=name, Data=payload, PartitionKey="k")
    assert [r["Data"] for r in read_shard(kinesis, name, "shardId-000000000000")[0]] == payloads
