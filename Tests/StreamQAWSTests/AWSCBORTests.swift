import PropertyBased
import StreamQAWS
import Testing

@Suite struct AWSCBORTests {
    private func decode(_ bytes: [UInt8]) throws(AWSCodecError) -> AWSValue {
        try AWSCBOR.decode(bytes)
    }

    @Test func decodesTheCapturedJavaSDKTimestamp() throws {
        #expect(
            try decode([0xC1, 0x1B, 0x00, 0x00, 0x01, 0xA0, 0x13, 0xAC, 0xCC, 0x38])
                == .timestamp(milliseconds: 1_787_036_486_712)
        )
        // A float under tag 1 is milliseconds too.
        #expect(
            try decode([0xC1, 0xFB, 0x42, 0x79, 0x00, 0x06, 0x9E, 0xD9, 0x80, 0x00]).timestampMilliseconds
                == 1_717_993_860_504
        )
        #expect(
            AWSCBOR.encode(.timestamp(milliseconds: 1_787_036_486_712)) == [
                0xC1, 0x1B, 0x00, 0x00, 0x01, 0xA0, 0x13, 0xAC, 0xCC, 0x38,
            ]
        )
    }

    @Test func decodesIndefiniteLengthItems() throws {
        // {_ "Name": "abc", "Data": (_ h'0102', h'03'), "List": [_ 1, -1], "Text": (_ "ab", "c")}
        let bytes: [UInt8] = [
            0xBF, 0x64, 0x4E, 0x61, 0x6D, 0x65, 0x63, 0x61, 0x62, 0x63,
            0x64, 0x44, 0x61, 0x74, 0x61, 0x5F, 0x42, 0x01, 0x02, 0x41, 0x03, 0xFF,
            0x64, 0x4C, 0x69, 0x73, 0x74, 0x9F, 0x01, 0x20, 0xFF,
            0x64, 0x54, 0x65, 0x78, 0x74, 0x7F, 0x62, 0x61, 0x62, 0x61, 0x63, 0xFF,
            0xFF,
        ]
        #expect(
            try decode(bytes)
                == .map([
                    "Name": .string("abc"), "Data": .blob([1, 2, 3]), "List": .list([.integer(1), .integer(-1)]),
                    "Text": .string("abc"),
                ])
        )
        #expect(try decode([0x5F, 0xFF]) == .blob([]))
        #expect(try decode([0xBF, 0xFF]) == .map([:]))
    }

    @Test func decodesFloatsOfEveryWidth() throws {
        #expect(try decode([0xF9, 0x3C, 0x00]) == .double(1))
        #expect(try decode([0xF9, 0x7B, 0xFF]) == .double(65504))
        #expect(try decode([0xF9, 0x00, 0x01]) == .double(0x1p-24))
        #expect(try decode([0xF9, 0x04, 0x00]) == .double(0x1p-14))
        #expect(try decode([0xF9, 0xC4, 0x00]) == .double(-4))
        #expect(try decode([0xF9, 0x7C, 0x00]) == .double(.infinity))
        #expect(try decode([0xF9, 0x7E, 0x00]).doubleValue?.isNaN == true)
        #expect(try decode([0xFA, 0x47, 0xC3, 0x50, 0x00]) == .double(100_000))
        #expect(try decode([0xFB, 0x3F, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A]) == .double(1.1))
    }

    @Test func decodesIntegersAndSimpleValues() throws {
        #expect(try decode([0x17]) == .integer(23))
        #expect(try decode([0x18, 0x18]) == .integer(24))
        #expect(try decode([0x39, 0x01, 0xF3]) == .integer(-500))
        #expect(try decode([0x3B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == .integer(.min))
        #expect(
            try decode([0x1B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == .double(18_446_744_073_709_551_616)
        )
        #expect(try decode([0xF4]) == .bool(false))
        #expect(try decode([0xF5]) == .bool(true))
        #expect(try decode([0xF6]) == .null)
        #expect(try decode([0xF7]) == .null)
        // Tags other than 1 are unwrapped: tag 32 (URI) around "a".
        #expect(try decode([0xD8, 0x20, 0x61, 0x61]) == .string("a"))
    }

    @Test func encodesShortestHeads() {
        #expect(AWSCBOR.encode(.integer(23)) == [0x17])
        #expect(AWSCBOR.encode(.integer(24)) == [0x18, 0x18])
        #expect(AWSCBOR.encode(.integer(-500)) == [0x39, 0x01, 0xF3])
        #expect(AWSCBOR.encode(.integer(65536)) == [0x1A, 0x00, 0x01, 0x00, 0x00])
        #expect(AWSCBOR.encode(.map(["a": .blob([1])])) == [0xA1, 0x61, 0x61, 0x41, 0x01])
        #expect(AWSCBOR.encode(.map(["b": .null, "a": .bool(true)])) == [0xA2, 0x61, 0x61, 0xF5, 0x61, 0x62, 0xF6])
    }

    @Test(arguments: [
        ("empty input", [UInt8]()),
        ("trailing bytes", [0x01, 0x01]),
        ("byte string claiming 2^60 bytes", [0x5B, 0x10, 0, 0, 0, 0, 0, 0, 0]),
        ("text string claiming 2^60 bytes", [0x7B, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x61]),
        ("array claiming 2^60 elements", [0x9B, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x01]),
        ("map claiming 2^60 entries", [0xBB, 0x10, 0, 0, 0, 0, 0, 0, 0]),
        ("chunk claiming 2^60 bytes", [0x5F, 0x5B, 0x10, 0, 0, 0, 0, 0, 0, 0, 0xFF]),
        ("invalid UTF-8", [0x62, 0xC3, 0x28]),
        ("surrogate in UTF-8", [0x63, 0xED, 0xA0, 0x80]),
        ("integer map key", [0xA1, 0x01, 0x02]),
        ("break outside indefinite", [0xFF]),
        ("reserved additional information", [0x1C]),
        ("indefinite integer", [0x1F]),
        ("unterminated indefinite map", [0xBF, 0x61, 0x61, 0x01]),
        ("chunk of another type", [0x5F, 0x61, 0x61, 0xFF]),
        ("nested indefinite chunk", [0x7F, 0x7F, 0xFF, 0xFF]),
        ("tag 1 around text", [0xC1, 0x61, 0x61]),
        ("unassigned simple value", [0xF0]),
        ("truncated double", [0xFB, 0x3F]),
    ])
    func rejectsMalformedInput(_ problem: String, _ bytes: [UInt8]) {
        #expect(throws: AWSCodecError.self, "\(problem)") { try decode(bytes) }
    }

    @Test func validatesUTF8LikeTheStandardLibrary() async {
        let pieces: [[UInt8]] = [
            [0x61], [0x7F], [0x80], [0xBF], [0xC0, 0xAF], [0xC2, 0xA9], [0xDF], [0xE0, 0x80, 0x80], [0xE0, 0xA0, 0x80],
            [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF],
            [0xF0, 0x90, 0x80, 0x80],
            [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF],
            Array("plain ascii text".utf8),
        ]
        await propertyCheck(input: Gen.int(in: 0...(pieces.count - 1)).array(of: 0...12)) { choices in
            let text = choices.flatMap { pieces[$0] }
            let document = [0x78, UInt8(text.count)] + text
            let expected = String(validating: text, as: UTF8.self)
            let decoded = try? AWSCBOR.decode(document)
            #expect(decoded == expected.map { .string($0) })
        }
    }

    @Test func limitsNesting() throws {
        let arrays = [UInt8](repeating: 0x81, count: 1000) + [0x01]
        #expect(try #require(throws: AWSCodecError.self) { try decode(arrays) }.message.contains("deeper than 64"))
        let tags = [UInt8](repeating: 0xC6, count: 1000) + [0x01]
        #expect(throws: AWSCodecError.self) { try decode(tags) }
        let indefinite = [UInt8](repeating: 0x9F, count: 1000)
        #expect(throws: AWSCodecError.self) { try decode(indefinite) }
        #expect(throws: Never.self) { try decode([UInt8](repeating: 0x81, count: 64) + [0x01]) }
    }

    @Test func everyTruncationIsAnError() {
        var random = RandomAWSValue(seed: 5)
        let document = AWSCBOR.encode(.map(["a": random.value(), "b": random.value(), "c": random.value()]))
        for length in 0..<document.count {
            #expect(throws: AWSCodecError.self) { try AWSCBOR.decode(Array(document[..<length])) }
        }
    }

    @Test func damagedDocumentsNeverCrash() async {
        var random = RandomAWSValue(seed: 13)
        let document = AWSCBOR.encode(.map(["a": random.value(), "b": random.value()]))
        await propertyCheck(input: Gen.int(in: 0...(document.count - 1)), Gen<UInt8>.value(in: 0...255)) {
            index,
            byte in
            var damaged = document
            damaged[index] = byte
            _ = try? AWSCBOR.decode(damaged)
        }
    }

    @Test func roundTripsRandomValues() async {
        await propertyCheck(input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var random = RandomAWSValue(seed: seed)
            let original = random.value()
            let decoded = try AWSCBOR.decode(AWSCBOR.encode(original))
            #expect(decoded == original)
        }
    }
}
