import Crypto

/// The layout and keys of an encrypted batch payload (issue 9 §2).
///
/// Stored payload: `[u32 LE data-key index][16-byte session salt][AES-256-GCM ciphertext][16-byte tag]`.
/// The plaintext is the payload as an unencrypted batch would store it (compressed, then
/// encrypted); the header's `codec` and `rawLength` describe that plaintext, and `payloadCRC`
/// covers the stored bytes, so plain damage is still reported as a checksum mismatch first.
///
/// Keys: each batch is sealed with a session subkey,
/// `HKDF<SHA256>(dataKey, salt: sessionSalt, info: "streamq batch v1" + streamID(16) + shard u32 LE)`,
/// under the nonce `4 zero bytes + baseSequence u64 LE`, authenticating header bytes 4..<76.
///
/// Why a (key, nonce) pair never repeats:
/// - Within one session (one shard log writing with one data key) base sequences strictly increase,
///   so every batch of the session has its own nonce. A failed write makes the shard refuse writes
///   until it is reopened, and reopening starts a new session.
/// - Every session draws a fresh 128-bit random salt when a shard log starts writing with a data key
///   (on open, on rotation, on encrypt-stream), and the stream id and shard are part of the HKDF
///   info, so every session, shard and stream has its own subkey. When recovery truncates a torn
///   tail and the same sequences are written again, they are written under a new subkey.
///
/// Because the subkey binds stream and shard, the nonce binds the position, and the header is
/// authenticated, a batch moved to another stream, shard or position, truncated, or edited fails
/// authentication.
enum BatchEnvelope {
    static let indexLength = 4
    static let saltLength = 16
    static let tagLength = 16
    /// Bytes an encrypted payload adds to its plaintext.
    static let overhead = indexLength + saltLength + tagLength

    /// The session subkey of `shard` of the stream `streamID` for `salt`.
    static func sessionKey(dataKey: SymmetricKey, salt: [UInt8], streamID: [UInt8], shard: ShardID) -> SymmetricKey {
        var info = Array("streamq batch v1".utf8)
        info.append(contentsOf: streamID)
        info.appendLittleEndian(shard.number)
        return HKDF<SHA256>.deriveKey(inputKeyMaterial: dataKey, salt: salt, info: info, outputByteCount: 32)
    }

    /// The nonce of the batch starting at `baseSequence`: 4 zero bytes, then the sequence.
    static func nonce(baseSequence: UInt64) -> AES.GCM.Nonce {
        var bytes = [UInt8](repeating: 0, count: 4)
        bytes.appendLittleEndian(baseSequence)
        return try! AES.GCM.Nonce(data: bytes)  // 12 bytes: always a valid GCM nonce
    }
}
