import Crypto
import StreamQAWS
import Testing

@testable import StreamQServer

@Suite struct TokenSealerTests {
    private let sealer = TokenSealer(key: SymmetricKey(size: .bits256), lifetimeMilliseconds: 300_000)

    @Test func opensWhatItSealed() throws {
        let fields: [TokenSealer.Field] = [.text("logs"), .integer(-5), .integer(.max), .text("")]
        let token = sealer.seal(.shardIterator, fields, now: 1_000)
        #expect(try sealer.open(.shardIterator, token, now: 1_000 + 300_000) == fields)
        #expect(token.utf8.count <= 512)
    }

    @Test func refusesExpiredForgedEditedAndMisusedTokens() throws {
        let token = sealer.seal(.shardIterator, [.text("logs"), .integer(1)], now: 1_000)
        #expect(throws: TokenSealer.Failure.self) { try sealer.open(.shardIterator, token, now: 301_001) }
        #expect(throws: TokenSealer.Failure.self) { try sealer.open(.listShards, token, now: 1_000) }
        let other = TokenSealer(key: SymmetricKey(size: .bits256), lifetimeMilliseconds: 300_000)
        #expect(throws: TokenSealer.Failure.self) { try other.open(.shardIterator, token, now: 1_000) }
        var bytes = try #require(Base64.decode(token))
        for index in bytes.indices {
            bytes[index] ^= 1
            let edited = Base64.encodedString(bytes)
            #expect(throws: TokenSealer.Failure.self) { try sealer.open(.shardIterator, edited, now: 1_000) }
            bytes[index] ^= 1
        }
        for garbage in ["", "AAAA", "not base64!", String(repeating: "A", count: 600)] {
            #expect(throws: TokenSealer.Failure.self) { try sealer.open(.shardIterator, garbage, now: 1_000) }
        }
    }
}
