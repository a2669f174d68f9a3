import StreamQAWS
import StreamQStorage

/// Encryption, enhanced monitoring, capacity mode and account limits.
extension KinesisService {
    /// The server's own master key, made on first use as AWS makes its managed key.
    static let defaultMasterKey = "alias/aws/kinesis"
    private static let metricNames = [
        "IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords", "WriteProvisionedThroughputExceeded",
        "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds", "ALL",
    ]

    func startStreamEncryption(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let type = try reader.string("EncryptionType", required: true, oneOf: ["NONE", "KMS"])
        let keyText = try reader.string("KeyId", required: true, length: 1...2048)
        let name = try streamName(&reader)
        guard type == "KMS" else {
            throw KinesisErrors.invalidArgument("EncryptionType must be KMS to start stream encryption.")
        }
        let keyID = masterKeyName(keyText!)
        try await changes.withLock {
            _ = try describe(name)
            if keyID == Self.defaultMasterKey { try ensureDefaultMasterKey() }
            do {
                try await store.startEncryption(name, keyID: keyID)
            } catch let error as StreamQStorageError
                where error.code == .encryptionKeyUnavailable || error.code == .invalidArgument
            {
                throw AWSError("KMSNotFoundException", "Key '\(keyText!)' does not exist: \(error.message)")
            } catch {
                throw KinesisErrors.from(error, stream: name.rawValue, account: account)
            }
        }
        return .null
    }

    func stopStreamEncryption(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        _ = try reader.string("EncryptionType", required: true, oneOf: ["NONE", "KMS"])
        _ = try reader.string("KeyId", required: true, length: 1...2048)
        let name = try streamName(&reader)
        try await changes.withLock {
            _ = try describe(name)
            do {
                try await store.stopEncryption(name)
            } catch {
                throw KinesisErrors.from(error, stream: name.rawValue, account: account)
            }
        }
        return .null
    }

    func changeEnhancedMonitoring(_ input: AWSValue, enable: Bool) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let items = try reader.list("ShardLevelMetrics", required: true, count: 1...7) ?? []
        var requested: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let metric) = item else { throw KinesisErrors.serialization("expected metric names") }
            if !Self.metricNames.contains(metric) {
                throw AWSError(
                    "ValidationException",
                    "1 validation error detected: Value '\(metric)' at 'shardLevelMetrics.\(index + 1).member' failed to "
                        + "satisfy constraint: Member must satisfy enum value set: [\(Self.metricNames.joined(separator: ", "))]"
                )
            }
            requested.append(metric)
        }
        let name = try streamName(&reader)
        let all = Self.metricNames.dropLast()
        let expanded = requested.contains("ALL") ? Array(all) : requested
        let (before, after) = try await changes.withLock {
            let before = try existingAttributes(name).shardLevelMetrics
            var after = Set(before)
            if enable { after.formUnion(expanded) } else { after.subtract(expanded) }
            let ordered = all.filter(after.contains)
            try updateAttributes(name) { $0.shardLevelMetrics = ordered }
            return (before, ordered)
        }
        return .map([
            "StreamName": .string(name.rawValue),
            "StreamARN": .string(arn(name)),
            "CurrentShardLevelMetrics": .list(before.map { .string($0) }),
            "DesiredShardLevelMetrics": .list(after.map { .string($0) }),
        ])
    }

    func updateStreamMode(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let details = try reader.map("StreamModeDetails", required: true) ?? [:]
        let mode = try reader.nested(.map(details), at: "StreamModeDetails") { nested in
            try nested.string("StreamMode", required: true, oneOf: ["PROVISIONED", "ON_DEMAND"])
        }
        let name = try streamName(&reader, arnOnly: true)
        try await changes.withLock {
            _ = try existingAttributes(name)
            try updateAttributes(name) { $0.onDemand = mode == "ON_DEMAND" }
        }
        return .null
    }

    func describeLimits(_ input: AWSValue) throws -> AWSValue {
        try RequestReader(input).finish()
        let names = try store.listStreams()
        let onDemand = names.filter { (try? attributes($0).onDemand) ?? false }.count
        return .map([
            "ShardLimit": .integer(Int64(Self.shardLimit)),
            "OpenShardCount": .integer(Int64(try openShardCount())),
            "OnDemandStreamCount": .integer(Int64(onDemand)),
            "OnDemandStreamCountLimit": .integer(50),
        ])
    }

    // MARK: Helpers

    /// The master key a KMS key id names: `alias/NAME` and bare ids as they are; KMS ARNs by
    /// their alias or key part.
    private func masterKeyName(_ keyID: String) -> String {
        guard keyID.hasPrefix("arn:"), let resource = keyID.split(separator: ":", maxSplits: 5).last else {
            return keyID
        }
        if resource.hasPrefix("key/") { return String(resource.dropFirst(4)) }
        return String(resource)
    }

    private func ensureDefaultMasterKey() throws {
        guard let path = store.configuration.masterKeyFile else { return }
        if let file = try? MasterKeyFile.load(path, dataDirectory: store.directory),
            file.names.contains(Self.defaultMasterKey)
        {
            return
        }
        do {
            try MasterKeyFile.createKey(named: Self.defaultMasterKey, in: path, dataDirectory: store.directory)
        } catch let error as StreamQStorageError where error.message.contains("already exists") {
            return  // made by another request in the meantime
        }
    }
}
