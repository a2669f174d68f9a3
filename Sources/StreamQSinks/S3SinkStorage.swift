import Crypto
import Foundation
import StreamQRemote

/// A file sink's committed files as objects in S3, under `prefix/` in `bucket`.
///
/// Files are written into a local staging directory; a commit uploads each under its final,
/// deterministic key (multipart above the client's part size), then the error file, then the
/// manifest `prefix/_manifest/NNNNNNNNNN.json`, PUT last, so a file counts only once a manifest
/// lists it. On restart, ``removeUncommitted(keeping:)`` deletes the part objects no manifest lists
/// (a commit cut short), aborts the multipart uploads left under the prefix, and empties the
/// staging directory. S3's strong read-after-write
/// consistency makes the listing see every object written before.
///
/// Errors are ``SinkError``s with the S3 error's one-line description.
public final class S3SinkStorage: SinkStorage {
    public let client: S3Client
    public let bucket: String
    /// The key prefix, without a trailing `/` (empty for the bucket's top level).
    public let prefix: String
    public let stagingDirectory: String

    public init(client: S3Client, bucket: String, prefix: String, stagingDirectory: String) {
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.stagingDirectory = stagingDirectory
    }

    /// A storage staging its files in `temporaryDirectory/streamq-s3-staging/{bucket}-{hash}`: one
    /// directory per destination, so a restart finds (and clears) what a killed run left.
    public convenience init(client: S3Client, bucket: String, prefix: String, temporaryDirectory: String) {
        let location = "s3://" + bucket + "/" + prefix
        let hash = SHA256.hash(data: Array(location.utf8)).prefix(8).map { byte in
            String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        self.init(
            client: client,
            bucket: bucket,
            prefix: prefix,
            stagingDirectory: temporaryDirectory + "/streamq-s3-staging/" + bucket + "-" + hash.joined()
        )
    }

    public var location: String { "s3://" + bucket + (prefix.isEmpty ? "" : "/" + prefix) }

    /// The key of `path` (relative to the sink's root).
    func key(_ path: String) -> String { prefix.isEmpty ? path : prefix + "/" + path }

    public func manifestNames() async throws -> [String] {
        let directory = key("_manifest/")
        return try await s3 {
            try await client.listObjects(bucket: bucket, prefix: directory).map {
                String($0.key.dropFirst(directory.count))
            }
        }
        .filter { !$0.contains("/") && $0.hasSuffix(".json") }.sorted()
    }

    public func readManifest(_ name: String) async throws -> [UInt8] {
        try await s3 { try await client.getObject(bucket: bucket, key: key("_manifest/" + name)) }
    }

    public func publish(_ files: [StagedFile]) async throws {
        for file in files {
            try await s3 { try await client.uploadFile(bucket: bucket, key: key(file.path), path: file.stagedPath) }
            try? FileManager.default.removeItem(atPath: file.stagedPath)
        }
    }

    public func publish(bytes: [UInt8], as path: String) async throws {
        try await s3 { try await client.putObject(bucket: bucket, key: key(path), body: bytes) }
    }

    public func writeManifest(_ bytes: [UInt8], named name: String) async throws {
        try await s3 { try await client.putObject(bucket: bucket, key: key("_manifest/" + name), body: bytes) }
    }

    public func removeUncommitted(keeping committed: Set<String>) async throws {
        let root = prefix.isEmpty ? "" : prefix + "/"
        let objects = try await s3 { try await client.listObjects(bucket: bucket, prefix: root) }
        let uncommitted = objects.map(\.key).filter { key in
            let path = String(key.dropFirst(root.count))
            let name = path.split(separator: "/").last ?? ""
            return !path.hasPrefix("_manifest/") && name.hasPrefix("part-") && !committed.contains(path)
        }
        if !uncommitted.isEmpty { try await s3 { try await client.deleteObjects(bucket: bucket, keys: uncommitted) } }
        // A crash during a multipart upload leaves its parts stored (and billed) but no object.
        for upload in try await s3({ try await client.listMultipartUploads(bucket: bucket, prefix: root) }) {
            try await s3 {
                try await client.abortMultipartUpload(bucket: bucket, key: upload.key, uploadID: upload.uploadID)
            }
        }
        do {
            if FileManager.default.fileExists(atPath: stagingDirectory) {
                try FileManager.default.removeItem(atPath: stagingDirectory)
            }
            try FileManager.default.createDirectory(atPath: stagingDirectory, withIntermediateDirectories: true)
        } catch {
            throw SinkError("cannot prepare the staging directory \(stagingDirectory) for \(location): \(error)")
        }
    }

    /// Runs an S3 call, its failure as a ``SinkError`` in one line.
    @discardableResult private func s3<T>(_ call: () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch let error as S3ClientError {
            throw SinkError(error.description)
        }
    }
}
