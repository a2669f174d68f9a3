import PropertyBased
import StreamQAWS
import Testing

@Suite struct KinesisSequenceNumberTests {
    /// Computed with Python from the layout (`2<<184 | created<<148 | (shard&15)<<144 | seq<<80 |
    /// created<<36 | shard<<4 | 2`), independently of this code.
    @Test func matchesTheLayoutComputedElsewhere() {
        #expect(
            KinesisSequenceNumber.encode(sequence: 0, shard: 0, createdSeconds: 1_796_002_668)
                == "49680692473707630488937515934969458938269124672763199490"
        )
        #expect(
            KinesisSequenceNumber.encode(sequence: 123_456_789_012_345, shard: 7, createdSeconds: 1_796_002_668)
                == "49680692473863735854577330140699733544264767793916805234"
        )
        #expect(
            KinesisSequenceNumber.encode(sequence: .max, shard: .max, createdSeconds: 0xF_FFFF_FFFF)
                == "73559785961562665201200657303213636610246346105283411954"
        )
    }

    @Test func roundTripsAndIsWhatKCLAccepts() async {
        await propertyCheck(input: Gen.uint64(), Gen.uint32(), Gen.int64(in: 0...0xF_FFFF_FFFF)) {
            sequence,
            shard,
            created in
            let text = KinesisSequenceNumber.encode(sequence: sequence, shard: shard, createdSeconds: created)
            let decoded = KinesisSequenceNumber.decode(text)
            #expect(decoded?.shard == shard)
            #expect(decoded?.sequence == sequence)
            // Top nibble 2 makes every value 186 bits long: 56 or 57 digits, no leading zero.
            #expect(text.count == 56 || text.count == 57)
            #expect(text.first != "0")
        }
    }

    @Test func increasesWithTheSequenceWithinAShard() async {
        await propertyCheck(input: Gen.uint64(), Gen.uint64(), Gen.uint32()) { first, second, shard in
            let (low, high) = (min(first, second), max(first, second))
            let a = KinesisSequenceNumber.encode(sequence: low, shard: shard, createdSeconds: 1_796_002_668)
            let b = KinesisSequenceNumber.encode(sequence: high, shard: shard, createdSeconds: 1_796_002_668)
            // Same length here (same top bits), so text order is numeric order.
            #expect(a.count == b.count)
            #expect(low == high ? a == b : a < b)
        }
    }

    @Test func refusesNumbersOfAnotherLayout() {
        for text in [
            "0", "1", "2", "49590338271490256608559692538361571095921575989136588898x",
            "49680692473707630488937515934969458938269124672763199491",  // low nibble 3
            String(repeating: "9", count: 57), String(repeating: "1", count: 58),
        ] {
            #expect(KinesisSequenceNumber.decode(text) == nil, "\(text)")
        }
    }

    /// Digits are read eight at a time: a byte that is not a digit anywhere in a number (just
    /// beside a digit in code, or differing from one in a single bit) makes it no number at all.
    @Test func refusesANonDigitAtAnyPosition() {
        let valid = KinesisSequenceNumber.encode(sequence: 12_345, shard: 7, createdSeconds: 1_796_002_668)
        #expect(KinesisSequenceNumber.decode(valid) != nil)
        for position in 0..<valid.utf8.count {
            for byte: UInt8 in [0x2F, 0x3A, 0x3F, 0x20, 0x70, 0xB0, 0x00] {
                var bytes = Array(valid.utf8)
                bytes[position] = byte
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(KinesisSequenceNumber.decode(text) == nil, "byte \(byte) at \(position)")
                #expect(KinesisSequenceNumber.position(of: text) == nil, "byte \(byte) at \(position)")
            }
        }
    }

    @Test func positionsRoundTripThroughAShardsTemplate() async {
        await propertyCheck(input: Gen.uint64(), Gen.uint64(), Gen.uint32(), Gen.int64(in: 0...0xF_FFFF_FFFF)) {
            start,
            position,
            shard,
            created in
            let template = KinesisSequenceNumber.encode(sequence: start, shard: shard, createdSeconds: created)
            #expect(KinesisSequenceNumber.position(of: template) == start)
            let rebuilt = KinesisSequenceNumber.replacingPosition(of: template, with: position)
            #expect(rebuilt == KinesisSequenceNumber.encode(sequence: position, shard: shard, createdSeconds: created))
            #expect(rebuilt.flatMap(KinesisSequenceNumber.position(of:)) == position)
        }
    }

    @Test func readsThePositionOfNumbersAWSWrites() {
        // A number from AWS's documentation: version 2 on top, 2 in the low nibble.
        let aws = "49590338271490256608559692538361571095921575989136588898"
        let position = KinesisSequenceNumber.position(of: aws)
        #expect(position != nil)
        #expect(position.flatMap { KinesisSequenceNumber.replacingPosition(of: aws, with: $0) } == aws)
        for small in ["0", "1", "18446744073709551615", "not a number"] {
            #expect(KinesisSequenceNumber.position(of: small) == nil, "\(small)")
            #expect(KinesisSequenceNumber.replacingPosition(of: small, with: 1) == nil, "\(small)")
        }
    }
}

extension KinesisSequenceNumberTests {
    /// Stepping the previous number's digits writes what the divisions write: across runs of
    /// consecutive records (carries through many digits included), other shards and streams, gaps.
    @Test func consecutiveNumbersWrittenByStepsAreTheNumbers() async {
        await propertyCheck(input: Gen.uint64(), Gen.uint32(), Gen.int64(in: 0...0xF_FFFF_FFFF)) {
            start,
            shard,
            created in
            var digits = KinesisSequenceNumberDigits()
            var stepped: [UInt8] = []
            var direct: [UInt8] = []
            let first = min(start, UInt64.max - 40)
            var records: [(UInt64, UInt32, Int64)] = (0..<20).map { (first + $0, shard, created) }
            records += [(first + 30, shard, created), (first + 31, shard &+ 1, created), (first + 32, shard &+ 1, 7)]
            records += (0..<6).map { (UInt64.max - 6 + $0, shard, created) }
            for (sequence, shard, created) in records {
                digits.append(record: sequence, shard: shard, createdSeconds: created, to: &stepped)
                KinesisSequenceNumber.append(record: sequence, shard: shard, createdSeconds: created, to: &direct)
            }
            #expect(stepped == direct)
        }
    }
}
