import Crypto

/// The Signature Version 4 algorithm proper: canonical request, string to sign, signing key and
/// signature, shared by ``SigV4Signer`` and ``SigV4Verifier``.
package enum SigV4Canonical {
    static let algorithm = "AWS4-HMAC-SHA256"

    /// The signature of `request` over the headers named in `signedHeaders` (lowercase, sorted).
    static func signature(
        of request: SigV4Request,
        signedHeaders: [String],
        secretAccessKey: String,
        amzDate: String,
        scope: SigV4Scope
    ) -> String {
        signature(
            of: request,
            signedHeaders: signedHeaders,
            signingKey: signingKey(secretAccessKey: secretAccessKey, scope: scope),
            amzDate: amzDate,
            scope: scope
        )
    }

    /// ``signature(of:signedHeaders:secretAccessKey:amzDate:scope:)`` with the scope's signing key
    /// already derived.
    static func signature(
        of request: SigV4Request,
        signedHeaders: [String],
        signingKey: SymmetricKey,
        amzDate: String,
        scope: SigV4Scope
    ) -> String {
        let canonical = canonicalRequest(request, signedHeaders: signedHeaders, service: scope.service)
        let stringToSign = [
            algorithm, amzDate, scope.description, hex(SHA256.hash(data: Array(canonical.utf8))),
        ].joined(separator: "\n")
        return hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey))
    }

    /// The signing key of a secret for a scope: `AWS4<secret>` through an HMAC of each of the
    /// scope's parts.
    static func signingKey(secretAccessKey: String, scope: SigV4Scope) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(secretAccessKey)".utf8))
        for part in [scope.date, scope.region, scope.service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return key
    }

    /// The canonical request: method, URI, query, headers, signed header list and payload hash.
    static func canonicalRequest(_ request: SigV4Request, signedHeaders: [String], service: String) -> String {
        [
            request.method.uppercased(),
            canonicalURI(request.path, service: service),
            canonicalQuery(request.query),
            canonicalHeaders(request.headers, signedHeaders: signedHeaders),
            signedHeaders.joined(separator: ";"),
            request.payloadHash,
        ].joined(separator: "\n")
    }

    /// S3 signs the path as sent; every other service signs it with `.` and `..` segments and
    /// repeated slashes resolved, each segment URI-encoded once more.
    static func canonicalURI(_ path: String, service: String) -> String {
        if service == "s3" { return path.isEmpty ? "/" : path }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        var uri = "/" + segments.map { uriEncode($0) }.joined(separator: "/")
        if path.hasSuffix("/") && !segments.isEmpty { uri += "/" }
        return uri
    }

    /// Parameters decoded, re-encoded the canonical way and sorted by name, then value. The
    /// presigned-URL signature itself is left out.
    static func canonicalQuery(_ query: String) -> String {
        let encoded: [(name: String, value: String)] = queryParameters(query).compactMap { parameter in
            parameter.name == "X-Amz-Signature" ? nil : (uriEncode(parameter.name), uriEncode(parameter.value))
        }
        let sorted = encoded.sorted { $0.name == $1.name ? $0.value < $1.value : $0.name < $1.name }
        return sorted.map { $0.name + "=" + $0.value }.joined(separator: "&")
    }

    /// The query's parameters, percent-decoded; a parameter without `=` has an empty value.
    static func queryParameters(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { parameter in
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecode(parts[0]), parts.count > 1 ? percentDecode(parts[1]) : "")
        }
    }

    /// `name:value` lines for the signed headers, each ending in a newline: repeated headers
    /// joined with commas, values trimmed with runs of spaces collapsed.
    static func canonicalHeaders(_ headers: [(name: String, value: String)], signedHeaders: [String]) -> String {
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            guard signedHeaders.contains(name) else { continue }
            values[name, default: []].append(normalizedHeaderValue(header.value))
        }
        return signedHeaders.map { "\($0):\(values[$0, default: []].joined(separator: ","))\n" }.joined()
    }

    static func normalizedHeaderValue(_ value: String) -> String {
        var result = ""
        var pendingSpace = false
        for character in value {
            if character == " " || character == "\t" || character == "\n" || character == "\r" {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(character)
            }
        }
        return result
    }

    /// RFC 3986 percent-encoding of everything but the unreserved `A-Z a-z 0-9 - _ . ~`.
    package static func uriEncode(_ text: some StringProtocol) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                encoded.append(byte)
            default:
                encoded += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// `%XX` sequences decoded; malformed ones are kept as they are.
    static func percentDecode(_ text: some StringProtocol) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return String(text) }
        var decoded: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A credential scope, `<yyyymmdd>/<region>/<service>/aws4_request`.
struct SigV4Scope: Equatable, Sendable, CustomStringConvertible {
    var date: String
    var region: String
    var service: String

    var description: String { "\(date)/\(region)/\(service)/aws4_request" }
}
