import PropertyBased
import StreamQAWS
import Testing

@Suite struct EventStreamTests {
    /// `initial-response` with payload `{}`, framed by an independent implementation (Python's zlib.crc32).
    static let initialResponse = bytes(
        "00000068000000564e6817240d3a6d6573736167652d747970650700056576656e740b3a6576656e742d74797065070010696e6974"
            + "69616c2d726573706f6e73650d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e7b7dfe942c1d"
    )

    /// One header of every type 0-9 and payload `abc`, framed the same way.
    static let everyHeaderType = bytes(
        "000000600000004df47d9509017400016601016202ff017303fffe016904fffffffd016c05fffffffffffffffc01790600020102"
            + "0178070002c3a9016d080000018bcfe5687b017509000102030405060708090a0b0c0d0e0f61626344060b38"
    )

    static let everyHeaderTypeMessage = EventStreamMessage(
        headers: [
            EventStreamHeader("t", .bool(true)), EventStreamHeader("f", .bool(false)),
            EventStreamHeader("b", .byte(-1)),
            EventStreamHeader("s", .short(-2)), EventStreamHeader("i", .int(-3)), EventStreamHeader("l", .long(-4)),
            EventStreamHeader("y", .bytes([1, 2])), EventStreamHeader("x", .string("é")),
            EventStreamHeader("m", .timestamp(milliseconds: 1_700_000_000_123)),
            EventStreamHeader("u", .uuid(0x0001_0203_0405_0607_0809_0A0B_0C0D_0E0F)),
        ],
        payload: Array("abc".utf8)
    )

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(
            CRC32.checksum(Array(bytes[300...]), seed: CRC32.checksum(Array(bytes[..<300]))) == CRC32.checksum(bytes)
        )
    }

    @Test func encodesLikeAnIndependentImplementation() {
        #expect(
            EventStreamMessage.event(type: "initial-response", json: Array("{}".utf8)).encoded() == Self.initialResponse
        )
        #expect(Self.everyHeaderTypeMessage.encoded() == Self.everyHeaderType)
    }

    @Test func decodesEveryHeaderType() throws {
        var decoder = EventStreamDecoder()
        decoder.append(Self.everyHeaderType)
        #expect(try decoder.next() == Self.everyHeaderTypeMessage)
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func buildsEventsAndExceptions() throws {
        let exception = EventStreamMessage.exception(type: "ResourceInUseException", message: "busy \"now\"")
        #expect(exception[header: ":message-type"] == .string("exception"))
        #expect(exception[header: ":exception-type"]?.stringValue == "ResourceInUseException")
        #expect(exception[header: ":content-type"] == .string("application/json"))
        #expect(try AWSJSON.decode(exception.payload) == .map(["message": .string("busy \"now\"")]))
        let event = EventStreamMessage.event(type: "SubscribeToShardEvent", json: Array("{\"Records\":[]}".utf8))
        #expect(event[header: ":event-type"] == .string("SubscribeToShardEvent"))
        #expect(event[header: ":missing"] == nil)
    }

    @Test func decodesMessagesFedInPiecesOfAnySize() async {
        let messages = (0..<5).map { index in
            EventStreamMessage.event(type: "E\(index)", json: Array(repeating: UInt8(ascii: "x"), count: index * 300))
        }
        let stream = messages.flatMap { $0.encoded() }
        await propertyCheck(input: Gen.int(in: 1...700)) { pieceSize in
            var decoder = EventStreamDecoder()
            var decoded: [EventStreamMessage] = []
            var offset = 0
            while offset < stream.count {
                decoder.append(stream[offset..<min(offset + pieceSize, stream.count)])
                offset += pieceSize
                while let message = try decoder.next() { decoded.append(message) }
            }
            #expect(decoded == messages)
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test func anyDamagedByteIsDetected() async {
        await propertyCheck(input: Gen.int(in: 0...(Self.everyHeaderType.count - 1)), Gen<UInt8>.value(in: 1...255)) {
            index,
            flip in
            var damaged = Self.everyHeaderType
            damaged[index] ^= flip
            var decoder = EventStreamDecoder()
            decoder.append(damaged)
            // The prelude CRC is checked before the lengths are used, the message CRC before the headers.
            let error = try #require(throws: EventStreamError.self) { try decoder.next() }
            #expect(error.message.contains("CRC mismatch"))
        }
    }

    @Test func aDamagedPayloadIsAMessageCRCError() throws {
        var damaged = Self.everyHeaderType
        damaged[damaged.count - 6] ^= 1
        var decoder = EventStreamDecoder()
        decoder.append(damaged)
        let error = try #require(throws: EventStreamError.self) { try decoder.next() }
        #expect(error.description == "invalid event stream: message CRC mismatch at byte 0")
        // The error is final.
        decoder.append(Self.initialResponse)
        #expect(throws: EventStreamError.self) { try decoder.next() }
    }

    @Test func enforcesLengthLimits() throws {
        let large = EventStreamMessage.event(type: "E", json: Array(repeating: 0x20, count: 2000)).encoded()
        var limited = EventStreamDecoder(maximumMessageLength: 1024)
        limited.append(large[..<12])
        #expect(
            try #require(throws: EventStreamError.self) { try limited.next() }.message.contains(
                "exceeds the limit 1024"
            )
        )

        let manyHeaders = EventStreamMessage(
            headers: [EventStreamHeader("h", .bytes(Array(repeating: 1, count: 500)))],
            payload: []
        )
        var headerLimited = EventStreamDecoder(maximumHeadersLength: 100)
        headerLimited.append(manyHeaders.encoded())
        #expect(
            try #require(throws: EventStreamError.self) { try headerLimited.next() }.message.contains("headers length")
        )

        // A prelude claiming 4 GiB fails as soon as the prelude is in, without waiting or allocating.
        var huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xF0, 0, 0, 0, 0]
        huge += withUnsafeBytes(of: CRC32.checksum(huge).bigEndian) { Array($0) }
        var decoder = EventStreamDecoder()
        decoder.append(huge)
        #expect(throws: EventStreamError.self) { try decoder.next() }
    }

    @Test func rejectsMalformedHeaders() throws {
        for (problem, headers) in [
            ("unknown type", [1, 0x61, 10]), ("truncated header", [1, 0x61, 7, 0, 5, 0x61]),
            ("empty header name", [0, 0]),
            ("not UTF-8", [1, 0x61, 7, 0, 1, 0xFF]),
        ] as [(String, [UInt8])] {
            var decoder = EventStreamDecoder()
            decoder.append(Self.frame(headers: headers, payload: []))
            let error = try #require(throws: EventStreamError.self) { try decoder.next() }
            #expect(error.message.contains(problem), "\(error)")
        }
    }

    /// A message around raw header bytes, with valid CRCs.
    static func frame(headers: [UInt8], payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in [UInt32(16 + headers.count + payload.count), UInt32(headers.count)] {
            bytes += withUnsafeBytes(of: value.bigEndian) { Array($0) }
        }
        bytes += withUnsafeBytes(of: CRC32.checksum(bytes).bigEndian) { Array($0) }
        bytes += headers + payload
        bytes += withUnsafeBytes(of: CRC32.checksum(bytes).bigEndian) { Array($0) }
        return bytes
    }

    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0...($0 + 1)], as: UTF8.self), radix: 16)!
        }
    }
}
