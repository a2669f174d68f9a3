"""KPL aggregated records (reference §10) are stored byte for byte, so aws_kinesis_agg deaggregates
exactly what was aggregated."""
import base64
import random

from aws_kinesis_agg.aggregator import RecordAggregator
from aws_kinesis_agg.deaggregator import iter_deaggregate_records

from kinesis_support import create_stream, hash_key, read_shard


def aggregate(user_records):
    aggregator = RecordAggregator()
    for partition_key, data in user_records:
        assert aggregator.add_user_record(partition_key, data) is None  # all fit in one aggregate
    return aggregator.clear_and_get().get_contents()


def unpacked(records):
    """(partition key, data) of every user record in `records`, as a KCL-style consumer sees them."""
    return [(r["kinesis"]["partitionKey"], base64.b64decode(r["kinesis"]["data"]))
            for r in iter_deaggregate_records(records, data_format="Boto3")]


def user_records(count, seed):
    rng = random.Random(seed)
    return [(f"user-{rng.randrange(10**6)}", bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))))
            for _ in range(count)]


def test_aggregate_round_trips_byte_for_byte(kinesis):
    name = create_stream(kinesis)
    originals = user_records(40, seed=1)
    partition_key, explicit_hash_key, data = aggregate(originals)
    hash_argument = {"ExplicitHashKey": explicit_hash_key} if explicit_hash_key else {}
    kinesis.put_record(StreamName=name, Data=data, PartitionKey=partition_key, **hash_argument)
    records, _ = read_shard(kinesis, name, "shardId-000000000000")
    assert len(records) == 1 and records[0]["Data"] == data
    assert unpacked(records) == originals
    deaggregated = list(iter_deaggregate_records(records, data_format="Boto3"))
    assert [r["kinesis"]["subSequenceNumber"] for r in deaggregated] == list(range(len(originals)))
    assert {r["kinesis"]["sequenceNumber"] for r in deaggregated} == {records[0]["SequenceNumber"]}


def test_kpl_style_put_records_of_aggregates(kinesis):
    # The KPL puts aggregates with outer key "a" and the first user record's hash as ExplicitHashKey.
    name = create_stream(kinesis, shards=2)
    batches = [user_records(25, seed=seed) for seed in (2, 3, 4)]
    entries = []
    for batch in batches:
        _, _, data = aggregate(batch)
        entries.append({"Data": data, "PartitionKey": "a", "ExplicitHashKey": str(hash_key(batch[0][0]))})
    response = kinesis.put_records(StreamName=name, Records=entries)
    assert response["FailedRecordCount"] == 0
    for entry, result in zip(entries, response["Records"]):
        records, _ = read_shard(kinesis, name, result["ShardId"])
        stored = [r for r in records if r["SequenceNumber"] == result["SequenceNumber"]]
        assert [r["Data"] for r in stored] == [entry["Data"]]
        assert stored[0]["PartitionKey"] == "a"
    everything = [r for shard in ("shardId-000000000000", "shardId-000000000001")
                  for r in read_shard(kinesis, name, shard)[0]]
    assert sorted(unpacked(everything)) == sorted(record for batch in batches for record in batch)


def test_streamq_read_deaggregates_as_kcl_does(streamq_only, server, kinesis):
    """`streamq read` (through --endpoint, and on the data directory beside the server) hands out the
    user records of a KPL aggregate, with their sub-sequence numbers, and other records as they are."""
    import json
    import os
    import subprocess
    from conftest import streamq_binary
    name = create_stream(kinesis)
    originals = [(f"k{i}", f"user record {i}".encode()) for i in range(5)]
    partition_key, explicit_hash_key, data = aggregate(originals)
    hash_argument = {"ExplicitHashKey": explicit_hash_key} if explicit_hash_key else {}
    kinesis.put_record(StreamName=name, Data=data, PartitionKey=partition_key, **hash_argument)
    kinesis.put_record(StreamName=name, Data=b"plain", PartitionKey="p")
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(server.data_dir.parent),
                   "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
    remote = subprocess.run([streamq_binary(), "read", name, "--json", "--endpoint", server.url],
                            capture_output=True, text=True, env=environment, timeout=60)
    local = subprocess.run([streamq_binary(), "read", name, "--json"], capture_output=True, text=True,
                           env=dict(environment, STREAMQ_DATA_DIR=str(server.data_dir)), timeout=60)
    for result in (remote, local):
        assert result.returncode == 0, result.stderr
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert [(row["partitionKey"], row["data"]) for row in rows] == \
            [(key, value.decode()) for key, value in originals] + [("p", "plain")]
        assert [row.get("subSequenceNumber") for row in rows] == [0, 1, 2, 3, 4, None]
        assert len({row["sequenceNumber"] for row in rows[:5]}) == 1
