import StreamQAWS
import StreamQStorage
import Testing

@testable import StreamQServer

@Suite struct PutRecordsFastDecoderTests {
    private func decode(_ text: String) -> PutRecordsFastDecoder.Request? {
        PutRecordsFastDecoder.decode(Array(text.utf8), maxDataBytes: 1 << 20)
    }

    @Test func readsTheCommonShapeInAnyMemberOrder() throws {
        let request = try #require(
            decode(
                """
                { "Records" : [ {"PartitionKey":"k1","Data":"aGVsbG8="},
                {"Data":"","ExplicitHashKey":"42","PartitionKey":"k2"} ], "StreamName":"logs" }
                """
            )
        )
        #expect(request.streamName == "logs")
        #expect(request.streamARN == nil)
        #expect(request.records.map(\.partitionKey) == ["k1", "k2"])
        #expect(request.records.map(\.data) == [Array("hello".utf8), []])
        #expect(request.explicitHashKeys == [1: "42"])
    }

    /// Whatever the fast path takes, the general decoder reads the same way.
    @Test func agreesWithTheGeneralDecoder() throws {
        let body = """
            {"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s","Records":[\
            {"Data":"AAEC/w==","PartitionKey":"a b"},{"Data":"eA==","PartitionKey":"~"}]}
            """
        let fast = try #require(decode(body))
        let general = try AWSJSON.decode(Array(body.utf8))
        let records = try #require(general["Records"]?.listValue)
        #expect(fast.streamARN == general["StreamARN"]?.stringValue)
        #expect(fast.records.map(\.data) == records.map { $0["Data"]?.blobValue ?? [] })
        #expect(fast.records.map(\.partitionKey) == records.map { $0["PartitionKey"]?.stringValue ?? "" })
    }

    /// Anything outside the common shape goes to the general path, which words AWS's errors.
    @Test(arguments: [
        #"{"StreamName":"s","Records":[]}"#,  // no records
        #"{"StreamName":"s"}"#,  // no Records member
        #"{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":"k\"x"}]}"#,  // escaped key
        #"{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":"\u00e9"}]}"#,  // escape
        #"{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":"é"}]}"#,  // not ASCII
        #"{"StreamName":"s","Records":[{"Data":"aGk","PartitionKey":"k"}]}"#,  // bad base64
        #"{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":""}]}"#,  // empty key
        #"{"StreamName":"s","Records":[{"Data":"aGk="}]}"#,  // key missing
        #"{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":"k","Other":"x"}]}"#,  // unknown member
        #"{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":"k"}],"Extra":1}"#,  // unknown member
        #"{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":"k"}]} x"#,  // trailing bytes
        #"{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":"k"}"#,  // truncated
        #"{"StreamName":5,"Records":[{"Data":"aGk=","PartitionKey":"k"}]}"#,  // wrong type
    ])
    func leavesEverythingElseToTheGeneralPath(body: String) {
        #expect(decode(body) == nil)
    }

    @Test func refusesMoreThan500RecordsAndOversizedData() {
        let record = #"{"Data":"aGk=","PartitionKey":"k"}"#
        let many =
            #"{"StreamName":"s","Records":["# + Array(repeating: record, count: 501).joined(separator: ",") + "]}"
        #expect(decode(many) == nil)
        let big = Base64.encodedString([UInt8](repeating: 1, count: 2048))
        let body = #"{"StreamName":"s","Records":[{"Data":""# + big + #"","PartitionKey":"k"}]}"#
        #expect(PutRecordsFastDecoder.decode(Array(body.utf8), maxDataBytes: 1024) == nil)
        #expect(PutRecordsFastDecoder.decode(Array(body.utf8), maxDataBytes: 2048) != nil)
    }

    @Test func everyTruncationIsRefusedWithoutCrashing() {
        let body = Array(#"{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":"k"}]}"#.utf8)
        for length in 0..<body.count {
            #expect(PutRecordsFastDecoder.decode(Array(body[..<length]), maxDataBytes: 1 << 20) == nil)
        }
    }

    /// A CBOR body (as the AWS SDKs for Java and streamq's client send it) reads as the general
    /// decoder reads it; anything unusual goes to the general path.
    @Test func readsTheCommonCBORShape() throws {
        let body: AWSValue = .map([
            "StreamName": .string("logs"),
            "Records": .list([
                .map(["Data": .blob(Array("hello".utf8)), "PartitionKey": .string("k1")]),
                .map(["Data": .blob([]), "PartitionKey": .string("k2"), "ExplicitHashKey": .string("42")]),
            ]),
        ])
        func decodeCBOR(_ value: AWSValue) -> PutRecordsFastDecoder.Request? {
            AWSCBOR.encode(value).withUnsafeBytes { PutRecordsFastDecoder.decodeCBOR($0, maxDataBytes: 5) }
        }
        let request = try #require(decodeCBOR(body))
        #expect(request.streamName == "logs")
        #expect(request.records.map(\.partitionKey) == ["k1", "k2"])
        #expect(request.records.map(\.data) == [Array("hello".utf8), []])
        #expect(request.explicitHashKeys == [1: "42"])
        let unusual: [AWSValue] = [
            .map(["StreamName": .string("s"), "Records": .list([])]),
            .map([
                "StreamName": .string("s"),
                "Records": .list([.map(["Data": .string("aGk="), "PartitionKey": .string("k")])]),
            ]),
            .map([
                "StreamName": .string("s"),
                "Records": .list([.map(["Data": .blob([1]), "PartitionKey": .string("é")])]),
            ]),
            .map([
                "StreamName": .string("s"),
                "Records": .list([.map(["Data": .blob([1]), "PartitionKey": .string("")])]),
            ]),
            .map([
                "StreamName": .string("s"),
                "Records": .list([.map(["Data": .blob([1, 2, 3, 4, 5, 6]), "PartitionKey": .string("k")])]),
            ]),
            .map([
                "StreamName": .string("s"),
                "Records": .list([.map(["Data": .blob([1]), "PartitionKey": .string("k"), "X": .null])]),
            ]),
            .map([
                "StreamName": .integer(5),
                "Records": .list([.map(["Data": .blob([1]), "PartitionKey": .string("k")])]),
            ]),
        ]
        for value in unusual { #expect(decodeCBOR(value) == nil, "\(value)") }
    }

    /// `Records` as an array of indefinite length (as `streamq put --endpoint` and the AWS SDKs for
    /// Java write it) reads as the same records.
    @Test func readsRecordsOfIndefiniteLength() throws {
        let records: [AWSValue] = [
            .map(["Data": .blob(Array("hello".utf8)), "PartitionKey": .string("k1")]),
            .map(["Data": .blob([]), "PartitionKey": .string("k2")]),
        ]
        var body: [UInt8] = [0xA2]
        for text in ["StreamName", "logs", "Records"] { body += AWSCBOR.encode(.string(text)) }
        body.append(0x9F)
        for record in records { body += AWSCBOR.encode(record) }
        body.append(0xFF)
        let request = try #require(body.withUnsafeBytes { PutRecordsFastDecoder.decodeCBOR($0, maxDataBytes: 5) })
        #expect(request.streamName == "logs")
        #expect(request.records.map(\.partitionKey) == ["k1", "k2"])
        #expect(request.records.map(\.data) == [Array("hello".utf8), []])
    }
}
