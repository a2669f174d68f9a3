import Foundation
import NIOHTTP1

extension S3Client {
    /// Uploads the local file at `path` as `key`: in one PutObject up to the configured part size,
    /// else as a multipart upload of parts that size (several at once), aborted if a part fails.
    /// Returns the object's ETag.
    @discardableResult
    public func uploadFile(bucket: String, key: String, path: String) async throws -> String {
        let file: FileHandle
        let size: Int
        do {
            file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            size = Int(try file.seekToEnd())
        } catch {
            throw Self.unreadable(path, error, bucket: bucket, key: key)
        }
        defer { try? file.close() }
        let partSize = max(configuration.partSize, S3ClientConfiguration.minimumPartSize)
        if size <= partSize {
            return try await putObject(
                bucket: bucket,
                key: key,
                body: try read(file, path: path, at: 0, count: size, bucket: bucket, key: key)
            )
        }
        let uploadID = try await createMultipartUpload(bucket: bucket, key: key)
        do {
            var parts: [(number: Int, eTag: String)] = []
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                var inFlight = 0
                for (index, offset) in stride(from: 0, to: size, by: partSize).enumerated() {
                    if inFlight == max(configuration.partConcurrency, 1), let done = try await group.next() {
                        parts.append(done)
                        inFlight -= 1
                    }
                    let body = try read(
                        file,
                        path: path,
                        at: offset,
                        count: min(partSize, size - offset),
                        bucket: bucket,
                        key: key
                    )
                    group.addTask {
                        let eTag = try await self.uploadPart(
                            bucket: bucket,
                            key: key,
                            uploadID: uploadID,
                            partNumber: index + 1,
                            body: body
                        )
                        return (index + 1, eTag)
                    }
                    inFlight += 1
                }
                for try await done in group { parts.append(done) }
            }
            return try await completeMultipartUpload(
                bucket: bucket,
                key: key,
                uploadID: uploadID,
                parts: parts.sorted { $0.number < $1.number }
            )
        } catch {
            try? await abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
            throw error
        }
    }

    private func read(
        _ file: FileHandle,
        path: String,
        at offset: Int,
        count: Int,
        bucket: String,
        key: String
    ) throws -> [UInt8] {
        let data: Data
        do {
            try file.seek(toOffset: UInt64(offset))
            data = try file.read(upToCount: count) ?? Data()
        } catch {
            throw Self.unreadable(path, error, bucket: bucket, key: key)
        }
        guard data.count == count else {
            throw Self.unreadable(path, "it ended at byte \(offset + data.count)", bucket: bucket, key: key)
        }
        return Array(data)
    }

    private static func unreadable(_ path: String, _ error: Any, bucket: String, key: String) -> S3ClientError {
        S3ClientError(
            operation: "PutObject",
            bucket: bucket,
            key: key,
            attempts: 1,
            reason: .invalidRequest("cannot read \(path): \(error)")
        )
    }

    /// Starts a multipart upload of `key`; returns its upload ID.
    public func createMultipartUpload(bucket: String, key: String) async throws -> String {
        let request = Request(
            operation: "CreateMultipartUpload",
            method: .POST,
            bucket: bucket,
            key: key,
            query: [("uploads", nil)]
        )
        let result = try Self.xml(try await send(request), root: "InitiateMultipartUploadResult", of: request)
        guard let uploadID = result.text(of: "UploadId"), !uploadID.isEmpty else {
            throw S3ClientError(
                operation: request.operation,
                bucket: bucket,
                key: key,
                attempts: 1,
                reason: .invalidResponse("no UploadId in the answer")
            )
        }
        return uploadID
    }

    /// Uploads part `partNumber` (from 1) of an upload; returns the part's ETag.
    public func uploadPart(
        bucket: String,
        key: String,
        uploadID: String,
        partNumber: Int,
        body: [UInt8]
    ) async throws -> String {
        let response = try await send(
            Request(
                operation: "UploadPart",
                method: .PUT,
                bucket: bucket,
                key: key,
                query: [("partNumber", String(partNumber)), ("uploadId", uploadID)],
                body: body
            )
        )
        guard let eTag = response.headers.first(name: "ETag") else {
            throw S3ClientError(
                operation: "UploadPart",
                bucket: bucket,
                key: key,
                attempts: 1,
                reason: .invalidResponse("no ETag for part \(partNumber)")
            )
        }
        return eTag
    }

    /// Joins the uploaded `parts` (in part-number order) into the object; returns its ETag.
    @discardableResult
    public func completeMultipartUpload(
        bucket: String,
        key: String,
        uploadID: String,
        parts: [(number: Int, eTag: String)]
    ) async throws -> String {
        var body = #"<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload>"#
        for part in parts {
            body += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XMLElement.escape(part.eTag))</ETag></Part>"
        }
        body += "</CompleteMultipartUpload>"
        let request = Request(
            operation: "CompleteMultipartUpload",
            method: .POST,
            bucket: bucket,
            key: key,
            query: [("uploadId", uploadID)],
            headers: [(name: "Content-Type", value: "application/xml")],
            body: Array(body.utf8),
            errorsInSuccessBody: true
        )
        // moto names the answer's root CompleteMultipartUploadResponse.
        let result = try Self.xml(
            try await send(request),
            root: "CompleteMultipartUploadResult",
            alternatives: ["CompleteMultipartUploadResponse"],
            of: request
        )
        return result.text(of: "ETag") ?? ""
    }

    /// The multipart uploads started and neither completed nor aborted for keys under `prefix`,
    /// as (key, upload ID), following ListMultipartUploads' markers.
    public func listMultipartUploads(bucket: String, prefix: String) async throws -> [(key: String, uploadID: String)] {
        var uploads: [(key: String, uploadID: String)] = []
        var markers: (key: String, uploadID: String)?
        repeat {
            var query: [(String, String?)] = [("uploads", nil), ("prefix", prefix)]
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.uploadID)] }
            let request = Request(operation: "ListMultipartUploads", method: .GET, bucket: bucket, query: query)
            let page = try Self.xml(try await send(request), root: "ListMultipartUploadsResult", of: request)
            for upload in page.children("Upload") {
                if let key = upload.text(of: "Key"), let uploadID = upload.text(of: "UploadId") {
                    uploads.append((key, uploadID))
                }
            }
            markers = nil
            if page.text(of: "IsTruncated") == "true", let key = page.text(of: "NextKeyMarker"),
                let uploadID = page.text(of: "NextUploadIdMarker")
            {
                markers = (key, uploadID)
            }
        } while markers != nil
        return uploads
    }

    /// Abandons an upload, freeing its parts.
    public func abortMultipartUpload(bucket: String, key: String, uploadID: String) async throws {
        _ = try await send(
            Request(
                operation: "AbortMultipartUpload",
                method: .DELETE,
                bucket: bucket,
                key: key,
                query: [("uploadId", uploadID)]
            )
        )
    }
}
