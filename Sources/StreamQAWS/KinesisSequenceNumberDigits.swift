/// Writes the sequence numbers of many records, as an answer lists them: a record right after
/// the one written before it (the next sequence of the same shard and stream) costs an addition of
/// one position (2^80) to the previous number's last 25 digits, held as two binary parts, instead
/// of the divisions that ``KinesisSequenceNumber/append(record:shard:createdSeconds:to:)`` makes
/// over all 57. The digits are the same.
public struct KinesisSequenceNumberDigits {
    private var digits: [UInt8] = []
    private var previous: (sequence: UInt64, shard: UInt32, createdSeconds: Int64)?
    /// The value of the last 25 digits of `digits` (as many as 2^80 has), in two parts: the top 6
    /// and the bottom 19 (each part fits 64 bits, and so does their sum with the step's).
    private var last: (top: UInt64, bottom: UInt64) = (0, 0)

    /// 2^80 = 1208925819614629174706176 in the same two parts.
    private static let stepTop: UInt64 = 120_892
    private static let stepBottom: UInt64 = 5_819_614_629_174_706_176
    private static let bottomDigits = 19
    private static let topDigits = 6
    private static let bottomLimit: UInt64 = 10_000_000_000_000_000_000
    private static let topLimit: UInt64 = 1_000_000

    public init() {}

    /// Appends the number of the record at shard-local `sequence` to `buffer`.
    public mutating func append(record sequence: UInt64, shard: UInt32, createdSeconds: Int64, to buffer: inout [UInt8])
    {
        let follows =
            sequence != .max
            && (previous.map {
                $0.shard == shard && $0.createdSeconds == createdSeconds && $0.sequence &+ 1 == sequence
            }
                ?? false)
        if !follows || !stepPosition() {
            digits.removeAll(keepingCapacity: true)
            KinesisSequenceNumber.append(record: sequence, shard: shard, createdSeconds: createdSeconds, to: &digits)
            readLast()
        }
        previous = (sequence, shard, createdSeconds)
        digits.withUnsafeBufferPointer { buffer.append(contentsOf: $0) }
    }

    /// Reads `last` from the digits just written.
    private mutating func readLast() {
        guard digits.count > Self.topDigits + Self.bottomDigits else { return }
        func value(_ digits: ArraySlice<UInt8>) -> UInt64 { digits.reduce(0) { $0 * 10 + UInt64($1 &- 0x30) } }
        let end = digits.count
        last = (
            value(digits[(end - Self.bottomDigits - Self.topDigits)..<(end - Self.bottomDigits)]),
            value(digits[(end - Self.bottomDigits)...])
        )
    }

    /// Adds 2^80 to the number and writes its last 25 digits again, carrying into the digits above
    /// them one by one; false when the carry would need one more digit (`digits` is then to be
    /// written again from the number).
    private mutating func stepPosition() -> Bool {
        guard digits.count > Self.topDigits + Self.bottomDigits else { return false }
        var (top, bottom) = (last.top + Self.stepTop, last.bottom + Self.stepBottom)
        if bottom >= Self.bottomLimit {
            bottom -= Self.bottomLimit
            top += 1
        }
        let carries = top >= Self.topLimit
        if carries { top -= Self.topLimit }
        let stepped = digits.withUnsafeMutableBufferPointer { digits in
            if carries {
                var index = digits.count - Self.topDigits - Self.bottomDigits - 1
                while index >= 0 && digits[index] == UInt8(ascii: "9") {
                    digits[index] = UInt8(ascii: "0")
                    index -= 1
                }
                guard index >= 0 else { return false }
                digits[index] += 1
            }
            Self.write(bottom, width: Self.bottomDigits, endingAt: digits.count, in: digits)
            Self.write(top, width: Self.topDigits, endingAt: digits.count - Self.bottomDigits, in: digits)
            return true
        }
        if stepped { last = (top, bottom) }
        return stepped
    }

    /// Writes `value` (below 10^`width`) as exactly `width` digits, zeros in front, ending before `end`.
    private static func write(
        _ value: UInt64,
        width: Int,
        endingAt end: Int,
        in digits: UnsafeMutableBufferPointer<UInt8>
    ) {
        let pairs = KinesisSequenceNumber.digitPairs.utf8Start
        var value = value
        var index = end
        for _ in 0..<(width / 2) {
            let pair = Int(value % 100) * 2
            value /= 100
            index -= 2
            digits[index] = pairs[pair]
            digits[index + 1] = pairs[pair + 1]
        }
        if width % 2 == 1 { digits[index - 1] = UInt8(truncatingIfNeeded: value) + 0x30 }
    }
}
