import StreamQJSON
import Testing

@Suite struct JSONBytesTests {
    /// Every word of a few hundred thousand drawn from digits, bytes around them ('/' and ':'),
    /// bytes with the high bit set and number punctuation: the run of digits and its value as a
    /// byte-by-byte reading gives them.
    @Test func digitRunsOfAWordAreReadAsBytewise() {
        let alphabet: [UInt8] = Array("0123456789/:.-+eE,} \"".utf8) + [0x00, 0x7F, 0x80, 0xB0, 0xB9, 0xFF]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200_000 {
            let digitsFirst = Int.random(in: 0...8, using: &generator)
            var bytes = (0..<8).map { _ in alphabet.randomElement(using: &generator)! }
            for index in 0..<digitsFirst { bytes[index] = UInt8(ascii: "0") + UInt8.random(in: 0...9) }
            let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian
            let run = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            #expect(JSONBytes.leadingDigitCount(word) == run, "\(bytes)")
            if run > 0 {
                let value = bytes.prefix(run).reduce(UInt64(0)) { $0 * 10 + UInt64($1 - UInt8(ascii: "0")) }
                #expect(JSONBytes.digitsValue(word, count: run) == value, "\(bytes)")
            }
        }
    }

    @Test func runsWithLeadingZerosKeepTheirValue() {
        func word(_ text: String) -> UInt64 {
            Array(text.utf8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian
        }
        #expect(JSONBytes.digitsValue(word("99999999"), count: 8) == 99_999_999)
        #expect(JSONBytes.digitsValue(word("00000001"), count: 8) == 1)
        #expect(JSONBytes.digitsValue(word("0070,\"x\""), count: 4) == 70)
        #expect(JSONBytes.leadingDigitCount(word("12345678")) == 8)
        #expect(JSONBytes.leadingDigitCount(word("}1234567")) == 0)
    }
}
