"""Retention period rules and tags, both the stream-named and the ARN-based API families (reference §4)."""
import pytest

from kinesis_support import ACCOUNT, create_stream, error, stream_arn


def retention(client, name):
    return client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["RetentionPeriodHours"]


def test_retention_increase_then_decrease(kinesis):
    name = create_stream(kinesis)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=168)
    assert retention(kinesis, name) == 168
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["RetentionPeriodHours"] == 168
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    assert retention(kinesis, name) == 48


def test_retention_increase_cannot_shorten(kinesis):
    name = create_stream(kinesis)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    code, message, status = error(kinesis.increase_stream_retention_period, StreamName=name, RetentionPeriodHours=36)
    assert (code, status) == ("InvalidArgumentException", 400)
    assert message.endswith("can not be shorter than existing retention period (48 hours). "
                            "Use DecreaseRetentionPeriod API."), message
    assert retention(kinesis, name) == 48


def test_retention_decrease_cannot_lengthen(kinesis):
    name = create_stream(kinesis)
    code, _, status = error(kinesis.decrease_stream_retention_period, StreamName=name, RetentionPeriodHours=48)
    assert (code, status) == ("InvalidArgumentException", 400)
    assert retention(kinesis, name) == 24


@pytest.mark.parametrize("operation,hours", [("increase_stream_retention_period", 8761),
                                             ("decrease_stream_retention_period", 23)])
def test_retention_bounds(kinesis, operation, hours):
    name = create_stream(kinesis)
    if operation.startswith("decrease"):
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    code, _, status = error(getattr(kinesis, operation), StreamName=name, RetentionPeriodHours=hours)
    assert (code, status) == ("InvalidArgumentException", 400)


def test_tags_add_overwrite_list_and_remove(kinesis):
    name = create_stream(kinesis)
    kinesis.add_tags_to_stream(StreamName=name, Tags={"b": "2", "a": "1", "c": ""})
    kinesis.add_tags_to_stream(StreamName=name, Tags={"b": "two"})
    listed = kinesis.list_tags_for_stream(StreamName=name)
    assert listed["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "two"}, {"Key": "c", "Value": ""}]
    assert listed["HasMoreTags"] is False
    kinesis.remove_tags_from_stream(StreamName=name, TagKeys=["a", "not-there"])
    assert [t["Key"] for t in kinesis.list_tags_for_stream(StreamName=name)["Tags"]] == ["b", "c"]


def test_list_tags_pages_with_exclusive_start_tag_key(kinesis):
    name = create_stream(kinesis)
    kinesis.add_tags_to_stream(StreamName=name, Tags={k: k.upper() for k in "edcba"})
    first = kinesis.list_tags_for_stream(StreamName=name, Limit=2)
    assert [t["Key"] for t in first["Tags"]] == ["a", "b"]
    assert first["HasMoreTags"] is True
    rest = kinesis.list_tags_for_stream(StreamName=name, ExclusiveStartTagKey="b")
    assert [t["Key"] for t in rest["Tags"]] == ["c", "d", "e"]
    assert rest["HasMoreTags"] is False


def test_a_stream_holds_at_most_50_tags(kinesis):
    name = create_stream(kinesis)
    kinesis.add_tags_to_stream(StreamName=name, Tags={f"k{i:02d}": "v" for i in range(50)})
    kinesis.add_tags_to_stream(StreamName=name, Tags={"k00": "overwrite is fine"})
    code, message, status = error(kinesis.add_tags_to_stream, StreamName=name, Tags={"one-more": "v"})
    assert (code, status) == ("InvalidArgumentException", 400)
    assert message.startswith(f"Failed to add tags to stream {name} under account {ACCOUNT} because a given stream "
                              "cannot have more than"), message
    tags = kinesis.list_tags_for_stream(StreamName=name, Limit=50)["Tags"]
    assert len(tags) == 50 and {"Key": "k00", "Value": "overwrite is fine"} in tags


def test_create_stream_with_tags(kinesis):
    name = create_stream(kinesis, Tags={"team": "data", "env": "test"})
    assert kinesis.list_tags_for_stream(StreamName=name)["Tags"] == [{"Key": "env", "Value": "test"},
                                                                      {"Key": "team", "Value": "data"}]


def test_resource_tag_api_shares_the_stream_tags(kinesis):
    name = create_stream(kinesis)
    arn = stream_arn(name)
    kinesis.tag_resource(ResourceARN=arn, Tags={"x": "1", "y": "2"})
    assert kinesis.list_tags_for_stream(StreamName=name)["Tags"] == [{"Key": "x", "Value": "1"},
                                                                      {"Key": "y", "Value": "2"}]
    kinesis.add_tags_to_stream(StreamName=name, Tags={"z": "3"})
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["x"])
    tags = kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("y", "2"), ("z", "3")]


def test_resource_tag_api_on_a_missing_stream(kinesis):
    assert error(kinesis.list_tags_for_resource, ResourceARN=stream_arn("no-such-stream-x"))[0] == \
        "ResourceNotFoundException"
