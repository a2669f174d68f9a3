import Crypto
import FoundationEssentials

/// Encrypts the batches one shard log writes in one session (see ``BatchEnvelope`` for the layout
/// and for why nonces never repeat).
///
/// Made afresh, with a new random session salt, each time a shard log starts writing with a data
/// key; owned by the log's writer.
struct BatchSealer {
    let dataKeyIndex: UInt32
    let salt: [UInt8]
    private let sessionKey: SymmetricKey

    /// Starts a session of `shard` of the stream `streamID` with a fresh random salt.
    init(dataKey: SymmetricKey, index: UInt32, streamID: [UInt8], shard: ShardID) {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<BatchEnvelope.saltLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        self.dataKeyIndex = index
        self.salt = salt
        self.sessionKey = BatchEnvelope.sessionKey(dataKey: dataKey, salt: salt, streamID: streamID, shard: shard)
    }

    /// Replaces the plaintext payload in `buffer[payloadStart...]` by its encrypted envelope.
    /// `header` must already carry the final `batchLength` and the encrypted flag: its bytes 4..<76
    /// are authenticated.
    func seal(_ buffer: inout [UInt8], payloadStart: Int, header: BatchHeader) throws {
        let box = try AES.GCM.seal(
            buffer[payloadStart...],
            using: sessionKey,
            nonce: BatchEnvelope.nonce(baseSequence: header.baseSequence),
            authenticating: header.authenticatedData
        )
        buffer.removeSubrange(payloadStart...)
        buffer.appendLittleEndian(dataKeyIndex)
        buffer.append(contentsOf: salt)
        buffer.append(contentsOf: box.ciphertext)
        buffer.append(contentsOf: box.tag)
    }
}
