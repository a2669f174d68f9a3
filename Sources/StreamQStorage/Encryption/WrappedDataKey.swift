import Crypto
import FoundationEssentials

/// A stream's data key as stored in its metadata: encrypted ("wrapped") with a master key.
///
/// Wrapping is `AES.GCM.seal(dataKey, using: masterKey, authenticating: "streamq data key v1" +
/// streamID + index u32 LE)` with a random nonce, so a wrapped key copied into another stream's
/// metadata, or under another index, does not unwrap.
struct WrappedDataKey: Codable, Sendable, Equatable {
    var index: UInt32
    /// The master key that wrapped it.
    var masterKeyID: String
    /// Base64 of the AES-GCM sealed box, combined (nonce, ciphertext, tag).
    var wrapped: String
    var createdAt: Int64

    /// Generates a new 256-bit data key and wraps it with `masterKey`.
    static func generate(
        index: UInt32,
        streamID: [UInt8],
        masterKeyID: String,
        masterKey: SymmetricKey,
        createdAt: Int64
    ) throws -> (DataKey, WrappedDataKey) {
        let dataKey = DataKey.random()
        let box = try dataKey.key.withUnsafeBytes { bytes in
            try AES.GCM.seal(
                bytes,
                using: masterKey,
                authenticating: authenticatedData(streamID: streamID, index: index)
            )
        }
        let wrapped = WrappedDataKey(
            index: index,
            masterKeyID: masterKeyID,
            wrapped: box.combined!.base64EncodedString(),
            createdAt: createdAt
        )
        return (dataKey, wrapped)
    }

    /// The data key, or nil when `masterKey` is not the key that wrapped it (or the entry was edited).
    func unwrap(with masterKey: SymmetricKey, streamID: [UInt8]) -> DataKey? {
        guard let combined = Data(base64Encoded: wrapped),
            let box = try? AES.GCM.SealedBox(combined: combined),
            let bytes = try? AES.GCM.open(
                box,
                using: masterKey,
                authenticating: Self.authenticatedData(streamID: streamID, index: index)
            ),
            bytes.count == 32
        else { return nil }
        return DataKey(SymmetricKey(data: bytes))
    }

    private static func authenticatedData(streamID: [UInt8], index: UInt32) -> [UInt8] {
        var bytes = Array("streamq data key v1".utf8)
        bytes.append(contentsOf: streamID)
        bytes.appendLittleEndian(index)
        return bytes
    }
}
