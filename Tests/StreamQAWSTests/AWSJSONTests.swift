import PropertyBased
import StreamQAWS
import Testing

@Suite struct AWSJSONTests {
    private func decode(_ text: String) throws(AWSCodecError) -> AWSValue {
        try AWSJSON.decode(Array(text.utf8))
    }

    @Test func decodesAPutRecordsBody() throws {
        let body = """
            {"StreamName":"logs","Records":[{"Data":"aGVsbG8=","PartitionKey":"k1"},\
            {"Data":"","PartitionKey":"k2","ExplicitHashKey":"170141183460469231731687303715884105728"}]}
            """
        let value = try decode(body)
        #expect(value["StreamName"]?.stringValue == "logs")
        let records = try #require(value["Records"]?.listValue)
        #expect(records.count == 2)
        #expect(records[0]["Data"]?.blobValue == Array("hello".utf8))
        #expect(records[1]["Data"]?.blobValue == [])
        #expect(records[1]["ExplicitHashKey"]?.stringValue == "170141183460469231731687303715884105728")
        #expect(value["Missing"] == nil)
    }

    @Test func decodesScalars() throws {
        #expect(
            try decode(" \t\r\n{ \"a\" : [ true , false , null ] } \n")
                == .map(["a": .list([.bool(true), .bool(false), .null])])
        )
        #expect(try decode("0") == .integer(0))
        #expect(try decode("-0") == .integer(0))
        #expect(try decode("9223372036854775807") == .integer(.max))
        #expect(try decode("-9223372036854775808") == .integer(.min))
        #expect(try decode("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try decode("-9223372036854775809") == .double(-9_223_372_036_854_775_809))
        #expect(try decode("1506440188.749") == .double(1_506_440_188.749))
        #expect(try decode("1e3") == .double(1000))
        #expect(try decode("-2.5E-1") == .double(-0.25))
        #expect(try decode("{}") == .map([:]))
        #expect(try decode("[]") == .list([]))
    }

    @Test func decodesEscapesAndUnicode() throws {
        #expect(try decode(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try decode(#""caf\u00e9 \u20AC""#) == .string("café €"))
        #expect(try decode(#""\ud83d\ude00!""#) == .string("😀!"))
        #expect(try decode("\"raw é 😀\"") == .string("raw é 😀"))
        #expect(try decode(#"{"k\u0000":1}"#) == .map(["k\u{0}": .integer(1)]))
    }

    /// The string scanner skips eight bytes at a time; special bytes must be found at every offset.
    @Test func findsSpecialBytesAtEveryOffsetInAString() throws {
        for offset in 0..<20 {
            let prefix = String(repeating: "a", count: offset)
            for special in ["\"", "\\", "\n", "\u{1F}", "é", "😀", "\u{7F}", "\u{0}"] {
                let text = prefix + special + "bbbbbbbbb"
                #expect(try AWSJSON.decode(AWSJSON.encode(.string(text))) == .string(text))
            }
            let prefixBytes = [UInt8(ascii: "\"")] + Array(prefix.utf8)
            for invalid: [UInt8] in [[0xFF], [0xC3], [0x0A], [0x1F]] {
                let document = prefixBytes + invalid + Array("bbbbbbbbb\"".utf8)
                #expect(throws: AWSCodecError.self) { try AWSJSON.decode(document) }
            }
        }
    }

    @Test func convertsTimestampsBySeconds() throws {
        #expect(try decode("1506440188.749").timestampMilliseconds == 1_506_440_188_749)
        #expect(try decode("1506440188").timestampMilliseconds == 1_506_440_188_000)
        #expect(try decode("\"1506440188\"").timestampMilliseconds == nil)
        #expect(AWSJSON.encode(.timestamp(milliseconds: 1_506_440_188_749)) == Array("1506440188.749".utf8))
        #expect(AWSJSON.encode(.timestamp(milliseconds: 1_506_440_188_000)) == Array("1506440188".utf8))
        #expect(AWSJSON.encode(.timestamp(milliseconds: 5)) == Array("0.005".utf8))
        #expect(AWSJSON.encode(.timestamp(milliseconds: -1500)) == Array("-1.500".utf8))
    }

    @Test func encodesEscapedStringsAndBlobs() {
        let encoded = AWSJSON.encode(.list([.string("a\"b\\c\n\u{1}é"), .blob(Array("hello".utf8)), .double(0.1)]))
        #expect(String(decoding: encoded, as: UTF8.self) == #"["a\"b\\c\n\u0001é","aGVsbG8=",0.1]"#)
        #expect(AWSJSON.encode(.double(.nan)) == Array(#""NaN""#.utf8))
        #expect(AWSJSON.encode(.double(-.infinity)) == Array(#""-Infinity""#.utf8))
        #expect(AWSJSON.encode(.map(["__type": .string("X")])) == Array(#"{"__type":"X"}"#.utf8))
        let members: [String: AWSValue] = ["b": .integer(2), "a": .integer(1), "c": .map(["y": .null, "x": .null])]
        #expect(AWSJSON.encode(.map(members)) == Array(#"{"a":1,"b":2,"c":{"x":null,"y":null}}"#.utf8))
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", "[1 2]", "{\"a\"1}", "{a:1}", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "1e+", "+1",
        "tru", "nul", "True", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\ud83d\"", "\"\\ud83d\\u0041\"",
        "\"\\ude00\"", "\"a\tb\"", "{} x", "1 2", "[1]]", "NaN", "1e400",
    ])
    func rejectsMalformedText(_ text: String) {
        #expect(throws: AWSCodecError.self) { try decode(text) }
    }

    @Test func rejectsInvalidUTF8() {
        for bytes: [UInt8] in [
            [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x28, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x22, 0xC0, 0xAF, 0x22], [0x22, 0x5C, 0x6E, 0xF0, 0x9F, 0x22],
        ] {
            #expect(throws: AWSCodecError.self) { try AWSJSON.decode(bytes) }
        }
    }

    @Test func limitsNesting() throws {
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        let error = try #require(throws: AWSCodecError.self) { try decode(deep) }
        #expect(error.message.contains("deeper than 64"))
        let allowed = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try decode(allowed) }
        #expect(throws: AWSCodecError.self) { try decode("[" + allowed + "]") }
    }

    @Test func errorsSayWhereTheProblemIs() throws {
        let error = try #require(throws: AWSCodecError.self) { try decode(#"{"a":1 "b":2}"#) }
        #expect(error.offset == 7)
        #expect(error.description == "expected ',' or '}', found '\"' at byte 7")
    }

    @Test func everyTruncationIsAnError() {
        var random = RandomAWSValue(seed: 7)
        let document = AWSJSON.encode(.map(["a": random.value(), "b": random.value(), "c": random.value()]))
        for length in 0..<document.count {
            #expect(throws: AWSCodecError.self) { try AWSJSON.decode(Array(document[..<length])) }
        }
    }

    @Test func damagedDocumentsNeverCrash() async {
        var random = RandomAWSValue(seed: 11)
        let document = AWSJSON.encode(.map(["a": random.value(), "b": random.value()]))
        await propertyCheck(input: Gen.int(in: 0...(document.count - 1)), Gen<UInt8>.value(in: 0...255)) {
            index,
            byte in
            var damaged = document
            damaged[index] = byte
            _ = try? AWSJSON.decode(damaged)
        }
    }

    @Test func roundTripsRandomValues() async {
        await propertyCheck(input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var random = RandomAWSValue(seed: seed)
            let original = random.value()
            let decoded = try AWSJSON.decode(AWSJSON.encode(original))
            #expect(Self.matches(decoded, original), "\(original) came back as \(decoded)")
        }
    }

    /// Whether `decoded` is what JSON makes of `original`: blobs come back as base64 strings,
    /// timestamps as epoch seconds.
    static func matches(_ decoded: AWSValue, _ original: AWSValue) -> Bool {
        switch (original, decoded) {
        case (.blob(let bytes), .string): return decoded.blobValue == bytes
        case (.timestamp(let milliseconds), _): return decoded.timestampMilliseconds == milliseconds
        case (.list(let expected), .list(let actual)):
            return expected.count == actual.count && zip(actual, expected).allSatisfy { matches($0, $1) }
        case (.map(let expected), .map(let actual)):
            return expected.count == actual.count
                && expected.allSatisfy { key, value in actual[key].map { matches($0, value) } ?? false }
        default: return decoded == original
        }
    }
}
