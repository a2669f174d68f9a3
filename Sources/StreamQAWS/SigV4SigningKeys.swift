import Crypto
import Synchronization

/// The signing key of the last secret and scope a signer signed with: it changes once a day, and
/// deriving it takes four HMACs, which a client sending many requests would repeat for each.
final class SigV4SigningKeys: Sendable {
    /// The last key (as bytes: `SymmetricKey` is not `Sendable`) and what it was derived from.
    private let last = Mutex<(secretAccessKey: String, scope: SigV4Scope, key: [UInt8])?>(nil)

    /// The key of `secretAccessKey` for `scope`, derived when it is not the last one.
    func key(secretAccessKey: String, scope: SigV4Scope) -> SymmetricKey {
        let known = last.withLock { last in
            last.flatMap { $0.secretAccessKey == secretAccessKey && $0.scope == scope ? $0.key : nil }
        }
        if let known { return SymmetricKey(data: known) }
        let key = SigV4Canonical.signingKey(secretAccessKey: secretAccessKey, scope: scope)
        let bytes = key.withUnsafeBytes { Array($0) }
        last.withLock { $0 = (secretAccessKey, scope, bytes) }
        return key
    }
}
