"""Several clients put while others read, and per-shard order holds; `kill -9` while clients put, and
every record acknowledged with a 200 reads back after a restart on the same data directory."""
import threading
import time

from kinesis_support import create_stream, list_all_shards, read_shard, read_stream

WRITERS, BATCHES, BATCH = 4, 15, 50


def test_concurrent_writers_and_readers_keep_per_shard_order(server, kinesis):
    name = create_stream(kinesis, shards=3)
    acknowledged, failures, done = {}, [], threading.Event()

    def write(writer):
        client = server.client()
        try:
            for batch in range(BATCHES):
                records = [{"Data": b"%d:%d" % (writer, batch * BATCH + i), "PartitionKey": f"w{writer}-{i % 7}"}
                           for i in range(BATCH)]
                response = client.put_records(StreamName=name, Records=records)
                assert response["FailedRecordCount"] == 0
                for record, result in zip(records, response["Records"]):
                    acknowledged[(result["ShardId"], result["SequenceNumber"])] = record["Data"]
        except Exception as failure:  # reported below
            failures.append(failure)

    seen = {}

    def read(shard_id):
        client = server.client()
        try:
            position = client.get_shard_iterator(StreamName=name, ShardId=shard_id,
                                                 ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            records = seen.setdefault(shard_id, [])
            while True:
                # Only an empty answer to a request sent after every write was acknowledged means
                # the reader has everything (one sent before may answer after `done` is set).
                writes_done = done.is_set()
                response = client.get_records(ShardIterator=position, Limit=100)
                records += response["Records"]
                position = response["NextShardIterator"]
                if writes_done and not response["Records"]:
                    return
                if not response["Records"]:
                    time.sleep(0.02)
        except Exception as failure:
            failures.append(failure)

    shards = [s["ShardId"] for s in list_all_shards(kinesis, name)]
    readers = [threading.Thread(target=read, args=(shard,)) for shard in shards]
    writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join(120)
    done.set()
    for thread in readers:
        thread.join(120)
    assert not failures, failures
    assert len(acknowledged) == WRITERS * BATCHES * BATCH
    for shard_id, records in seen.items():
        numbers = [int(r["SequenceNumber"]) for r in records]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), shard_id
    read_back = {(shard, r["SequenceNumber"]): r["Data"] for shard, records in seen.items() for r in records}
    assert read_back == acknowledged
    # Per partition key, a writer's records come back in the order it sent them.
    by_key = {}
    for shard_id in shards:
        for record in seen[shard_id]:
            by_key.setdefault(record["PartitionKey"], []).append(int(record["Data"].split(b":")[1]))
    for key, counters in by_key.items():
        assert counters == sorted(counters), key


def test_kill_9_loses_no_acknowledged_record(streamq_only, server_factory):
    server = server_factory()
    client = server.client()
    name = create_stream(client, shards=2)
    acknowledged, lock, stop = {}, threading.Lock(), threading.Event()

    def write(writer):
        client = server.client(connect_timeout=2, read_timeout=5)
        batch = 0
        while not stop.is_set():
            records = [{"Data": b"%d:%d:%d" % (writer, batch, i), "PartitionKey": f"k{writer}-{i}"} for i in range(20)]
            try:
                response = client.put_records(StreamName=name, Records=records)
            except Exception:  # the server died mid-request: nothing in this batch was acknowledged
                return
            with lock:
                for record, result in zip(records, response["Records"]):
                    if "SequenceNumber" in result:
                        acknowledged[(result["ShardId"], result["SequenceNumber"])] = record["Data"]
            batch += 1

    writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in writers:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 2000 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in writers:
        thread.join(30)
    assert len(acknowledged) >= 2000, "too few puts before the kill"
    server.start()
    client = server.client()
    stored = read_stream(client, name)
    read_back = {}
    for shard_id, records in stored.items():
        numbers = [int(r["SequenceNumber"]) for r in records]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
        for record in records:
            read_back[(shard_id, record["SequenceNumber"])] = record["Data"]
    missing = {key: data for key, data in acknowledged.items() if read_back.get(key) != data}
    assert not missing, f"{len(missing)} acknowledged records lost or changed"
    # The stream still takes writes after recovery.
    assert client.put_record(StreamName=name, Data=b"after", PartitionKey="k")["SequenceNumber"]
    assert read_shard(client, name, client.put_record(StreamName=name, Data=b"again", PartitionKey="k")["ShardId"])[0]
