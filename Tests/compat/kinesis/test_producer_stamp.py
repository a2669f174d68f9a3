"""streamq's PutRecords extension (README, Kinesis API): the headers x-streamq-producer-id and
x-streamq-producer-sequence and x-streamq-producer-shard make a PutRecords one idempotent append to that shard, which `streamq ship`
uses for exactly-once delivery. Other servers ignore the headers (moto stores a resend again), and
PutRecords without them is unaffected."""
import base64

from conftest import ON_MOTO
from kinesis_support import CBOR_TYPE, cbor_decode, cbor_encode, create_stream, post, read_stream


def stamp(producer, sequence, shard="shardId-000000000000"):
    return {"x-streamq-producer-id": str(producer), "x-streamq-producer-sequence": str(sequence),
            "x-streamq-producer-shard": shard}


def put_records_body(name, texts, key="file-1"):
    return {"StreamName": name,
            "Records": [{"Data": base64.b64encode(t.encode()).decode(), "PartitionKey": key} for t in texts]}


def stored_data(kinesis, name):
    return [r["Data"].decode() for records in read_stream(kinesis, name).values() for r in records]


def test_a_resent_stamp_gets_the_original_sequence_numbers_and_is_stored_once(server, kinesis):
    name = create_stream(kinesis)
    body = put_records_body(name, ["a", "b", "c"])
    first = post(server.url, "PutRecords", body, headers=stamp(41, 0))
    again = post(server.url, "PutRecords", body, headers=stamp(41, 0))
    assert first.status_code == again.status_code == 200, again.text
    numbers = [r["SequenceNumber"] for r in first.json()["Records"]]
    if ON_MOTO:  # the headers are ignored: at-least-once
        assert stored_data(kinesis, name) == ["a", "b", "c", "a", "b", "c"]
        return
    assert [r["SequenceNumber"] for r in again.json()["Records"]] == numbers
    assert stored_data(kinesis, name) == ["a", "b", "c"]
    # boto3 (no headers) on the same stream and key: stored as ever, after the stamped records.
    plain = kinesis.put_records(StreamName=name, Records=[{"Data": b"a", "PartitionKey": "file-1"}])
    assert plain["FailedRecordCount"] == 0 and plain["Records"][0]["SequenceNumber"] not in numbers
    assert stored_data(kinesis, name) == ["a", "b", "c", "a"]


def test_a_stamped_cbor_put_records_is_idempotent_too(server, kinesis):
    if ON_MOTO:
        return  # moto does not speak CBOR
    name = create_stream(kinesis)
    body = cbor_encode({"StreamName": name, "Records": [{"Data": b"x", "PartitionKey": "k"}]})
    answers = [post(server.url, "PutRecords", body, content_type=CBOR_TYPE, headers=stamp(7, 0)) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    numbers = [cbor_decode(a.content)["Records"][0]["SequenceNumber"] for a in answers]
    assert numbers[0] == numbers[1]
    assert stored_data(kinesis, name) == ["x"]


def test_stamps_out_of_order_closed_shards_other_shards_records_and_half_a_stamp_are_refused(server, kinesis):
    if ON_MOTO:
        return  # moto ignores the headers
    name = create_stream(kinesis)

    def refused(body, headers):
        response = post(server.url, "PutRecords", body, headers=headers)
        assert response.status_code == 400, response.text
        return response.json()["__type"], response.json()["message"]

    assert post(server.url, "PutRecords", put_records_body(name, ["a"]), headers=stamp(9, 0)).status_code == 200
    assert refused(put_records_body(name, ["c"]), stamp(9, 2))[0] == "OutOfOrderSequenceException"
    assert refused(put_records_body(name, ["x", "y"]), stamp(9, 0))[0] == "DuplicateSequenceException"
    half = {"x-streamq-producer-id": "9", "x-streamq-producer-sequence": "1"}
    assert refused(put_records_body(name, ["d"]), half)[0] == "InvalidArgumentException"
    assert refused(put_records_body(name, ["d"]), stamp(0, 1))[0] == "InvalidArgumentException"
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    assert refused(put_records_body(name, ["d"]), stamp(9, 1))[0] == "ShardClosedException"
    spread = {"StreamName": name, "Records": [{"Data": "eA==", "PartitionKey": f"key-{i}"} for i in range(20)]}
    code, message = refused(spread, stamp(10, 0, shard="shardId-000000000001"))
    assert code == "InvalidArgumentException" and "routes to another shard" in message
    assert stored_data(kinesis, name) == ["a"]
