"""Helpers shared by the Kinesis compatibility tests: hash-key routing as AWS does it, sequence-number
layout checks, raw HTTP requests, a minimal CBOR codec and a SigV4 signer for hand-built requests."""
import datetime, hashlib, hmac, json, re, struct, time, uuid
from urllib.parse import urlparse

import pytest
import requests
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"
REGION = "us-east-1"
TARGET_PREFIX = "Kinesis_20131202."
JSON_TYPE = "application/x-amz-json-1.1"
CBOR_TYPE = "application/x-amz-cbor-1.1"
MAX_HASH = 2**128 - 1


def unique(prefix="s"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def stream_arn(name):
    return f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"


def hash_key(partition_key):
    """The 128-bit hash AWS routes by: MD5 of the UTF-8 partition key, big-endian."""
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


def shard_for_hash(shards, value):
    """The open shard whose inclusive hash range holds `value`."""
    matches = [s["ShardId"] for s in shards
               if "EndingSequenceNumber" not in s.get("SequenceNumberRange", {})
               and int(s["HashKeyRange"]["StartingHashKey"]) <= value <= int(s["HashKeyRange"]["EndingHashKey"])]
    assert len(matches) == 1, f"hash {value} is in {len(matches)} open shards"
    return matches[0]


def shard_index(shard_id):
    return int(shard_id.rsplit("-", 1)[1])


def assert_kcl_sequence_number(sequence, shard_id):
    """AWS's v2 layout that KCL 2.x validates: 186 bits, version nibble 2 on top, 2 in the low nibble,
    the shard index in bits 4..35."""
    assert re.fullmatch(r"[1-9]\d{55}", sequence), f"{sequence} is not a 56-digit decimal"
    value = int(sequence)
    assert value.bit_length() == 186, f"{sequence} has {value.bit_length()} bits"
    assert value >> 184 == 2, f"{sequence} has version {value >> 184}"
    assert value & 0xF == 2, f"{sequence} ends with nibble {value & 0xF}"
    assert (value >> 4) & 0xFFFFFFFF == shard_index(shard_id), f"{sequence} does not carry {shard_id}'s index"


def error(call, *args, **kwargs):
    """Runs a boto3 call that must fail; returns (code, message, HTTP status)."""
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return (response["Error"]["Code"], response["Error"].get("Message"),
            response["ResponseMetadata"]["HTTPStatusCode"])


def wait_active(client, name, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        status = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
        if status == "ACTIVE":
            return
        assert time.monotonic() < deadline, f"{name} still {status}"
        time.sleep(0.1)


def create_stream(client, shards=1, prefix="s", **kwargs):
    name = unique(prefix)
    client.create_stream(StreamName=name, ShardCount=shards, **kwargs)
    wait_active(client, name)
    return name


def list_all_shards(client, name, **kwargs):
    shards, response = [], client.list_shards(StreamName=name, **kwargs)
    shards += response["Shards"]
    while response.get("NextToken"):
        response = client.list_shards(NextToken=response["NextToken"])
        shards += response["Shards"]
    return shards


def open_shards(client, name):
    return [s for s in list_all_shards(client, name) if "EndingSequenceNumber" not in s["SequenceNumberRange"]]


def read_shard(client, name, shard_id, iterator_type="TRIM_HORIZON", limit=None, max_calls=200, **kwargs):
    """Every record of a shard from the given position until caught up (or the shard's end).
    Returns (records, last response)."""
    iterator = client.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType=iterator_type,
                                         **kwargs)["ShardIterator"]
    records = []
    for _ in range(max_calls):
        response = client.get_records(ShardIterator=iterator, **({"Limit": limit} if limit else {}))
        records += response["Records"]
        iterator = response.get("NextShardIterator")
        if iterator is None or (not response["Records"] and response.get("MillisBehindLatest") == 0):
            return records, response
    raise AssertionError(f"{shard_id} not read to its end in {max_calls} calls")


def read_stream(client, name):
    """{shard id: records} for every shard of the stream."""
    return {s["ShardId"]: read_shard(client, name, s["ShardId"])[0] for s in list_all_shards(client, name)}


# Raw HTTP -------------------------------------------------------------------------------------------

def post(url, operation=None, body=b"", content_type=JSON_TYPE, headers=None, path="/", **kwargs):
    """A hand-built Kinesis request; `body` may be bytes or a dict (JSON-encoded)."""
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    all_headers = {"Content-Type": content_type} if content_type else {}
    if operation:
        all_headers["X-Amz-Target"] = TARGET_PREFIX + operation
    all_headers["Authorization"] = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/kinesis/aws4_request, "
                                    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00")
    all_headers["X-Amz-Date"] = "20260101T000000Z"
    all_headers.update(headers or {})
    return requests.post(url.rstrip("/") + path, data=body, headers={k: v for k, v in all_headers.items()
                                                                     if v is not None}, timeout=30, **kwargs)


# SigV4 ----------------------------------------------------------------------------------------------

def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sigv4_headers(url, operation, body, access_key, secret_key, when=None, region=REGION, session_token=None):
    """Headers of a SigV4-signed Kinesis request (service kinesis), signed at `when` (UTC)."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = when.strftime("%Y%m%dT%H%M%SZ"), when.strftime("%Y%m%d")
    host = urlparse(url).netloc
    headers = {"content-type": JSON_TYPE, "host": host, "x-amz-date": amz_date,
               "x-amz-target": TARGET_PREFIX + operation}
    if session_token:
        headers["x-amz-security-token"] = session_token
    signed = sorted(headers)
    canonical = "\n".join(["POST", "/", "", *[f"{h}:{headers[h]}" for h in signed], "", ";".join(signed),
                           hashlib.sha256(body).hexdigest()])
    scope = f"{day}/{region}/kinesis/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret_key).encode(), day), region), "kinesis"), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                f"SignedHeaders={';'.join(signed)}, Signature={signature}")
    del headers["host"]
    return headers


# CBOR (RFC 8949 subset: what Kinesis requests and responses use) -------------------------------------

class Tag:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value

    def __repr__(self):
        return f"Tag({self.tag}, {self.value!r})"


def _head(major, value):
    if value < 24:
        return bytes([major << 5 | value])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if value < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, value)
    raise ValueError(f"{value} does not fit CBOR")


def cbor_encode(value):
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, (bytes, bytearray)):
        return _head(2, len(value)) + bytes(value)
    if isinstance(value, str):
        encoded = value.encode()
        return _head(3, len(encoded)) + encoded
    if isinstance(value, (list, tuple)):
        return _head(4, len(value)) + b"".join(cbor_encode(v) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor_encode(k) + cbor_encode(v) for k, v in value.items())
    if isinstance(value, Tag):
        return _head(6, value.tag) + cbor_encode(value.value)
    raise TypeError(f"cannot CBOR-encode {type(value)}")


def cbor_decode(data):
    value, end = _decode(memoryview(data), 0)
    assert end == len(data), f"{len(data) - end} trailing bytes after the CBOR item"
    return value


def _argument(data, pos, info):
    if info < 24:
        return info, pos
    size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
    return int.from_bytes(data[pos:pos + size], "big"), pos + size


def _decode(data, pos):
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    pos += 1
    if major == 7:
        if info == 20:
            return False, pos
        if info == 21:
            return True, pos
        if info in (22, 23):
            return None, pos
        if info == 25:
            return struct.unpack(">e", data[pos:pos + 2])[0], pos + 2
        if info == 26:
            return struct.unpack(">f", data[pos:pos + 4])[0], pos + 4
        if info == 27:
            return struct.unpack(">d", data[pos:pos + 8])[0], pos + 8
        raise ValueError(f"unsupported simple value {info}")
    if info == 31:  # indefinite length
        items = []
        while data[pos] != 0xFF:
            item, pos = _decode(data, pos)
            items.append(item)
        pos += 1
        if major == 2:
            return b"".join(items), pos
        if major == 3:
            return "".join(items), pos
        if major == 4:
            return items, pos
        if major == 5:
            return dict(zip(items[::2], items[1::2])), pos
        raise ValueError(f"indefinite length for major type {major}")
    argument, pos = _argument(data, pos, info)
    if major == 0:
        return argument, pos
    if major == 1:
        return -1 - argument, pos
    if major == 2:
        return bytes(data[pos:pos + argument]), pos + argument
    if major == 3:
        return bytes(data[pos:pos + argument]).decode(), pos + argument
    if major == 4:
        items = []
        for _ in range(argument):
            item, pos = _decode(data, pos)
            items.append(item)
        return items, pos
    if major == 5:
        result = {}
        for _ in range(argument):
            key, pos = _decode(data, pos)
            result[key], pos = _decode(data, pos)
        return result, pos
    value, pos = _decode(data, pos)
    return Tag(argument, value), pos
