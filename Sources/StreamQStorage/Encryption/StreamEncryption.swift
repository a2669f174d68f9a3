/// How a stream encrypts the records written to it now, as `describeStream` reports it (Kinesis's
/// `EncryptionType` and `KeyId`).
public struct StreamEncryption: Sendable, Equatable {
    /// Kinesis's encryption types: none, or a master key (here from the master key file).
    public enum EncryptionType: String, Sendable, Equatable {
        case none = "NONE"
        case kms = "KMS"
    }

    public var type: EncryptionType
    /// The master key new data keys are wrapped with; nil when not encrypting.
    public var keyID: String?

    public static let none = StreamEncryption(type: .none, keyID: nil)

    public init(type: EncryptionType, keyID: String?) {
        self.type = type
        self.keyID = keyID
    }
}
