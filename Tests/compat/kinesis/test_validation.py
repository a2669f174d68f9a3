"""Server-side validation (reference §2–§3): ValidationException texts in AWS's format for model
constraints, InvalidArgumentException for semantic errors. Uses the client without client-side
validation so the server is the one that answers."""
import re
import time

import pytest

from kinesis_support import create_stream, error, read_shard, unique

PATTERN = "[a-zA-Z0-9_.-]+"


def one_error(value, path, constraint):
    return f"1 validation error detected: Value {value} at '{path}' failed to satisfy constraint: {constraint}"


def test_stream_name_pattern(raw_kinesis):
    assert error(raw_kinesis.create_stream, StreamName="bad name!", ShardCount=1) == (
        "ValidationException",
        one_error("'bad name!'", "streamName", f"Member must satisfy regular expression pattern: {PATTERN}"), 400)


def test_stream_name_length(raw_kinesis):
    name = "a" * 129
    assert error(raw_kinesis.create_stream, StreamName=name, ShardCount=1) == (
        "ValidationException",
        one_error(f"'{name}'", "streamName", "Member must have length less than or equal to 128"), 400)


def test_shard_count_minimum(raw_kinesis):
    assert error(raw_kinesis.create_stream, StreamName=unique(), ShardCount=0) == (
        "ValidationException",
        one_error("'0'", "shardCount", "Member must have value greater than or equal to 1"), 400)


def test_several_violations_are_counted_and_joined(raw_kinesis):
    code, message, _ = error(raw_kinesis.create_stream, StreamName="bad name!", ShardCount=0)
    assert code == "ValidationException"
    assert message.startswith("2 validation errors detected: ")
    parts = message[len("2 validation errors detected: "):].split("; ")
    assert sorted(parts) == sorted([
        "Value 'bad name!' at 'streamName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {PATTERN}",
        "Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ])


def test_put_records_partition_key_too_long_names_the_entry(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    key = "k" * 257
    records = [{"Data": b"ok", "PartitionKey": "a"}, {"Data": b"x", "PartitionKey": key}]
    assert error(raw_kinesis.put_records, StreamName=name, Records=records) == (
        "ValidationException",
        one_error(f"'{key}'", "records.2.member.partitionKey", "Member must have length less than or equal to 256"),
        400)
    assert read_shard(kinesis, name, "shardId-000000000000")[0] == []


def test_put_records_first_entry_empty_partition_key(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    assert error(raw_kinesis.put_records, StreamName=name, Records=[{"Data": b"x", "PartitionKey": ""}]) == (
        "ValidationException",
        one_error("''", "records.1.member.partitionKey", "Member must have length greater than or equal to 1"), 400)


def test_put_record_empty_partition_key(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    assert error(raw_kinesis.put_record, StreamName=name, Data=b"x", PartitionKey="") == (
        "ValidationException",
        one_error("''", "partitionKey", "Member must have length greater than or equal to 1"), 400)


def test_put_records_more_than_500(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    code, message, _ = error(raw_kinesis.put_records, StreamName=name,
                             Records=[{"Data": b"x", "PartitionKey": "k"}] * 501)
    assert code == "ValidationException"
    assert re.fullmatch(r"1 validation error detected: Value '.*' at 'records' failed to satisfy constraint: "
                        r"Member must have length less than or equal to 500", message, re.S)


def test_put_records_empty_list(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    code, message, _ = error(raw_kinesis.put_records, StreamName=name, Records=[])
    assert code == "ValidationException"
    assert message == one_error("'[]'", "records", "Member must have length greater than or equal to 1")


def test_explicit_hash_key_pattern(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    assert error(raw_kinesis.put_record, StreamName=name, Data=b"x", PartitionKey="k", ExplicitHashKey="12a") == (
        "ValidationException",
        one_error("'12a'", "explicitHashKey", "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"),
        400)


def test_explicit_hash_key_out_of_range(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    value = str(2**128)
    assert error(raw_kinesis.put_record, StreamName=name, Data=b"x", PartitionKey="k", ExplicitHashKey=value) == (
        "InvalidArgumentException",
        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
        f"Specified value was {value}", 400)


def test_record_over_one_mib_is_rejected_and_not_stored(raw_kinesis, kinesis):
    # The model allows 10 MiB blobs; the stream's MaxRecordSizeInKiB (1024) is checked on top. The
    # reference does not give the code, so either of the two request-error codes is accepted.
    name = create_stream(kinesis)
    code, _, status = error(raw_kinesis.put_record, StreamName=name, Data=b"x" * (1024 * 1024 + 1), PartitionKey="k")
    assert (code, status) in {("ValidationException", 400), ("InvalidArgumentException", 400)}
    assert read_shard(kinesis, name, "shardId-000000000000")[0] == []


def test_get_records_limit_minimum(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert error(raw_kinesis.get_records, ShardIterator=iterator, Limit=0) == (
        "ValidationException", one_error("'0'", "limit", "Member must have value greater than or equal to 1"), 400)


def test_get_records_limit_maximum(raw_kinesis, kinesis):
    # §3 lists Limit 1..10000 as a model constraint; §2 (from the API page) says InvalidArgumentException.
    name = create_stream(kinesis)
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    code, _, status = error(raw_kinesis.get_records, ShardIterator=iterator, Limit=10001)
    assert (code, status) in {("ValidationException", 400), ("InvalidArgumentException", 400)}


def test_shard_iterator_type_enum(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    assert error(raw_kinesis.get_shard_iterator, StreamName=name, ShardId="shardId-000000000000",
                 ShardIteratorType="OLDEST") == (
        "ValidationException",
        one_error("'OLDEST'", "shardIteratorType", "Member must satisfy enum value set: "
                  "[AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]"), 400)


def test_shard_iterator_too_long(raw_kinesis):
    iterator = "A" * 513
    code, message, _ = error(raw_kinesis.get_records, ShardIterator=iterator)
    assert code == "ValidationException"
    assert message == one_error(f"'{iterator}'", "shardIterator", "Member must have length less than or equal to 512")


def test_malformed_shard_iterator(raw_kinesis):
    assert error(raw_kinesis.get_records, ShardIterator="bm90LWFuLWl0ZXJhdG9y") == (
        "InvalidArgumentException", "Invalid ShardIterator.", 400)


@pytest.mark.parametrize("iterator_type", ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"])
def test_sequence_iterator_without_a_sequence_number(raw_kinesis, kinesis, iterator_type):
    name = create_stream(kinesis)
    code, message, _ = error(raw_kinesis.get_shard_iterator, StreamName=name, ShardId="shardId-000000000000",
                             ShardIteratorType=iterator_type)
    assert code == "InvalidArgumentException"
    assert message.startswith("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                              "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber.")


@pytest.mark.parametrize("iterator_type", ["TRIM_HORIZON", "LATEST"])
def test_position_iterator_with_a_sequence_number(raw_kinesis, kinesis, iterator_type):
    name = create_stream(kinesis)
    sequence = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")["SequenceNumber"]
    assert error(raw_kinesis.get_shard_iterator, StreamName=name, ShardId="shardId-000000000000",
                 ShardIteratorType=iterator_type, StartingSequenceNumber=sequence) == (
        "InvalidArgumentException",
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or "
        "(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
        f"Request specified {iterator_type} and also a StartingSequenceNumber.", 400)


def test_at_timestamp_without_timestamp(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    code, message, _ = error(raw_kinesis.get_shard_iterator, StreamName=name, ShardId="shardId-000000000000",
                             ShardIteratorType="AT_TIMESTAMP")
    assert code == "InvalidArgumentException"
    assert message.startswith("Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP")


def test_at_timestamp_in_the_future(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    future = int(time.time()) + 3600
    code, message, _ = error(raw_kinesis.get_shard_iterator, StreamName=name, ShardId="shardId-000000000000",
                             ShardIteratorType="AT_TIMESTAMP", Timestamp=future)
    assert code == "InvalidArgumentException"
    match = re.fullmatch(r"The timestampInMillis parameter cannot be greater than the currentTimestampInMillis\. "
                         r"timestampInMillis: (\d+), currentTimestampInMillis: (\d+)", message)
    assert match, message
    assert int(match.group(1)) == future * 1000
    assert int(match.group(2)) < future * 1000


def test_list_shards_max_results_maximum(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    assert error(raw_kinesis.list_shards, StreamName=name, MaxResults=10001) == (
        "ValidationException",
        one_error("'10001'", "maxResults", "Member must have value less than or equal to 10000"), 400)


def test_list_streams_limit_minimum(raw_kinesis):
    assert error(raw_kinesis.list_streams, Limit=0) == (
        "ValidationException", one_error("'0'", "limit", "Member must have value greater than or equal to 1"), 400)


def test_split_new_starting_hash_key_pattern(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    code, message, _ = error(raw_kinesis.split_shard, StreamName=name, ShardToSplit="shardId-000000000000",
                             NewStartingHashKey="-5")
    assert code == "ValidationException"
    assert message == one_error("'-5'", "newStartingHashKey",
                                "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})")


def test_consumer_name_pattern(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    assert error(raw_kinesis.register_stream_consumer, StreamARN=arn, ConsumerName="a b") == (
        "ValidationException",
        one_error("'a b'", "consumerName", f"Member must satisfy regular expression pattern: {PATTERN}"), 400)


def test_tag_key_too_long(raw_kinesis, kinesis):
    name = create_stream(kinesis)
    code, _, status = error(raw_kinesis.add_tags_to_stream, StreamName=name, Tags={"k" * 129: "v"})
    assert (code, status) == ("ValidationException", 400)


def test_stream_arn_pattern(raw_kinesis):
    code, message, _ = error(raw_kinesis.describe_stream_summary, StreamARN="arn:aws:s3:::bucket")
    assert code == "ValidationException"
    assert message == one_error("'arn:aws:s3:::bucket'", "streamARN",
                                "Member must satisfy regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+")
