"""Per-shard throughput limits (--shard-limits aws), DescribeLimits, enhanced monitoring and stream
modes (reference §4, §5)."""
import threading
from concurrent.futures import ThreadPoolExecutor

from kinesis_support import create_stream, error, read_shard, stream_arn, unique


def test_put_records_over_1000_per_second_fail_per_entry(server_factory):
    server = server_factory(["--shard-limits", "aws"])
    client = server.client()
    name = create_stream(client)
    accepted, failed = [], []
    for batch in range(4):  # 2,000 records in well under a second or two
        records = [{"Data": b"%d-%d" % (batch, i), "PartitionKey": f"k{i}"} for i in range(500)]
        response = client.put_records(StreamName=name, Records=records)
        assert len(response["Records"]) == 500
        errors = [r for r in response["Records"] if "ErrorCode" in r]
        assert response["FailedRecordCount"] == len(errors)
        for record, result in zip(records, response["Records"]):
            if "ErrorCode" in result:
                assert result["ErrorCode"] == "ProvisionedThroughputExceededException"
                assert result["ErrorMessage"]
                assert "SequenceNumber" not in result
                failed.append(record["Data"])
            else:
                accepted.append(record["Data"])
    assert failed, "2,000 records to one shard at once were all accepted"
    stored = [r["Data"] for r in read_shard(client, name, "shardId-000000000000")[0]]
    assert sorted(stored) == sorted(accepted)


def test_put_record_over_the_limit_raises(server_factory):
    # 1 MiB/s per shard: a few 1,000,000-byte records back to back exceed it whatever the refill scheme.
    server = server_factory(["--shard-limits", "aws"])
    client = server.client()
    name = create_stream(client)
    outcomes = []
    for _ in range(5):
        try:
            client.put_record(StreamName=name, Data=b"x" * 1_000_000, PartitionKey="k")
            outcomes.append("ok")
        except client.exceptions.ProvisionedThroughputExceededException as raised:
            assert raised.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            outcomes.append("throttled")
    assert outcomes[0] == "ok" and "throttled" in outcomes, outcomes


def test_get_records_over_5_calls_per_second_is_throttled(server_factory):
    server = server_factory(["--shard-limits", "aws"])
    client = server.client(max_pool_connections=12)
    name = create_stream(client)
    position = client.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                         ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    start = threading.Barrier(12)

    def call():  # twelve calls at the same instant: more than 5 in any one second
        start.wait()
        try:
            client.get_records(ShardIterator=position)
            return "ok"
        except client.exceptions.ProvisionedThroughputExceededException:
            return "throttled"

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(lambda _: call(), range(12)))
    assert "throttled" in codes and "ok" in codes, codes


def test_no_limits_by_default(kinesis):
    name = create_stream(kinesis)
    for _ in range(4):
        response = kinesis.put_records(StreamName=name, Records=[{"Data": b"x", "PartitionKey": "k"}] * 500)
        assert response["FailedRecordCount"] == 0


def test_describe_limits(kinesis):
    create_stream(kinesis, shards=3)
    limits = kinesis.describe_limits()
    assert limits["ShardLimit"] >= limits["OpenShardCount"] >= 3
    assert limits["OnDemandStreamCountLimit"] >= limits["OnDemandStreamCount"] >= 0


def test_enhanced_monitoring(kinesis):
    name = create_stream(kinesis)
    enabled = kinesis.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["IncomingBytes", "OutgoingRecords"])
    assert enabled["StreamName"] == name and enabled["StreamARN"] == stream_arn(name)
    assert enabled["CurrentShardLevelMetrics"] == []
    assert sorted(enabled["DesiredShardLevelMetrics"]) == ["IncomingBytes", "OutgoingRecords"]
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert sorted(summary["EnhancedMonitoring"][0]["ShardLevelMetrics"]) == ["IncomingBytes", "OutgoingRecords"]
    disabled = kinesis.disable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["IncomingBytes"])
    assert sorted(disabled["CurrentShardLevelMetrics"]) == ["IncomingBytes", "OutgoingRecords"]
    assert disabled["DesiredShardLevelMetrics"] == ["OutgoingRecords"]
    described = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert described["EnhancedMonitoring"][0]["ShardLevelMetrics"] == ["OutgoingRecords"]


def test_update_stream_mode(kinesis):
    name = create_stream(kinesis, shards=2)
    kinesis.update_stream_mode(StreamARN=stream_arn(name), StreamModeDetails={"StreamMode": "ON_DEMAND"})
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    code, _, status = error(kinesis.update_shard_count, StreamName=name, TargetShardCount=4,
                            ScalingType="UNIFORM_SCALING")
    assert (code, status) == ("ValidationException", 400)
    assert kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")["SequenceNumber"]
    kinesis.update_stream_mode(StreamARN=stream_arn(name), StreamModeDetails={"StreamMode": "PROVISIONED"})
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamModeDetails"] == {
        "StreamMode": "PROVISIONED"}


def test_create_on_demand_stream(kinesis):
    name = unique("on-demand")
    kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] >= 1
    assert kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")["ShardId"]
