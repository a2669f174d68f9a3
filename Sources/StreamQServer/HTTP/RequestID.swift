/// The `x-amzn-RequestId` of an answer: a random (version 4) UUID in lowercase, as AWS's look.
///
/// Drawn from the system's generator (`getrandom`) rather than Foundation's `UUID()`, which on
/// Linux opens and reads `/dev/urandom` for each one: a file opened per request.
enum RequestID {
    private static let digits: StaticString = "0123456789abcdef"

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() & ~0xF000 | 0x4000  // version 4
        let low = generator.next() & ~(0b11 << 62) | 0b10 << 62  // the RFC 4122 variant
        return String(unsafeUninitializedCapacity: 36) { text in
            var at = 0
            for nibble in 0..<32 {
                if at == 8 || at == 13 || at == 18 || at == 23 {
                    text[at] = UInt8(ascii: "-")
                    at += 1
                }
                let word = nibble < 16 ? high : low
                text[at] = digits.utf8Start[Int(word >> UInt64(60 - 4 * (nibble % 16)) & 0xF)]
                at += 1
            }
            return at
        }
    }
}
