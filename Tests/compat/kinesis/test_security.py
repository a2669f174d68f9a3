"""SigV4 with --credentials (accepted and refused) and TLS with --tls-cert/--tls-key (reference §1)."""
import datetime
import json

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import make_client
from kinesis_support import JSON_TYPE, create_stream, error, read_shard, sigv4_headers

GOOD = ("AKIDSTREAMQGOOD", "good/secret+key")
TEMPORARY = ("ASIASTREAMQTEMP", "temporary-secret", "session-token-123")


@pytest.fixture
def secured(server_factory, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text("# access key id, secret, optional session token\n\n"
                           f"{GOOD[0]} {GOOD[1]}\n{' '.join(TEMPORARY)}\n")
    return server_factory(["--credentials", str(credentials)])


def signed_post(server, operation, body, headers):
    return requests.post(server.url + "/", data=body, headers=headers, timeout=30)


def error_of(response):
    body = response.json()
    return body["__type"].split("#")[-1], body.get("message", body.get("Message"))


def test_good_key_is_accepted(secured):
    client = make_client(secured.url, access_key=GOOD[0], secret_key=GOOD[1])
    name = create_stream(client)
    client.put_record(StreamName=name, Data=b"signed", PartitionKey="k")
    assert [r["Data"] for r in read_shard(client, name, "shardId-000000000000")[0]] == [b"signed"]


def test_session_credentials_are_accepted(secured):
    client = make_client(secured.url, access_key=TEMPORARY[0], secret_key=TEMPORARY[1], session_token=TEMPORARY[2])
    assert "StreamNames" in client.list_streams()


def test_any_region_is_accepted(secured):
    client = make_client(secured.url, access_key=GOOD[0], secret_key=GOOD[1], region_name="eu-west-1")
    assert "StreamNames" in client.list_streams()


def test_wrong_secret_is_invalid_signature(secured):
    client = make_client(secured.url, access_key=GOOD[0], secret_key="not-the-secret")
    code, _, status = error(client.list_streams)
    assert (code, status) == ("InvalidSignatureException", 400)


def test_unknown_key_is_unrecognized_client(secured):
    client = make_client(secured.url, access_key="AKIDUNKNOWN", secret_key=GOOD[1])
    code, message, status = error(client.list_streams)
    assert (code, status) == ("UnrecognizedClientException", 400)
    assert message == "The security token included in the request is invalid."


def test_no_authorization_is_missing_authentication_token(secured):
    response = requests.post(secured.url + "/", data=b"{}", timeout=30, headers={
        "Content-Type": JSON_TYPE, "X-Amz-Target": "Kinesis_20131202.ListStreams"})
    assert response.status_code in (400, 403)  # [CE] says 403, kinesalite 400
    assert error_of(response) == ("MissingAuthenticationTokenException", "Missing Authentication Token")


def test_hand_signed_request_is_accepted(secured):
    body = json.dumps({}).encode()
    response = signed_post(secured, "ListStreams", body, sigv4_headers(secured.url, "ListStreams", body, *GOOD))
    assert response.status_code == 200, response.text


def test_expired_signature_is_refused(secured):
    body = b"{}"
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    response = signed_post(secured, "ListStreams", body, sigv4_headers(secured.url, "ListStreams", body, *GOOD, when=when))
    assert response.status_code == 400
    code, message = error_of(response)
    assert code == "InvalidSignatureException"
    assert "Signature expired" in message, message


def test_signature_over_another_body_is_refused(secured):
    headers = sigv4_headers(secured.url, "ListStreams", b"{}", *GOOD)
    response = signed_post(secured, "ListStreams", b'{"Limit": 1}', headers)
    assert response.status_code == 400
    assert error_of(response)[0] == "InvalidSignatureException"


def test_malformed_authorization_is_incomplete_signature(secured):
    response = requests.post(secured.url + "/", data=b"{}", timeout=30, headers={
        "Content-Type": JSON_TYPE, "X-Amz-Target": "Kinesis_20131202.ListStreams",
        "X-Amz-Date": "20260101T000000Z", "Authorization": f"AWS4-HMAC-SHA256 Credential={GOOD[0]}/20260101"})
    assert response.status_code in (400, 403)
    assert error_of(response)[0] == "IncompleteSignatureException"


def self_signed(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def test_tls(server_factory, tmp_path):
    server = server_factory(tls=self_signed(tmp_path))
    assert server.url.startswith("https://127.0.0.1:")
    client = server.client(verify=False)
    name = create_stream(client)
    client.put_records(StreamName=name, Records=[{"Data": b"over tls", "PartitionKey": "k"}])
    assert [r["Data"] for r in read_shard(client, name, "shardId-000000000000")[0]] == [b"over tls"]
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(server.url + "/", data=b"{}", timeout=10)  # verification on: self-signed is refused


def test_a_non_loopback_address_without_credentials_is_refused(streamq_only, tmp_path):
    import subprocess
    from conftest import streamq_binary
    result = subprocess.run([streamq_binary(), "serve", "--listen", "0.0.0.0:0", "--data-dir", str(tmp_path / "d")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "refusing to listen on 0.0.0.0 without --credentials" in result.stderr


def test_an_oversized_body_is_refused_before_it_is_read(streamq_only, server, kinesis):
    from kinesis_support import post
    name = create_stream(kinesis)
    record = {"Data": "A" * 4096, "PartitionKey": "k"}
    body = json.dumps({"StreamName": name, "Records": [record] * 3300}).encode()  # about 13.5 MB
    response = post(server.url, "PutRecords", body)
    assert response.status_code == 413
    assert response.json()["__type"] == "InvalidArgumentException"
    assert read_shard(kinesis, name, "shardId-000000000000")[0] == []
    # The server is still there.
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamName"] == name


def test_the_cli_reaches_a_tls_server_with_no_verify_ssl(streamq_only, server_factory, tmp_path):
    import os
    import subprocess
    from conftest import streamq_binary
    server = server_factory(tls=self_signed(tmp_path))
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
                   "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}

    def cli(*arguments):
        return subprocess.run([streamq_binary(), *arguments, "--endpoint", server.url], input="over tls\n",
                              capture_output=True, text=True, env=environment, timeout=120)

    refused = cli("list-streams")
    assert refused.returncode == 1, "a self-signed certificate must be refused while verification is on"
    assert cli("create-stream", "secure", "--no-verify-ssl").returncode == 0
    assert cli("put", "secure", "--no-verify-ssl").returncode == 0
    assert cli("read", "secure", "--no-verify-ssl").stdout == "over tls\n"


def test_tls_offers_http2_for_enhanced_fan_out(streamq_only, server_factory, tmp_path):
    """With TLS the server negotiates h2 by ALPN (the Java SDK's SubscribeToShard needs it) and still
    answers HTTP/1.1. Driven with curl (nghttp2)."""
    import shutil
    import subprocess
    curl = shutil.which("curl")
    if not curl or "HTTP2" not in subprocess.run([curl, "--version"], capture_output=True, text=True).stdout:
        pytest.skip("curl with HTTP/2 support is not installed")
    server = server_factory(tls=self_signed(tmp_path))
    client = server.client(verify=False)
    name = create_stream(client)
    arn = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    consumer = client.register_stream_consumer(StreamARN=arn, ConsumerName="h2")["Consumer"]["ConsumerARN"]

    def post(operation, body, *options):
        return subprocess.run(
            [curl, "-sk", *options, "-X", "POST", server.url + "/", "-H", "Content-Type: " + JSON_TYPE,
             "-H", "X-Amz-Target: Kinesis_20131202." + operation, "-d", json.dumps(body),
             "-w", "\n%{http_version} %{http_code}"], capture_output=True, timeout=30)

    limits = post("DescribeLimits", {}, "--http2").stdout.decode().splitlines()
    assert limits[-1] == "2 200"
    assert json.loads(limits[0])["OpenShardCount"] >= 1
    assert post("DescribeLimits", {}, "--http1.1").stdout.decode().splitlines()[-1] == "1.1 200"
    subscribed = post("SubscribeToShard", {"ConsumerARN": consumer, "ShardId": "shardId-000000000000",
                                           "StartingPosition": {"Type": "LATEST"}}, "--http2", "--max-time", "2")
    assert b"initial-response" in subscribed.stdout
    assert b":event-type" in subscribed.stdout
