"""Transport and error shape (reference §1–§2), with hand-built HTTP requests."""
import json

import pytest

from kinesis_support import ACCOUNT, JSON_TYPE, create_stream, post, unique


def error_body(response):
    assert response.headers["Content-Type"].startswith(JSON_TYPE)
    body = response.json()
    return body["__type"].split("#")[-1], body.get("message", body.get("Message"))


def test_unknown_operation_is_400_unknown_operation_exception(server):
    response = post(server.url, "NoSuchOperation", {})
    assert response.status_code == 400
    assert error_body(response)[0] == "UnknownOperationException"


def test_missing_body_is_serialization_exception(server):
    response = post(server.url, "ListStreams", b"")
    assert response.status_code == 400
    assert error_body(response)[0] == "SerializationException"


def test_malformed_json_is_serialization_exception(server):
    response = post(server.url, "ListStreams", b'{"Limit": ')
    assert response.status_code == 400
    assert error_body(response)[0] == "SerializationException"


def test_json_that_is_not_an_object_is_serialization_exception(server):
    response = post(server.url, "ListStreams", b"[1, 2]")
    assert response.status_code == 400
    assert error_body(response)[0] == "SerializationException"


def test_plain_application_json_gets_the_legacy_coral_answer(server):
    response = post(server.url, "ListStreams", {}, content_type="application/json")
    assert response.status_code == 404
    body = response.json()
    assert body["Version"] == "1.0"
    assert body["Output"]["__type"].endswith("UnknownOperationException")


def test_success_has_protocol_content_type_and_request_id(server):
    response = post(server.url, "ListStreams", {})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(JSON_TYPE)
    assert response.headers["x-amzn-RequestId"]
    assert "StreamNames" in response.json()


def test_request_ids_are_unique_and_reach_boto3(server, kinesis):
    ids = {post(server.url, "ListStreams", {}).headers["x-amzn-RequestId"] for _ in range(5)}
    assert len(ids) == 5
    metadata = kinesis.list_streams()["ResponseMetadata"]
    assert metadata["RequestId"] == metadata["HTTPHeaders"]["x-amzn-requestid"]


def test_errors_carry_a_request_id_and_the_type_message_shape(server):
    response = post(server.url, "DescribeStreamSummary", {"StreamName": "no-such-stream"})
    assert response.status_code == 400
    assert response.headers["x-amzn-RequestId"]
    body = response.json()
    assert set(body) == {"__type", "message"}
    assert error_body(response) == ("ResourceNotFoundException",
                                    f"Stream no-such-stream under account {ACCOUNT} not found.")


def test_the_http_path_is_ignored(server):
    response = post(server.url, "ListStreams", {}, path="/some/other/path")
    assert response.status_code == 200
    assert "StreamNames" in response.json()


def test_content_type_with_charset_is_accepted(server):
    response = post(server.url, "ListStreams", {}, content_type=JSON_TYPE + "; charset=utf-8")
    assert response.status_code == 200


@pytest.mark.parametrize("operation,body", [
    ("AddTagsToStream", lambda name: {"StreamName": name, "Tags": {"k": "v"}}),
    ("RemoveTagsFromStream", lambda name: {"StreamName": name, "TagKeys": ["k"]}),
    ("IncreaseStreamRetentionPeriod", lambda name: {"StreamName": name, "RetentionPeriodHours": 48}),
    ("DecreaseStreamRetentionPeriod", lambda name: {"StreamName": name, "RetentionPeriodHours": 24}),
    ("DeleteStream", lambda name: {"StreamName": name}),
])
def test_operations_without_output_answer_an_empty_body(server, kinesis, operation, body):
    name = create_stream(kinesis)
    response = post(server.url, operation, body(name))
    assert response.status_code == 200
    assert response.content == b""


def test_create_stream_answers_an_empty_body(server):
    response = post(server.url, "CreateStream", {"StreamName": unique(), "ShardCount": 1})
    assert response.status_code == 200
    assert response.content == b""


def test_json_timestamps_are_epoch_seconds_numbers(server, kinesis):
    name = create_stream(kinesis)
    summary = post(server.url, "DescribeStreamSummary", {"StreamName": name}).json()["StreamDescriptionSummary"]
    assert isinstance(summary["StreamCreationTimestamp"], (int, float))
    assert 1.7e9 < summary["StreamCreationTimestamp"] < 4e9
    kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    shard_id = kinesis.list_shards(StreamName=name)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = post(server.url, "GetRecords", {"ShardIterator": iterator}).json()["Records"]
    assert isinstance(records[0]["ApproximateArrivalTimestamp"], (int, float))
    assert records[0]["Data"] == "eA=="  # base64 of b"x"
    json.dumps(records)  # plain JSON values only


OPERATIONS = [
    "CreateStream", "DeleteStream", "DescribeStream", "DescribeStreamSummary", "ListShards", "PutRecord",
    "PutRecords", "GetShardIterator", "GetRecords", "SplitShard", "MergeShards", "UpdateShardCount",
    "IncreaseStreamRetentionPeriod", "DecreaseStreamRetentionPeriod", "AddTagsToStream", "RemoveTagsFromStream",
    "ListTagsForStream", "TagResource", "UntagResource", "ListTagsForResource", "StartStreamEncryption",
    "StopStreamEncryption", "RegisterStreamConsumer", "DescribeStreamConsumer", "ListStreamConsumers",
    "DeregisterStreamConsumer", "EnableEnhancedMonitoring", "DisableEnhancedMonitoring", "UpdateStreamMode",
    "SubscribeToShard",
]


@pytest.mark.parametrize("body", [b"{}", b'{"StreamName":null,"Records":null,"RetentionPeriodHours":null}'])
def test_every_operation_refuses_missing_members_without_harm(streamq_only, server, kinesis, body):
    """A request missing its required members is a 400 naming what is missing, never a crash."""
    for operation in OPERATIONS:
        response = post(server.url, operation, body)
        assert response.status_code == 400, (operation, response.status_code, response.text)
        assert response.json()["__type"] in ("ValidationException", "InvalidArgumentException"), (operation,
                                                                                                   response.text)
    assert kinesis.list_streams()["ResponseMetadata"]["HTTPStatusCode"] == 200  # still serving


def test_unknown_operations_do_not_become_metric_labels(streamq_only, server):
    import requests
    post(server.url, "NoSuchOperationAbc", b"{}")
    metrics = requests.get(server.url + "/metrics", timeout=10).text
    assert "NoSuchOperationAbc" not in metrics
    assert 'operation="unknown"' in metrics
