/// Writes the sequence numbers of many records, as an answer lists them: a record right after
/// the one written before it (the next sequence of the same shard and stream) costs a decimal
/// addition of one position (2^80) to the previous digits, instead of the divisions that
/// ``KinesisSequenceNumber/append(record:shard:createdSeconds:to:)`` makes. The digits are the same.
public struct KinesisSequenceNumberDigits {
    private var digits: [UInt8] = []
    private var previous: (sequence: UInt64, shard: UInt32, createdSeconds: Int64)?

    /// 2^80, one step of the position field, in decimal (a constant: no array to retain per call).
    private static let positionStep: StaticString = "1208925819614629174706176"

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
        }
        previous = (sequence, shard, createdSeconds)
        digits.withUnsafeBufferPointer { buffer.append(contentsOf: $0) }
    }

    /// Adds 2^80 to `digits`; false when the sum needs one more digit (`digits` is then to be
    /// written again from the number).
    private mutating func stepPosition() -> Bool {
        let step = UnsafeBufferPointer(start: Self.positionStep.utf8Start, count: Self.positionStep.utf8CodeUnitCount)
        guard digits.count >= step.count else { return false }
        return digits.withUnsafeMutableBufferPointer { digits in
            var carry: UInt8 = 0
            var index = digits.count - 1
            for stepIndex in step.indices.reversed() {
                let sum = digits[index] &- 0x30 &+ (step[stepIndex] &- 0x30) &+ carry
                carry = sum >= 10 ? 1 : 0
                digits[index] = (sum >= 10 ? sum - 10 : sum) &+ 0x30
                index -= 1
            }
            while carry == 1 && index >= 0 {
                if digits[index] == UInt8(ascii: "9") {
                    digits[index] = UInt8(ascii: "0")
                    index -= 1
                } else {
                    digits[index] += 1
                    carry = 0
                }
            }
            return carry == 0
        }
    }
}
