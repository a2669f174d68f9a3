import StreamQJSON

/// Turns a line into the JSON record `streamq ship` stores: the parsed fields, then `time` (the
/// event time in RFC 3339 UTC, when `--time-field` names one; see ``EventTimeRule``), `message`
/// (the line, unless the parser found a `message` field of its own), `host`, `file` and `offset`
/// (the byte where the line starts). A parsed field named `host`, `file` or `offset` is kept as
/// `_host`, `_file` or `_offset`, since those three say where the line came from; the built-in
/// parsers avoid those names (syslog's host is `hostname`). A truncated line adds `_truncated: true`
/// and `_original_bytes`; a line the parser rejects is shipped as it is with `_parse_error`, one
/// whose event time cannot be read with `_time_error`.
struct RecordEncoder: Sendable {
    var parser: LineParser
    var host: String
    /// The largest record the destination accepts; longer lines are cut until the record fits.
    var maxRecordBytes: Int

    struct Encoded {
        var data: [UInt8]
        /// The parser rejected the line, or its event time is missing or unreadable.
        var parseFailed: Bool
        var truncated: Bool
    }

    private static let hostField = Array("\"host\"".utf8)
    private static let fileField = Array("\"file\"".utf8)
    private static let offsetField = Array("\"offset\"".utf8)
    private static let messageField = Array("\"message\"".utf8)

    /// Whether a parsed field has the name of one the encoder adds (`host`, `file`, `offset`).
    private static func isOriginField(_ quotedName: [UInt8]) -> Bool {
        quotedName == hostField || quotedName == fileField || quotedName == offsetField
    }

    /// Where a record came from: the members that follow `host`.
    enum Origin {
        /// `file` and `offset`.
        case file(String)
        /// `peer` (the sender's address) and `transport` (`udp` or `tcp`), for syslog messages.
        case network(peer: String, transport: String)
    }

    func encode(_ line: LogLine, file: String) -> Encoded {
        encode(line, origin: .file(file))
    }

    func encode(_ line: LogLine, origin: Origin) -> Encoded {
        var text = line.text[...]
        var truncated = line.isTruncated
        while true {
            let encoded = encode(text: text, line: line, origin: origin, truncated: truncated)
            if encoded.data.count <= maxRecordBytes || text.isEmpty { return encoded }
            // Escapes can make a record several times its line: cut the line in proportion and retry.
            let keep = max(0, text.count * maxRecordBytes / encoded.data.count - 1024)
            text = text.prefix(keep)
            truncated = true
        }
    }

    private func encode(text: ArraySlice<UInt8>, line: LogLine, origin: Origin, truncated: Bool) -> Encoded {
        let message = Self.isValidUTF8(text) ? text : Array(String(decoding: text, as: UTF8.self).utf8)[...]
        var output: [UInt8] = [UInt8(ascii: "{")]
        output.reserveCapacity(message.count + host.utf8.count + 128)
        var parseError: String?
        var timeError: String?
        var hasMessage = false
        do throws(LineParseError) {
            let fields = try parser.fields(of: message[...])
            var eventTime: EventTime?
            if let rule = parser.eventTime {
                do throws(LineParseError) {
                    eventTime = try rule.time(in: fields, now: parser.now)
                } catch {
                    timeError = error.message
                }
            }
            for field in fields {
                if field.quotedName == Self.messageField { hasMessage = true }
                if let rule = parser.eventTime, field.quotedName == FieldName.time {
                    // `time` is the event time alone: it replaces its source, and any other `time` moves aside.
                    if eventTime != nil, rule.quotedField == FieldName.time { continue }
                    output.append(contentsOf: "\"_time\"".utf8)
                } else if Self.isOriginField(field.quotedName) {
                    output.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: "_")])
                    output.append(contentsOf: field.quotedName.dropFirst())
                } else {
                    output.append(contentsOf: field.quotedName)
                }
                output.append(UInt8(ascii: ":"))
                output.append(contentsOf: field.value)
                output.append(UInt8(ascii: ","))
            }
            if let eventTime {
                output.append(contentsOf: "\"time\":".utf8)
                eventTime.appendQuotedRFC3339(to: &output)
                output.append(UInt8(ascii: ","))
            }
        } catch {
            output.removeSubrange(1...)
            parseError = error.message
        }
        if !hasMessage {
            output.append(contentsOf: "\"message\":".utf8)
            JSONString.append(message, to: &output)
            output.append(UInt8(ascii: ","))
        }
        output.append(contentsOf: "\"host\":".utf8)
        JSONString.append(host.utf8, to: &output)
        switch origin {
        case .file(let file):
            output.append(contentsOf: ",\"file\":".utf8)
            JSONString.append(file.utf8, to: &output)
            output.append(contentsOf: ",\"offset\":\(line.offset)".utf8)
        case .network(let peer, let transport):
            output.append(contentsOf: ",\"peer\":".utf8)
            JSONString.append(peer.utf8, to: &output)
            output.append(contentsOf: ",\"transport\":".utf8)
            JSONString.append(transport.utf8, to: &output)
        }
        if truncated {
            output.append(contentsOf: ",\"_truncated\":true,\"_original_bytes\":\(line.originalBytes)".utf8)
        }
        if let parseError {
            output.append(contentsOf: ",\"_parse_error\":".utf8)
            JSONString.append(parseError.utf8, to: &output)
        }
        if let timeError {
            output.append(contentsOf: ",\"_time_error\":".utf8)
            JSONString.append(timeError.utf8, to: &output)
        }
        output.append(UInt8(ascii: "}"))
        return Encoded(data: output, parseFailed: parseError != nil || timeError != nil, truncated: truncated)
    }

    /// Whether `text` is UTF-8; ASCII lines (most log lines) are told apart without building a String.
    private static func isValidUTF8(_ text: ArraySlice<UInt8>) -> Bool {
        let ascii = text.withUnsafeBufferPointer { bytes in !bytes.contains { $0 >= 0x80 } }
        return ascii || String(validating: text, as: UTF8.self) != nil
    }
}
