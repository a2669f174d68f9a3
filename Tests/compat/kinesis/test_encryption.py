"""Server-side encryption (reference §4): StartStreamEncryption with the default master key alias,
EncryptionType reported by puts and reads, unknown keys, StopStreamEncryption."""
from kinesis_support import create_stream, error, read_shard


def summary(client, name):
    return client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]


def start(client, name, key="alias/aws/kinesis"):
    client.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key)
    client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})


def test_start_encryption_with_the_default_key(kinesis):
    name = create_stream(kinesis)
    before = kinesis.put_record(StreamName=name, Data=b"plain", PartitionKey="k")
    assert before["EncryptionType"] == "NONE"
    start(kinesis, name)
    assert summary(kinesis, name)["EncryptionType"] == "KMS"
    assert summary(kinesis, name)["KeyId"] == "alias/aws/kinesis"
    described = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert (described["EncryptionType"], described["KeyId"]) == ("KMS", "alias/aws/kinesis")
    after = kinesis.put_record(StreamName=name, Data=b"secret", PartitionKey="k")
    assert after["EncryptionType"] == "KMS"
    batch = kinesis.put_records(StreamName=name, Records=[{"Data": b"batch", "PartitionKey": "k"}])
    assert batch["EncryptionType"] == "KMS"
    records, _ = read_shard(kinesis, name, "shardId-000000000000")
    assert [r["Data"] for r in records] == [b"plain", b"secret", b"batch"]
    assert [r.get("EncryptionType", "NONE") for r in records] == ["NONE", "KMS", "KMS"]


def test_unknown_key_is_kms_not_found(kinesis):
    name = create_stream(kinesis)
    code, _, status = error(kinesis.start_stream_encryption, StreamName=name, EncryptionType="KMS",
                            KeyId="alias/no-such-key")
    assert (code, status) == ("KMSNotFoundException", 400)
    assert summary(kinesis, name)["EncryptionType"] == "NONE"


def test_stop_encryption(kinesis):
    name = create_stream(kinesis)
    start(kinesis, name)
    kinesis.put_record(StreamName=name, Data=b"encrypted", PartitionKey="k")
    kinesis.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    assert summary(kinesis, name)["EncryptionType"] == "NONE"
    assert kinesis.put_record(StreamName=name, Data=b"plain", PartitionKey="k")["EncryptionType"] == "NONE"
    records, _ = read_shard(kinesis, name, "shardId-000000000000")
    assert [(r["Data"], r.get("EncryptionType", "NONE")) for r in records] == [(b"encrypted", "KMS"), (b"plain", "NONE")]


def test_encrypted_records_survive_a_restart(streamq_only, server_factory):
    server = server_factory()
    client = server.client()
    name = create_stream(client)
    start(client, name)
    client.put_record(StreamName=name, Data=b"kept secret", PartitionKey="k")
    assert server.restart().process.poll() is None
    client = server.client()
    records, _ = read_shard(client, name, "shardId-000000000000")
    assert [(r["Data"], r["EncryptionType"]) for r in records] == [(b"kept secret", "KMS")]
