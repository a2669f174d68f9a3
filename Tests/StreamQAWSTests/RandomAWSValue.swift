import StreamQAWS
import StreamQSampleData

/// Builds random ``AWSValue`` trees from a seed (the property tests draw the seed, so a failure
/// names a reproducible tree).
struct RandomAWSValue {
    private var random: SplitMix64

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    /// A random tree at most `depth` containers deep, with every kind of scalar a codec round-trips.
    mutating func value(depth: Int = 4) -> AWSValue {
        switch below(depth > 0 ? 9 : 7) {
        case 0: return .null
        case 1: return .bool(below(2) == 0)
        case 2: return .integer(integer())
        case 3: return .double(finiteDouble())
        case 4: return .string(string())
        case 5: return .blob((0..<below(40)).map { _ in UInt8(truncatingIfNeeded: next()) })
        case 6: return .timestamp(milliseconds: Int64(bitPattern: next()) >> 14)
        case 7: return .list((0..<below(6)).map { _ in value(depth: depth - 1) })
        default:
            var members: [String: AWSValue] = [:]
            for _ in 0..<below(6) { members[string()] = value(depth: depth - 1) }
            return .map(members)
        }
    }

    /// Text mixing ASCII, the characters JSON must escape, two- to four-byte UTF-8 and non-BMP scalars.
    mutating func string() -> String {
        let pieces: [String] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "€",
            "\u{FFFF}", "😀", "\u{10FFFF}", "Data", "PartitionKey",
        ]
        return (0..<below(12)).map { _ in pieces[Int(below(UInt64(pieces.count)))] }.joined()
    }

    private mutating func integer() -> Int64 {
        switch below(4) {
        case 0: return Int64(below(48)) - 24
        case 1: return Int64(bitPattern: next()) >> Int64(below(63))
        case 2: return [Int64.min, Int64.max, 0, -1, 23, 24, 255, 256, 65535, 65536, 4_294_967_296][Int(below(11))]
        default: return Int64(bitPattern: next())
        }
    }

    private mutating func finiteDouble() -> Double {
        switch below(3) {
        case 0: return Double(Int64(bitPattern: next()) >> 40) / 1000
        case 1:
            return [0.0, -0.0, 1.5, -2.25, 1e300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1][Int(below(8))]
        default:
            var candidate = Double(bitPattern: next())
            while !candidate.isFinite { candidate = Double(bitPattern: next()) }
            return candidate
        }
    }

    private mutating func below(_ bound: UInt64) -> UInt64 { next() % bound }

    private mutating func next() -> UInt64 { random.next() }
}
