import Crypto

/// An unwrapped data key, shareable between threads.
///
/// `SymmetricKey` is an immutable value (its copy-on-write storage is never mutated after creation)
/// but swift-crypto 3.12 does not declare it `Sendable`; this wrapper says so for the engine.
struct DataKey: @unchecked Sendable {
    let key: SymmetricKey
    init(_ key: SymmetricKey) { self.key = key }

    /// A new random 256-bit key.
    static func random() -> DataKey { DataKey(SymmetricKey(size: .bits256)) }
}
