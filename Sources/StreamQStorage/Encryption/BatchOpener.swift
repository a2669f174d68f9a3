import Crypto
import FoundationEssentials

/// Decrypts the encrypted batches of one shard for one reader (see ``BatchEnvelope``), keeping the
/// session subkeys it derived.
final class BatchOpener {
    private let keyRing: DataKeyRing
    private let shard: ShardID
    private var sessionKeys: [SessionID: SymmetricKey] = [:]

    private struct SessionID: Hashable {
        var dataKey: UInt32
        var salt: [UInt8]
    }

    /// The result of opening a batch: its plaintext payload, or what is wrong with it.
    enum Opened {
        case plaintext(Data)
        case problem(String)
    }

    init(keyRing: DataKeyRing, shard: ShardID) {
        self.keyRing = keyRing
        self.shard = shard
    }

    /// Authenticates and decrypts the stored payload of an encrypted batch whose payload CRC has
    /// already been checked.
    /// - Throws: `.encryptionKeyUnavailable` when the batch's data key cannot be had.
    func open(_ header: BatchHeader, payload: UnsafeRawBufferPointer) throws -> Opened {
        guard payload.count >= BatchEnvelope.overhead else {
            return .problem("encrypted payload is shorter than its envelope")
        }
        let index = payload.loadLittleEndian(at: 0, as: UInt32.self)
        let saltEnd = BatchEnvelope.indexLength + BatchEnvelope.saltLength
        let session = SessionID(dataKey: index, salt: Array(payload[BatchEnvelope.indexLength..<saltEnd]))
        let key: SymmetricKey
        if let known = sessionKeys[session] {
            key = known
        } else {
            key = BatchEnvelope.sessionKey(
                dataKey: try keyRing.dataKey(index).key,
                salt: session.salt,
                streamID: keyRing.streamID,
                shard: shard
            )
            sessionKeys[session] = key
        }
        let tagStart = payload.count - BatchEnvelope.tagLength
        do {
            let box = try AES.GCM.SealedBox(
                nonce: BatchEnvelope.nonce(baseSequence: header.baseSequence),
                ciphertext: UnsafeRawBufferPointer(rebasing: payload[saltEnd..<tagStart]),
                tag: UnsafeRawBufferPointer(rebasing: payload[tagStart...])
            )
            return .plaintext(try AES.GCM.open(box, using: key, authenticating: header.authenticatedData))
        } catch {
            return .problem("batch authentication failed: tampered, moved or truncated")
        }
    }
}
