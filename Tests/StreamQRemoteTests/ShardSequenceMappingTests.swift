import PropertyBased
import StreamQAWS
import StreamQStorage
import Testing

@testable import StreamQRemote

/// The mapping of service sequence numbers onto positions, without a server.
@Suite struct ShardSequenceMappingTests {
    @Test func version2NumbersMapToTheirPositionFieldAndBack() async throws {
        await propertyCheck(
            input: Gen.uint64(),
            Gen.uint64(),
            Gen.uint64(),
            Gen.uint32(),
            Gen.int64(in: 0...0xF_FFFF_FFFF)
        ) { start, first, second, shard, created in
            let starting = KinesisSequenceNumber.encode(sequence: start, shard: shard, createdSeconds: created)
            guard let mapping = try? ShardSequenceMapping(startingSequenceNumber: starting) else {
                Issue.record("\(starting) refused")
                return
            }
            #expect(mapping.start == start)
            #expect(!mapping.isSmall)
            let (low, high) = (min(first, second), max(first, second))
            let lowNumber = mapping.sequenceNumber(at: low)
            let highNumber = mapping.sequenceNumber(at: high)
            // The inverse is exact: what the server writes for a position comes back.
            #expect(lowNumber == KinesisSequenceNumber.encode(sequence: low, shard: shard, createdSeconds: created))
            #expect((try? ShardSequenceMapping.position(of: lowNumber)) == low)
            #expect((try? ShardSequenceMapping.position(of: highNumber)) == high)
            // Order is kept: numbers of one shard have the same length, so text order is numeric.
            #expect(lowNumber.count == highNumber.count)
            #expect(low == high ? lowNumber == highNumber : lowNumber < highNumber)
        }
    }

    @Test func smallNumbersMapToThemselves() async throws {
        await propertyCheck(input: Gen.uint64(), Gen.uint64()) { start, position in
            guard let mapping = try? ShardSequenceMapping(startingSequenceNumber: String(start)) else {
                Issue.record("\(start) refused")
                return
            }
            #expect(mapping.start == start)
            #expect(mapping.isSmall)
            #expect(mapping.sequenceNumber(at: position) == String(position))
            #expect((try? ShardSequenceMapping.position(of: String(position))) == position)
        }
    }

    @Test func refusesNumbersOfNeitherForm() {
        for text in ["18446744073709551616", "-1", "", "12a", String(repeating: "9", count: 60)] {
            #expect(throws: KinesisBackendError.self) { try ShardSequenceMapping(startingSequenceNumber: text) }
            #expect(throws: KinesisBackendError.self) { try ShardSequenceMapping.position(of: text) }
        }
    }

    @Test func unpacksAggregatesIntoRecordsSharingTheirPosition() throws {
        let users = (0..<5).map {
            UserRecord(
                partitionKey: "user-\($0 % 2)",
                explicitHashKey: $0 == 3 ? "42" : nil,
                data: Array("u\($0)".utf8)
            )
        }
        let records = [
            KinesisRecord(
                sequenceNumber: "7",
                approximateArrivalMilliseconds: 1000,
                data: KPLAggregate.encode(records: users),
                partitionKey: "a"
            ),
            KinesisRecord(sequenceNumber: "9", approximateArrivalMilliseconds: 1001, data: [1, 2], partitionKey: "p"),
        ]
        let stored = try KinesisBackend.storedRecords(records, shard: ShardID(2))
        #expect(stored.map(\.data) == users.map(\.data) + [[1, 2]])
        #expect(stored.map(\.partitionKey) == users.map(\.partitionKey) + ["p"])
        #expect(stored.map(\.sequenceNumber.sequence) == [7, 7, 7, 7, 7, 9])
        #expect(stored.allSatisfy { $0.sequenceNumber.shard == ShardID(2) })
        #expect(stored[3].explicitHashKey == 42)
        #expect(stored.map(\.arrivalMilliseconds) == [1000, 1000, 1000, 1000, 1000, 1001])
    }
}
