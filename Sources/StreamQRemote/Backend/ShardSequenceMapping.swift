import StreamQAWS

/// How one shard's service sequence numbers map onto streamq's shard-local `UInt64` positions,
/// keeping their order within the shard, and back.
///
/// - AWS "version 2" numbers (186-bit decimals; what AWS and `streamq serve` write, see
///   ``KinesisSequenceNumber``): the position is the number's 64-bit position field. The inverse
///   puts a position into the shard's StartingSequenceNumber, which carries the other fields
///   (creation time and shard bits).
/// - Decimals that fit in `UInt64` (moto's per-shard counters 1, 2, 3…): the number itself.
///
/// A shard's StartingSequenceNumber sits at or before its first record, so its position
/// (``start``) is where TRIM_HORIZON reads from.
struct ShardSequenceMapping: Sendable, Equatable {
    private enum Form: Sendable, Equatable {
        /// Version 2 numbers, rebuilt from the shard's StartingSequenceNumber.
        case version2(template: String)
        /// Numbers that fit in `UInt64`, mapped to themselves.
        case small
    }

    private let form: Form
    /// The position of the shard's StartingSequenceNumber.
    let start: UInt64

    init(startingSequenceNumber: String) throws(KinesisBackendError) {
        if let position = KinesisSequenceNumber.position(of: startingSequenceNumber) {
            form = .version2(template: startingSequenceNumber)
            start = position
        } else if let value = UInt64(startingSequenceNumber) {
            form = .small
            start = value
        } else {
            throw Self.unsupported(startingSequenceNumber)
        }
    }

    /// The position of a record's sequence number, of either form.
    static func position(of sequenceNumber: String) throws(KinesisBackendError) -> UInt64 {
        if let position = KinesisSequenceNumber.position(of: sequenceNumber) { return position }
        if let value = UInt64(sequenceNumber) { return value }
        throw unsupported(sequenceNumber)
    }

    /// ``position(of:)`` of the decimal whose ASCII digits are `digits`; nil for neither form.
    static func position(ofDigits digits: UnsafeRawBufferPointer) -> UInt64? {
        if let position = KinesisSequenceNumber.position(ofDigits: digits) { return position }
        guard !digits.isEmpty, digits.count <= 20 else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            let digit = byte &- 0x30
            guard digit < 10 else { return nil }
            let (scaled, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = scaled.addingReportingOverflow(UInt64(digit))
            guard !overflowA, !overflowB else { return nil }
            value = sum
        }
        return value
    }

    /// The service's sequence number at `position` in this shard.
    func sequenceNumber(at position: UInt64) -> String {
        switch form {
        case .version2(let template):
            // The template was accepted by `position(of:)`, so it always takes a new position.
            KinesisSequenceNumber.replacingPosition(of: template, with: position) ?? template
        case .small:
            String(position)
        }
    }

    /// Whether the shard's numbers are small counters (moto) rather than AWS's layout.
    var isSmall: Bool { form == .small }

    private static func unsupported(_ text: String) -> KinesisBackendError {
        KinesisBackendError(
            "sequence number \(text) is neither an AWS version 2 number nor a decimal below 2^64; "
                + "streamq cannot map it onto a position"
        )
    }
}
