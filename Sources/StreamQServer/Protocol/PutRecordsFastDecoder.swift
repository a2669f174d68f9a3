import StreamQAWS
import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// The hot path of the server: a PutRecords body in AWS JSON 1.1 read straight into records, with
/// no value tree, no dictionary per record and base64 decoded in place.
///
/// It takes only the common shape — `StreamName` or `StreamARN`, and `Records` of objects with
/// `Data`, `PartitionKey` and optionally `ExplicitHashKey`, strings without escapes, every member
/// within its limits — and answers nil for anything else, which then goes through the general
/// decoder and validation (so every error still gets AWS's exact wording).
enum PutRecordsFastDecoder {
    struct Request {
        var streamName: String?
        var streamARN: String?
        /// Every record's data (base64 decoded) and partition key, back to back: one buffer for
        /// the request, not an array per record.
        var bytes: [UInt8] = []
        /// Per record, in order, where its data and partition key sit in `bytes`.
        var spans: [Span] = []
        /// The records' `ExplicitHashKey`s by position, for the few that have one.
        var explicitHashKeys: [Int: String] = [:]

        struct Span {
            var data: Range<Int>
            var key: Range<Int>
        }

        var count: Int { spans.count }

        /// Adds a record; its partition key is ASCII.
        mutating func append(data: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer, explicitHashKey: String?) {
            let dataStart = bytes.count
            bytes.append(contentsOf: data)
            let keyStart = bytes.count
            bytes.append(contentsOf: key)
            if let explicitHashKey { explicitHashKeys[spans.count] = explicitHashKey }
            spans.append(Span(data: dataStart..<keyStart, key: keyStart..<bytes.count))
        }

        /// Record `index`'s partition key.
        func partitionKey(_ index: Int) -> String { String(decoding: bytes[spans[index].key], as: UTF8.self) }

        /// The records as the store's general append takes them.
        var records: [AppendRecord] {
            spans.indices.map { AppendRecord(partitionKey: partitionKey($0), data: Array(bytes[spans[$0].data])) }
        }
    }

    static func decode(_ body: UnsafeRawBufferPointer, maxDataBytes: Int) -> Request? {
        guard body.baseAddress != nil else { return nil }
        var scanner = Scanner(bytes: body)
        return scanner.request(maxDataBytes: maxDataBytes)
    }

    static func decode(_ body: [UInt8], maxDataBytes: Int) -> Request? {
        body.withUnsafeBytes { decode($0, maxDataBytes: maxDataBytes) }
    }

    private struct Scanner {
        var tokens: JSONTokenScanner

        init(bytes: UnsafeRawBufferPointer) { tokens = JSONTokenScanner(bytes: bytes) }

        mutating func request(maxDataBytes: Int) -> Request? {
            var request = Request()
            request.bytes.reserveCapacity(tokens.bytes.count)
            var sawRecords = false
            guard consume(UInt8(ascii: "{")) else { return nil }
            if consume(UInt8(ascii: "}")) { return nil }
            repeat {
                guard let key = string(), consume(UInt8(ascii: ":")) else { return nil }
                switch key.count {
                case 10 where equals(key, "StreamName"):
                    guard let name = string() else { return nil }
                    request.streamName = String(decoding: name, as: UTF8.self)
                case 9 where equals(key, "StreamARN"):
                    guard let arn = string() else { return nil }
                    request.streamARN = String(decoding: arn, as: UTF8.self)
                case 7 where equals(key, "Records"):
                    guard !sawRecords, records(into: &request, maxDataBytes: maxDataBytes) else { return nil }
                    sawRecords = true
                default:
                    return nil
                }
            } while consume(UInt8(ascii: ","))
            guard consume(UInt8(ascii: "}")), sawRecords, (1...500).contains(request.count) else { return nil }
            return tokens.isAtEnd() ? request : nil
        }

        private mutating func records(into request: inout Request, maxDataBytes: Int) -> Bool {
            guard consume(UInt8(ascii: "[")) else { return false }
            request.spans.reserveCapacity(500)
            repeat {
                guard request.count < 500, consume(UInt8(ascii: "{")) else { return false }
                var data: [UInt8]?
                var key: UnsafeRawBufferPointer?
                var explicit: String?
                repeat {
                    guard let member = string(), consume(UInt8(ascii: ":")), let value = string() else { return false }
                    switch member.count {
                    case 4 where equals(member, "Data"):
                        guard data == nil, value.count <= (maxDataBytes + 2) / 3 * 4,
                            let decoded = Base64.decode(value), decoded.count <= maxDataBytes
                        else { return false }
                        data = decoded
                    case 12 where equals(member, "PartitionKey"):
                        // ASCII only here: then bytes are characters and the 1-256 rule is a length check.
                        guard key == nil, (1...256).contains(value.count),
                            value.allSatisfy({ $0 >= 0x20 && $0 < 0x80 && $0 != UInt8(ascii: "\\") })
                        else {
                            return false
                        }
                        key = value
                    case 15 where equals(member, "ExplicitHashKey"):
                        guard explicit == nil else { return false }
                        explicit = String(decoding: value, as: UTF8.self)  // checked against its pattern later
                    default:
                        return false
                    }
                } while consume(UInt8(ascii: ","))
                guard consume(UInt8(ascii: "}")), let data, let key else { return false }
                data.withUnsafeBytes { request.append(data: $0, key: key, explicitHashKey: explicit) }
            } while consume(UInt8(ascii: ","))
            return consume(UInt8(ascii: "]"))
        }

        /// The bytes between a string's quotes. Escapes are not undone: every caller checks its
        /// value (base64, an ASCII key without `\\`, a name pattern), so an escaped string is refused
        /// there and takes the general path.
        private mutating func string() -> UnsafeRawBufferPointer? { tokens.quotedSpan() }

        private mutating func consume(_ byte: UInt8) -> Bool { tokens.consume(byte) }

        private func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
            bytes.count == text.utf8CodeUnitCount
                && memcmp(bytes.baseAddress!, text.utf8Start, bytes.count) == 0
        }
    }
}
