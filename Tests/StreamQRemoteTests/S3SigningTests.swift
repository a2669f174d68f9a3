import Foundation
import NIOHTTP1
import StreamQAWS
import Testing

@testable import StreamQRemote

@Suite struct S3SigningTests {
    /// The "GET Object" example of the S3 Signature Version 4 documentation ("Examples: Signature
    /// Calculations in AWS Signature Version 4", authenticating requests in the Authorization header).
    @Test func theDocumentedGetObjectExampleSignsTheSame() {
        let signer = SigV4Signer(
            credentials: SigV4Credentials(
                accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
            ),
            region: "us-east-1",
            service: "s3"
        )
        var request = SigV4Request(
            method: "GET",
            path: "/test.txt",
            headers: [(name: "Host", value: "examplebucket.s3.amazonaws.com"), (name: "Range", value: "bytes=0-9")],
            body: [UInt8]()
        )
        signer.sign(&request, date: 1_369_353_600)  // 2013-05-24T00:00:00Z
        #expect(
            request.header("x-amz-content-sha256") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        #expect(
            request.header("Authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test func awsIsVirtualHostedUnlessPathStyleIsAsked() throws {
        let aws = try S3Endpoint(region: "eu-west-1")
        let target = aws.target(bucket: "logs", key: "out/dt=2026-01-01/part 1+2.jsonl")
        #expect(target.host == "logs.s3.eu-west-1.amazonaws.com")
        #expect(target.path == "/out/dt%3D2026-01-01/part%201%2B2.jsonl")
        #expect(target.url == "https://logs.s3.eu-west-1.amazonaws.com/out/dt%3D2026-01-01/part%201%2B2.jsonl")
        let listing = aws.target(bucket: "logs", query: [("list-type", "2"), ("prefix", "out/"), ("delete", nil)])
        #expect(listing.url == "https://logs.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=out%2F&delete")
        let pathStyle = try S3Endpoint(region: "cn-north-1", pathStyle: true).target(bucket: "logs", key: "a")
        #expect(pathStyle.url == "https://s3.cn-north-1.amazonaws.com.cn/logs/a")
        let dotted = aws.target(bucket: "my.logs", key: "a")
        #expect(dotted.host == "s3.eu-west-1.amazonaws.com" && dotted.path == "/my.logs/a")
    }

    @Test func anOverrideIsPathStyleByDefault() throws {
        let moto = try S3Endpoint(region: "us-east-1", overrideURL: "http://127.0.0.1:5000")
        #expect(moto.target(bucket: "logs", key: "a/b").url == "http://127.0.0.1:5000/logs/a/b")
        #expect(moto.target(bucket: "logs", key: "a/b").host == "127.0.0.1:5000")
        let proxied = try S3Endpoint(region: "us-east-1", overrideURL: "https://store.example:443/s3/")
        #expect(proxied.target(bucket: "logs").url == "https://store.example/s3/logs")
        let virtual = try S3Endpoint(region: "us-east-1", overrideURL: "http://minio:9000", pathStyle: false)
        #expect(virtual.target(bucket: "logs", key: "k").url == "http://logs.minio:9000/k")
        #expect(throws: S3EndpointError.self) { try S3Endpoint(region: "us-east-1", overrideURL: "ftp://x") }
    }

    @Test func theEndpointComesFromTheS3VariableBeforeTheGeneralOne() throws {
        let chain = AWSCredentialChain(
            environment: [
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_ENDPOINT_URL": "http://general:1", "AWS_ENDPOINT_URL_S3": "http://s3only:2",
                "HOME": "/nonexistent",
            ]
        )
        let configuration = try S3ClientConfiguration.resolve(chain: chain)
        #expect(configuration.endpoint.override?.absoluteString == "http://s3only:2")
        #expect(configuration.endpoint.region == "us-east-1" && configuration.endpoint.pathStyle)
        var general = chain
        general.environment["AWS_ENDPOINT_URL_S3"] = nil
        #expect(
            try S3ClientConfiguration.resolve(chain: general).endpoint.override?.absoluteString == "http://general:1"
        )
        #expect(
            try S3ClientConfiguration.resolve(chain: general, endpointOverride: "http://flag:3").endpoint.override?.host
                == "flag"
        )
    }

    @Test func s3ErrorsNameTheObjectAndTheCode() {
        let reason = S3Client.serviceError(
            status: 404,
            headers: [:],
            body: Array(
                "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>".utf8
            )
        )
        let error = S3ClientError(
            operation: "PutObject",
            bucket: "logs",
            key: "out/a.jsonl",
            attempts: 1,
            reason: reason
        )
        #expect(
            error.description
                == "S3 PutObject s3://logs/out/a.jsonl failed: NoSuchBucket (404): The specified bucket does not exist"
        )
        #expect(!error.isRetryable)
        let slowDown = S3ClientError(
            operation: "PutObject",
            bucket: "logs",
            key: nil,
            attempts: 8,
            reason: S3Client.serviceError(status: 503, headers: [:], body: [])
        )
        #expect(slowDown.isRetryable && slowDown.code == "SlowDown")
        #expect(slowDown.description.hasPrefix("S3 PutObject s3://logs failed after 8 attempts: SlowDown (503)"))
    }
}
