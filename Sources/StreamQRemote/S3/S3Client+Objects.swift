import Crypto
import NIOHTTP1
import StreamQAWS

/// An object in a listing.
public struct S3Object: Sendable, Equatable {
    public var key: String
    public var size: Int
    public var eTag: String

    public init(key: String, size: Int, eTag: String) {
        self.key = key
        self.size = size
        self.eTag = eTag
    }
}

extension S3Client {
    /// Stores `body` as `key` (replacing any object there); returns its ETag.
    @discardableResult
    public func putObject(bucket: String, key: String, body: [UInt8]) async throws -> String {
        let response = try await send(
            Request(operation: "PutObject", method: .PUT, bucket: bucket, key: key, body: body)
        )
        return response.headers.first(name: "ETag") ?? ""
    }

    /// The bytes of `key`.
    public func getObject(bucket: String, key: String) async throws -> [UInt8] {
        try await send(Request(operation: "GetObject", method: .GET, bucket: bucket, key: key)).body
    }

    /// Deletes `key` (no error when there is none).
    public func deleteObject(bucket: String, key: String) async throws {
        _ = try await send(Request(operation: "DeleteObject", method: .DELETE, bucket: bucket, key: key))
    }

    /// Deletes `keys`, up to 1,000 per DeleteObjects request.
    /// - Throws: ``S3ClientError`` for the request, or naming the first key S3 could not delete.
    public func deleteObjects(bucket: String, keys: [String]) async throws {
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let batch = keys[start..<min(start + 1000, keys.count)]
            var body = #"<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>"#
            for key in batch { body += "<Object><Key>\(S3XMLElement.escape(key))</Key></Object>" }
            body += "</Delete>"
            let bytes = Array(body.utf8)
            let request = Request(
                operation: "DeleteObjects",
                method: .POST,
                bucket: bucket,
                query: [("delete", nil)],
                headers: [
                    (name: "Content-Type", value: "application/xml"),
                    (name: "Content-MD5", value: Base64.encodedString(Array(Insecure.MD5.hash(data: bytes)))),
                ],
                body: bytes
            )
            let result = try Self.xml(try await send(request), root: "DeleteResult", of: request)
            if let error = result.children("Error").first {
                throw S3ClientError(
                    operation: "DeleteObjects",
                    bucket: bucket,
                    key: error.text(of: "Key"),
                    attempts: 1,
                    reason: .service(
                        code: error.text(of: "Code") ?? "Unknown",
                        message: error.text(of: "Message") ?? "",
                        httpStatus: 200
                    )
                )
            }
        }
    }

    /// Every object whose key starts with `prefix`, following ListObjectsV2's continuation tokens.
    public func listObjects(bucket: String, prefix: String) async throws -> [S3Object] {
        var objects: [S3Object] = []
        var continuation: String?
        repeat {
            var query: [(String, String?)] = [("list-type", "2"), ("prefix", prefix)]
            if let continuation { query.append(("continuation-token", continuation)) }
            let request = Request(operation: "ListObjectsV2", method: .GET, bucket: bucket, query: query)
            let page = try Self.xml(try await send(request), root: "ListBucketResult", of: request)
            for content in page.children("Contents") {
                guard let key = content.text(of: "Key") else { continue }
                objects.append(
                    S3Object(
                        key: key,
                        size: content.text(of: "Size").flatMap { Int($0) } ?? 0,
                        eTag: content.text(of: "ETag") ?? ""
                    )
                )
            }
            continuation = page.text(of: "IsTruncated") == "true" ? page.text(of: "NextContinuationToken") : nil
        } while continuation != nil
        return objects
    }
}
