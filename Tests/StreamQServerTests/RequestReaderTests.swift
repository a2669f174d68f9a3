import StreamQAWS
import Testing

@testable import StreamQServer

@Suite struct RequestReaderTests {
    /// The wording botocore users see on AWS: every violation listed, paths camelCase and 1-based.
    @Test func collectsViolationsInAWSWords() throws {
        var reader = try RequestReader(
            .map([
                "StreamName": .string("bad name!"),
                "Records": .list([.map(["Data": .blob([1]), "PartitionKey": .string("")])]),
            ])
        )
        _ = try reader.string("StreamName", required: true, length: 1...128, pattern: .name)
        let records = try reader.list("Records", required: true, count: 1...500) ?? []
        _ = try reader.nested(records[0], at: "Records.1.member") { item in
            try item.string("PartitionKey", required: true, length: 1...256)
        }
        _ = try reader.integer("Limit", required: true)
        let error = try #require(throws: AWSError.self) { try reader.finish() }
        #expect(error.code == "ValidationException")
        #expect(
            error.message
                == "3 validation errors detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: "
                + "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '' at "
                + "'records.1.member.partitionKey' failed to satisfy constraint: Member must have length greater "
                + "than or equal to 1; Value null at 'limit' failed to satisfy constraint: Member must not be null"
        )
    }

    @Test func aWrongTypeIsASerializationError() throws {
        var reader = try RequestReader(.map(["Limit": .string("ten")]))
        let error = try #require(throws: AWSError.self) { _ = try reader.integer("Limit") }
        #expect(error.code == "SerializationException")
    }
}
