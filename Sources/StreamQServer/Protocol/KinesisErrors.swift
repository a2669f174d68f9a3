import StreamQAWS
import StreamQStorage

/// The Kinesis errors the operations answer, with AWS's codes and message texts
/// (`reference/kinesis-api.md` §2).
enum KinesisErrors {
    static func streamNotFound(_ name: String, account: String) -> AWSError {
        AWSError("ResourceNotFoundException", "Stream \(name) under account \(account) not found.")
    }

    static func streamExists(_ name: String, account: String) -> AWSError {
        AWSError("ResourceInUseException", "Stream \(name) under account \(account) already exists.")
    }

    static func shardNotFound(_ shard: String, stream: String, account: String) -> AWSError {
        AWSError(
            "ResourceNotFoundException",
            "Shard \(shard) in stream \(stream) under account \(account) does not exist"
        )
    }

    static func invalidArgument(_ message: String) -> AWSError {
        AWSError("InvalidArgumentException", message)
    }

    static func serialization(_ message: String) -> AWSError {
        AWSError("SerializationException", message)
    }

    static func limitExceeded(_ message: String) -> AWSError {
        AWSError("LimitExceededException", message)
    }

    static func internalFailure(_ message: String) -> AWSError {
        AWSError("InternalFailure", message, httpStatus: 500)
    }

    /// Maps a storage failure to the Kinesis error a client expects; anything unexpected is an
    /// internal failure (500) whose message still says what failed.
    static func from(_ error: any Error, stream: String, account: String) -> AWSError {
        if let error = error as? AWSError { return error }
        guard let error = error as? StreamQStorageError else { return internalFailure("\(error)") }
        switch error.code {
        case .streamNotFound: return streamNotFound(stream, account: account)
        case .streamExists: return streamExists(stream, account: account)
        case .invalidArgument, .recordTooLarge: return invalidArgument(error.message)
        case .encryptionKeyUnavailable: return AWSError("KMSNotFoundException", error.message)
        case .shardNotFound: return AWSError("ResourceNotFoundException", error.message)
        // Only requests with streamq's producer stamp (ProducerStampHeaders) meet these two.
        case .outOfOrderSequence: return AWSError("OutOfOrderSequenceException", error.message)
        case .duplicateSequence: return AWSError("DuplicateSequenceException", error.message)
        default: return internalFailure(error.message)
        }
    }
}
