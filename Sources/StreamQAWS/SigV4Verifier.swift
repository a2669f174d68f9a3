/// Checks Signature Version 4 signatures the way an AWS service does, answering with the errors
/// AWS answers: `MissingAuthenticationTokenException` (403), `IncompleteSignatureException`,
/// `UnrecognizedClientException` and `InvalidSignatureException` (400).
///
/// Accepts the `Authorization` header and presigned URLs (`X-Amz-Algorithm` & co. in the query),
/// any region, and only `service`.
public struct SigV4Verifier: Sendable {
    /// The secret of an access key, and the session tokens one of which requests must carry
    /// (nil: none needed); nil for an unknown key.
    public typealias Lookup = @Sendable (_ accessKeyID: String) -> (secret: String, sessionTokens: Set<String>?)?

    private let lookup: Lookup
    private let service: String
    private let allowedSkewSeconds: Int64

    public init(lookup: @escaping Lookup, service: String = "kinesis", allowedSkewSeconds: Int64 = 300) {
        self.lookup = lookup
        self.service = service
        self.allowedSkewSeconds = allowedSkewSeconds
    }

    /// Verifies `request` at the time `now` (seconds since 1970 UTC) and returns its access key ID.
    @discardableResult
    public func verify(_ request: SigV4Request, now epochSeconds: Int64) throws(AWSError) -> String {
        let authorization = try parseAuthorization(request)
        let scope = authorization.scope
        guard scope.service == service else {
            throw incomplete("Credential should be scoped to correct service: '\(service)'.")
        }
        guard !scope.region.isEmpty else { throw incomplete("Credential should be scoped to a valid region, not ''.") }
        guard let signedAt = AmzDate.parse(authorization.amzDate) else {
            throw incomplete(
                "Date must be in ISO-8601 'basic format'. Got '\(authorization.amzDate)'. See http://en.wikipedia.org/wiki/ISO_8601"
            )
        }
        guard scope.date == authorization.amzDate.prefix(8) else {
            throw incomplete(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                    + "'\(scope.date)' != '\(authorization.amzDate.prefix(8))', from 'X-Amz-Date'."
            )
        }
        guard authorization.signedHeaders.contains("host") else {
            throw incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        }

        guard let credential = lookup(authorization.accessKeyID) else { throw Self.unrecognizedClient }
        if let tokens = credential.sessionTokens {
            guard let token = authorization.sessionToken, tokens.contains(token) else { throw Self.unrecognizedClient }
        }

        try checkTime(signedAt, amzDate: authorization.amzDate, expires: authorization.expires, now: epochSeconds)

        var signed = request
        if authorization.signedHeaders.contains("x-amz-content-sha256"),
            request.header("x-amz-content-sha256") == "UNSIGNED-PAYLOAD"
        {
            signed.payloadHash = "UNSIGNED-PAYLOAD"  // the client chose to leave the body out of the signature
        }
        let expected = SigV4Canonical.signature(
            of: signed,
            signedHeaders: authorization.signedHeaders,
            secretAccessKey: credential.secret,
            amzDate: authorization.amzDate,
            scope: scope
        )
        guard Self.constantTimeEqual(expected, authorization.signature) else {
            throw AWSError(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS "
                    + "Secret Access Key and signing method. Consult the service documentation for details."
            )
        }
        return authorization.accessKeyID
    }

    /// The request time must lie within the allowed skew of `now`; a presigned URL may also be
    /// used until it expires.
    private func checkTime(_ signedAt: Int64, amzDate: String, expires: Int64?, now: Int64) throws(AWSError) {
        let skew = allowedSkewSeconds % 60 == 0 ? "\(allowedSkewSeconds / 60) min." : "\(allowedSkewSeconds) sec."
        let earliest = now - max(allowedSkewSeconds, expires ?? 0)
        if signedAt < earliest {
            let window = expires.map { "\($0) sec." } ?? skew
            throw AWSError(
                "InvalidSignatureException",
                "Signature expired: \(amzDate) is now earlier than \(AmzDate.format(epochSeconds: earliest)) "
                    + "(\(AmzDate.format(epochSeconds: now)) - \(window))"
            )
        }
        if signedAt > now + allowedSkewSeconds {
            throw AWSError(
                "InvalidSignatureException",
                "Signature not yet current: \(amzDate) is still later than "
                    + "\(AmzDate.format(epochSeconds: now + allowedSkewSeconds)) (\(AmzDate.format(epochSeconds: now)) + \(skew))"
            )
        }
    }

    private func parseAuthorization(_ request: SigV4Request) throws(AWSError) -> ParsedAuthorization {
        if let header = request.header("authorization") {
            return try parseHeader(header, request: request)
        }
        let query = SigV4Canonical.queryParameters(request.query)
        if let algorithm = query.first(where: { $0.name == "X-Amz-Algorithm" })?.value {
            return try parsePresigned(algorithm: algorithm, query: query)
        }
        throw AWSError("MissingAuthenticationTokenException", "Missing Authentication Token", httpStatus: 403)
    }

    /// `AWS4-HMAC-SHA256 Credential=<key>/<scope>, SignedHeaders=<a;b>, Signature=<hex>`.
    private func parseHeader(_ header: String, request: SigV4Request) throws(AWSError) -> ParsedAuthorization {
        let trimmed = header.trimmingSpaces
        let algorithm = trimmed.prefix { $0 != " " }
        guard algorithm == SigV4Canonical.algorithm else {
            throw incomplete("Unsupported AWS 'algorithm': '\(algorithm)'")
        }
        var parameters: [String: String] = [:]
        for part in trimmed.dropFirst(algorithm.count).split(separator: ",") {
            let pair = part.trimmingSpaces
            guard let equals = pair.firstIndex(of: "=") else {
                throw incomplete("Invalid key=value pair (missing equal-sign) in Authorization header: '\(pair)'")
            }
            parameters[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        let amzDate = request.header("x-amz-date")
        var missing: [String] = []
        for name in ["Credential", "Signature", "SignedHeaders"] where parameters[name]?.isEmpty ?? true {
            missing.append("Authorization header requires '\(name)' parameter.")
        }
        if amzDate == nil {
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        guard missing.isEmpty, let credential = parameters["Credential"],
            let signedHeaders = parameters["SignedHeaders"],
            let signature = parameters["Signature"], let amzDate
        else { throw incomplete(missing.joined(separator: " ") + " Authorization=\(header)") }
        return try ParsedAuthorization(
            credential: credential,
            signedHeaders: signedHeaders,
            signature: signature,
            amzDate: amzDate,
            sessionToken: request.header("x-amz-security-token"),
            expires: nil
        )
    }

    /// `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-SignedHeaders`,
    /// `X-Amz-Signature` and optionally `X-Amz-Expires` and `X-Amz-Security-Token` in the query.
    private func parsePresigned(
        algorithm: String,
        query: [(name: String, value: String)]
    ) throws(AWSError) -> ParsedAuthorization {
        guard algorithm == SigV4Canonical.algorithm else {
            throw incomplete("Unsupported AWS 'algorithm': '\(algorithm)'")
        }
        func value(_ name: String) -> String? { query.first { $0.name == name }?.value }
        let required = ["X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"]
        let missing = required.filter { value($0)?.isEmpty ?? true }
        guard missing.isEmpty, let credential = value("X-Amz-Credential"), let amzDate = value("X-Amz-Date"),
            let signedHeaders = value("X-Amz-SignedHeaders"), let signature = value("X-Amz-Signature")
        else {
            throw incomplete(missing.map { "AWS query-string parameters must include '\($0)'." }.joined(separator: " "))
        }
        var expires: Int64?
        if let text = value("X-Amz-Expires") {
            guard let seconds = Int64(text), (1...604_800).contains(seconds) else {
                throw incomplete("X-Amz-Expires must be a number of seconds from 1 to 604800, got '\(text)'.")
            }
            expires = seconds
        }
        return try ParsedAuthorization(
            credential: credential,
            signedHeaders: signedHeaders,
            signature: signature,
            amzDate: amzDate,
            sessionToken: value("X-Amz-Security-Token"),
            expires: expires
        )
    }

    private static let unrecognizedClient = AWSError(
        "UnrecognizedClientException",
        "The security token included in the request is invalid."
    )

    private static func constantTimeEqual(_ expected: String, _ provided: String) -> Bool {
        let expected = Array(expected.utf8)
        let provided = Array(provided.utf8)
        guard expected.count == provided.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ provided[index] }
        return difference == 0
    }
}

/// The parts of a signature, from the `Authorization` header or a presigned URL's query.
private struct ParsedAuthorization {
    var accessKeyID: String
    var scope: SigV4Scope
    var signedHeaders: [String]
    var signature: String
    var amzDate: String
    var sessionToken: String?
    var expires: Int64?

    init(
        credential: String,
        signedHeaders: String,
        signature: String,
        amzDate: String,
        sessionToken: String?,
        expires: Int64?
    ) throws(AWSError) {
        let parts = credential.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, !parts[0].isEmpty else {
            throw incomplete(
                "Credential should be of the form <access key>/<yyyymmdd>/<region>/<service>/aws4_request, "
                    + "got '\(credential)'."
            )
        }
        guard parts[4] == "aws4_request" else {
            throw incomplete("Credential should be scoped with a valid terminator: 'aws4_request', not '\(parts[4])'.")
        }
        accessKeyID = String(parts[0])
        scope = SigV4Scope(date: String(parts[1]), region: String(parts[2]), service: String(parts[3]))
        self.signedHeaders = signedHeaders.split(separator: ";").map { $0.lowercased() }
        self.signature = signature
        self.amzDate = amzDate
        self.sessionToken = sessionToken
        self.expires = expires
    }
}

private func incomplete(_ message: String) -> AWSError {
    AWSError("IncompleteSignatureException", message)
}
