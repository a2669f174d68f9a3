@preconcurrency import Crypto
import StreamQAWS

/// Opaque tokens handed to clients (shard iterators, NextTokens): a few fields, when they were
/// issued, and an HMAC over both, so a token cannot be forged or edited and expires on time.
/// The key lives in the data directory, so tokens survive a server restart.
struct TokenSealer: Sendable {
    /// What a token is for; a token of one kind is never accepted as another.
    enum Kind: UInt8 {
        case shardIterator = 1
        case listShards = 2
        case listStreams = 3
        case listConsumers = 4
    }

    enum Field: Equatable {
        case integer(Int64)
        case text(String)
    }

    enum Failure: Error {
        case malformed
        case expired(issuedMilliseconds: Int64)
    }

    private let key: SymmetricKey
    let lifetimeMilliseconds: Int64

    init(key: SymmetricKey, lifetimeMilliseconds: Int64) {
        self.key = key
        self.lifetimeMilliseconds = lifetimeMilliseconds
    }

    func seal(_ kind: Kind, _ fields: [Field], now: Int64) -> String {
        var bytes: [UInt8] = [kind.rawValue]
        append(now, to: &bytes)
        for field in fields {
            switch field {
            case .integer(let value):
                bytes.append(0)
                append(value, to: &bytes)
            case .text(let text):
                bytes.append(1)
                let utf8 = Array(text.utf8)
                bytes.append(UInt8(clamping: utf8.count))
                bytes.append(contentsOf: utf8.prefix(255))
            }
        }
        bytes.append(contentsOf: HMAC<SHA256>.authenticationCode(for: bytes, using: key).prefix(16))
        return Base64.encodedString(bytes)
    }

    /// The fields of a token of `kind`, checking its MAC and age.
    func open(_ kind: Kind, _ token: String, now: Int64) throws(Failure) -> [Field] {
        guard let bytes = Base64.decode(token), bytes.count > 1 + 8 + 16, bytes[0] == kind.rawValue else {
            throw .malformed
        }
        let body = bytes[..<(bytes.count - 16)]
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: key)
        guard Array(mac.prefix(16)) == Array(bytes.suffix(16)) else { throw .malformed }
        var index = 1
        let issued = read(body, &index)
        var fields: [Field] = []
        while index < body.endIndex {
            let type = body[index]
            index += 1
            if type == 0 {
                guard index + 8 <= body.endIndex else { throw .malformed }
                fields.append(.integer(read(body, &index)))
            } else {
                guard index < body.endIndex else { throw .malformed }
                let count = Int(body[index])
                index += 1
                guard index + count <= body.endIndex else { throw .malformed }
                fields.append(.text(String(decoding: body[index..<(index + count)], as: UTF8.self)))
                index += count
            }
        }
        guard now - issued <= lifetimeMilliseconds else { throw .expired(issuedMilliseconds: issued) }
        return fields
    }

    private func append(_ value: Int64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    private func read(_ bytes: ArraySlice<UInt8>, _ index: inout Int) -> Int64 {
        var value: Int64 = 0
        for _ in 0..<8 {
            value = value << 8 | Int64(bytes[index])
            index += 1
        }
        return value
    }
}
