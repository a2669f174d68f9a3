import Crypto
import StreamQRemote
import Testing

@Suite struct KPLAggregateTests {
    private let records = [
        UserRecord(partitionKey: "user-1", data: Array("first".utf8)),
        UserRecord(partitionKey: "user-2", explicitHashKey: "340282366920938463463374607431768211455", data: []),
        UserRecord(partitionKey: "user-1", data: Array(repeating: 0xAB, count: 300)),
        UserRecord(partitionKey: "ключ", explicitHashKey: "0", data: [0, 1, 2]),
    ]

    @Test func roundTrips() throws {
        let aggregate = KPLAggregate.encode(records: records)
        #expect(Array(aggregate.prefix(4)) == [0xF3, 0x89, 0x9A, 0xC2])
        #expect(KPLAggregate.decode(aggregate) == records)
    }

    @Test func encodesTheKPLWireFormat() {
        // Two records sharing one key: the table holds "k" once, each record points at index 0.
        let aggregate = KPLAggregate.encode(records: [
            UserRecord(partitionKey: "k", data: [0x61]), UserRecord(partitionKey: "k", data: [0x62]),
        ])
        let protobuf: [UInt8] = [
            0x0A, 0x01, 0x6B,  // partition_key_table: "k"
            0x1A, 0x05, 0x08, 0x00, 0x1A, 0x01, 0x61,  // records { partition_key_index: 0, data: "a" }
            0x1A, 0x05, 0x08, 0x00, 0x1A, 0x01, 0x62,  // records { partition_key_index: 0, data: "b" }
        ]
        #expect(aggregate == KPLAggregate.magic + protobuf + Array(Insecure.MD5.hash(data: protobuf)))
    }

    @Test func passesThroughAnythingThatIsNotAValidAggregate() {
        let aggregate = KPLAggregate.encode(records: records)
        var flippedDigest = aggregate
        flippedDigest[flippedDigest.count - 1] ^= 1
        var flippedBody = aggregate
        flippedBody[6] ^= 0x40
        var wrongMagic = aggregate
        wrongMagic[0] = 0xF2
        let cases: [[UInt8]] = [
            [], Array("plain record".utf8), KPLAggregate.magic, Array(aggregate.prefix(20)), flippedDigest, flippedBody,
            wrongMagic, Array(aggregate.dropLast()),
        ]
        for data in cases { #expect(KPLAggregate.decode(data) == nil) }
    }

    @Test func refusesProtobufThatDoesNotParse() {
        func sealed(_ protobuf: [UInt8]) -> [UInt8] {
            KPLAggregate.magic + protobuf + Array(Insecure.MD5.hash(data: protobuf))
        }
        // A record pointing past the key table; a record without data; a truncated length.
        #expect(KPLAggregate.decode(sealed([0x0A, 0x01, 0x6B, 0x1A, 0x05, 0x08, 0x01, 0x1A, 0x01, 0x61])) == nil)
        #expect(KPLAggregate.decode(sealed([0x0A, 0x01, 0x6B, 0x1A, 0x02, 0x08, 0x00])) == nil)
        #expect(KPLAggregate.decode(sealed([0x0A, 0x05, 0x6B])) == nil)
        // An unknown field (tags, number 4, or anything else) is skipped as protobuf parsers do.
        let withUnknownField = sealed([0x0A, 0x01, 0x6B, 0x28, 0x07, 0x1A, 0x05, 0x08, 0x00, 0x1A, 0x01, 0x61])
        #expect(KPLAggregate.decode(withUnknownField) == [UserRecord(partitionKey: "k", data: [0x61])])
    }
}
