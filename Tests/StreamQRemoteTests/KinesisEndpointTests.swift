import StreamQRemote
import Testing

@Suite struct KinesisEndpointTests {
    private let streamARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"
    private let consumerARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders/consumer/reader:1700000000"

    @Test func regionalEndpointWithoutAnARN() throws {
        let endpoint = try KinesisEndpoint(region: "us-east-1")
        let target = try endpoint.target(for: "PutRecords")
        #expect(target.url == "https://kinesis.us-east-1.amazonaws.com/")
        #expect(target.host == "kinesis.us-east-1.amazonaws.com")
        #expect(
            try KinesisEndpoint(region: "cn-north-1").target(for: "ListShards").url
                == "https://kinesis.cn-north-1.amazonaws.com.cn/"
        )
    }

    @Test(arguments: [
        ("PutRecords", "data"), ("PutRecord", "data"), ("GetRecords", "data"), ("GetShardIterator", "data"),
        ("SubscribeToShard", "data"), ("ListShards", "control"), ("DescribeStreamSummary", "control"),
        ("DescribeStreamConsumer", "control"), ("SplitShard", "control"),
    ])
    func accountScopedEndpointsForARNs(operation: String, plane: String) throws {
        let endpoint = try KinesisEndpoint(region: "us-east-1")
        #expect(
            try endpoint.target(for: operation, arn: streamARN).url
                == "https://123456789012.\(plane)-kinesis.us-east-1.amazonaws.com/"
        )
        #expect(
            try endpoint.target(for: operation, arn: consumerARN).host
                == "123456789012.\(plane)-kinesis.us-east-1.amazonaws.com"
        )
    }

    @Test func chinaPartition() throws {
        let endpoint = try KinesisEndpoint(region: "cn-northwest-1")
        #expect(
            try endpoint.target(for: "GetRecords", arn: "arn:aws-cn:kinesis:cn-northwest-1:123456789012:stream/s").url
                == "https://123456789012.data-kinesis.cn-northwest-1.amazonaws.com.cn/"
        )
        #expect(throws: KinesisEndpointError.self) { try endpoint.target(for: "GetRecords", arn: streamARN) }
    }

    @Test(arguments: [
        "arn:aws:kinesis:us-east-1:12345:stream/s", "arn:aws:sqs:us-east-1:123456789012:stream/s", "not-an-arn",
        "arn:aws:kinesis:us-east-1:123456789012:",
    ])
    func refusesBadARNs(arn: String) throws {
        #expect(throws: KinesisEndpointError.self) {
            try KinesisEndpoint(region: "us-east-1").target(for: "ListShards", arn: arn)
        }
    }

    @Test func overrideTakesEveryRequestUnchanged() throws {
        let local = try KinesisEndpoint(region: "us-east-1", overrideURL: "http://127.0.0.1:4567")
        let target = try local.target(for: "PutRecords", arn: streamARN)
        #expect(target == KinesisEndpoint.Target(url: "http://127.0.0.1:4567/", host: "127.0.0.1:4567", path: "/"))
        let tls = try KinesisEndpoint(region: "eu-west-1", overrideURL: "https://kinesis.example.com:443/prefix")
        #expect(
            try tls.target(for: "ListShards")
                == KinesisEndpoint.Target(
                    url: "https://kinesis.example.com/prefix",
                    host: "kinesis.example.com",
                    path: "/prefix"
                )
        )
        #expect(throws: KinesisEndpointError.self) { try KinesisEndpoint(region: "us-east-1", overrideURL: "ftp://x") }
        #expect(throws: KinesisEndpointError.self) {
            try KinesisEndpoint(region: "us-east-1", overrideURL: "127.0.0.1:4567")
        }
        #expect(throws: KinesisEndpointError.self) { try KinesisEndpoint(region: "") }
    }
}
