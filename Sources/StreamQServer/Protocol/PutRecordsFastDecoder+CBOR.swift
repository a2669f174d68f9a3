import StreamQAWS
import StreamQStorage

extension PutRecordsFastDecoder {
    /// A PutRecords body in CBOR 1.1 read straight into records: record data is a byte string,
    /// copied once into its record. The same common shape as the JSON path (`StreamName` or
    /// `StreamARN`, `Records` of maps with `Data`, `PartitionKey` and optionally
    /// `ExplicitHashKey`), maps and arrays of definite or indefinite length; nil for anything else,
    /// which the general decoder then reads.
    static func decodeCBOR(_ body: UnsafeRawBufferPointer, maxDataBytes: Int) -> Request? {
        guard body.baseAddress != nil else { return nil }
        var scanner = CBORScanner(tokens: CBORTokenScanner(bytes: body))
        return scanner.request(maxDataBytes: maxDataBytes)
    }

    private struct CBORScanner {
        var tokens: CBORTokenScanner

        mutating func request(maxDataBytes: Int) -> Request? {
            var request = Request()
            request.bytes.reserveCapacity(tokens.bytes.count)
            var sawRecords = false
            guard var members = tokens.items(major: 5) else { return nil }
            while tokens.next(in: &members) {
                guard let key = tokens.textSpan() else { return nil }
                if CBORTokenScanner.span(key, equals: "StreamName") {
                    guard request.streamName == nil, let name = tokens.textSpan() else { return nil }
                    request.streamName = String(decoding: name, as: UTF8.self)
                } else if CBORTokenScanner.span(key, equals: "StreamARN") {
                    guard request.streamARN == nil, let arn = tokens.textSpan() else { return nil }
                    request.streamARN = String(decoding: arn, as: UTF8.self)
                } else if CBORTokenScanner.span(key, equals: "Records") {
                    guard !sawRecords, records(into: &request, maxDataBytes: maxDataBytes) else { return nil }
                    sawRecords = true
                } else {
                    return nil
                }
            }
            guard members.isComplete, sawRecords, (1...500).contains(request.count), tokens.isAtEnd else {
                return nil
            }
            return request
        }

        private mutating func records(into request: inout Request, maxDataBytes: Int) -> Bool {
            guard var elements = tokens.items(major: 4) else { return false }
            request.spans.reserveCapacity(500)
            while tokens.next(in: &elements) {
                guard request.count < 500, var members = tokens.items(major: 5) else { return false }
                var data: UnsafeRawBufferPointer?
                var key: UnsafeRawBufferPointer?
                var explicit: String?
                while tokens.next(in: &members) {
                    guard let member = tokens.textSpan() else { return false }
                    if CBORTokenScanner.span(member, equals: "Data") {
                        guard data == nil, let bytes = tokens.byteSpan(), bytes.count <= maxDataBytes else {
                            return false
                        }
                        data = bytes
                    } else if CBORTokenScanner.span(member, equals: "PartitionKey") {
                        // ASCII only here: then bytes are characters and the 1-256 rule is a length check.
                        guard key == nil, let value = tokens.textSpan(), (1...256).contains(value.count),
                            value.allSatisfy({ $0 >= 0x20 && $0 < 0x80 })
                        else { return false }
                        key = value
                    } else if CBORTokenScanner.span(member, equals: "ExplicitHashKey") {
                        guard explicit == nil, let value = tokens.textSpan() else { return false }
                        explicit = String(decoding: value, as: UTF8.self)  // checked against its pattern later
                    } else {
                        return false
                    }
                }
                guard members.isComplete, let data, let key else { return false }
                request.append(data: data, key: key, explicitHashKey: explicit)
            }
            return elements.isComplete
        }
    }
}
