/// One syslog message cut out of a TCP stream or a UDP datagram.
struct SyslogMessage: Sendable, Equatable {
    /// The message, or its first `maxMessageBytes` when it is longer.
    var text: [UInt8]
    /// The message's full length in bytes.
    var originalBytes: Int

    var isTruncated: Bool { originalBytes > text.count }
}

/// A TCP stream whose octet count is not a number (RFC 6587 §3.4.1): the connection cannot be
/// framed any further.
struct SyslogFramingError: Error, Sendable, Equatable {
    var message: String
}

/// Cuts a TCP syslog stream into messages by RFC 6587, deciding per message: one that starts with
/// a digit is octet-counted (`LEN SP MSG`), any other ends at a newline (non-transparent framing;
/// a `\r` before it is dropped). Newlines, `\r` and NUL between messages are skipped. A message
/// longer than `maxMessageBytes` keeps its start and the rest is skipped, so memory stays within
/// one message whatever the sender claims.
struct SyslogFrameReader {
    private enum State {
        /// Between messages.
        case start
        /// Reading an octet count: the digits so far.
        case count(Int, digits: Int)
        /// Reading an octet-counted message: bytes still to come.
        case counted(remaining: Int)
        /// Reading a message up to its newline.
        case delimited
    }

    let maxMessageBytes: Int
    private var state = State.start
    private var text: [UInt8] = []
    private var originalBytes = 0

    /// Octet counts of more digits than this are not lengths but garbage.
    private static let maxCountDigits = 10

    init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Appends the messages completed by `bytes` to `messages`.
    /// - Throws: ``SyslogFramingError`` at an octet count that is not one; the messages before it
    ///   are in `messages`.
    mutating func read(_ bytes: UnsafeRawBufferPointer, into messages: inout [SyslogMessage]) throws(SyslogFramingError)
    {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch state {
            case .start:
                index += 1
                switch byte {
                case UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0: continue
                case UInt8(ascii: "0"): throw SyslogFramingError(message: "octet count starts with 0")
                case UInt8(ascii: "1")...UInt8(ascii: "9"): state = .count(Int(byte - UInt8(ascii: "0")), digits: 1)
                default:
                    state = .delimited
                    keep(byte)
                }
            case .count(let count, let digits):
                index += 1
                if byte == UInt8(ascii: " ") {
                    state = .counted(remaining: count)
                    continue
                }
                guard byte &- UInt8(ascii: "0") < 10 else {
                    throw SyslogFramingError(message: "octet count '\(count)' followed by byte \(byte), not a space")
                }
                guard digits < Self.maxCountDigits else {
                    throw SyslogFramingError(message: "octet count longer than \(Self.maxCountDigits) digits")
                }
                state = .count(count * 10 + Int(byte - UInt8(ascii: "0")), digits: digits + 1)
            case .counted(let remaining):
                let take = min(remaining, bytes.count - index)
                let keepCount = max(0, min(take, maxMessageBytes - text.count))
                text.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<index + keepCount]))
                originalBytes += take
                index += take
                if take == remaining {
                    messages.append(finishMessage())
                } else {
                    state = .counted(remaining: remaining - take)
                }
            case .delimited:
                let rest = UnsafeRawBufferPointer(rebasing: bytes[index...])
                let end = rest.firstIndex(of: UInt8(ascii: "\n")).map { index + $0 } ?? bytes.count
                let keepCount = max(0, min(end - index, maxMessageBytes - text.count))
                text.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<index + keepCount]))
                originalBytes += end - index
                index = end
                if end < bytes.count {
                    index += 1
                    messages.append(finishMessage())
                }
            }
        }
    }

    /// The message cut short by the end of the stream, if any: a partial octet-counted message is
    /// shipped as truncated, with the length it announced.
    mutating func finish() -> SyslogMessage? {
        switch state {
        case .start: return nil
        case .count(let count, _):
            text = Array(String(count).utf8)
            originalBytes = text.count
        case .counted(let remaining): originalBytes += remaining
        case .delimited: break
        }
        return finishMessage()
    }

    private mutating func keep(_ byte: UInt8) {
        if text.count < maxMessageBytes { text.append(byte) }
        originalBytes += 1
    }

    private mutating func finishMessage() -> SyslogMessage {
        if case .delimited = state, text.last == UInt8(ascii: "\r"), text.count == originalBytes {
            text.removeLast()
            originalBytes -= 1
        }
        let message = SyslogMessage(text: text, originalBytes: originalBytes)
        state = .start
        text = []
        originalBytes = 0
        return message
    }
}
