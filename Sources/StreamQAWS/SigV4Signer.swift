/// Signs requests with AWS Signature Version 4 (`Authorization: AWS4-HMAC-SHA256 ...`).
public struct SigV4Signer: Sendable {
    public var credentials: SigV4Credentials
    public var region: String
    public var service: String
    /// The signing keys derived so far (one a day and scope), shared by copies of this signer.
    private let signingKeys = SigV4SigningKeys()

    /// Headers that proxies may change or add, so they are never signed (botocore's list).
    static let unsignedHeaders: Set<String> = ["authorization", "user-agent", "expect", "x-amzn-trace-id"]

    public init(credentials: SigV4Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Adds `X-Amz-Date`, `X-Amz-Security-Token` (with session credentials), for S3
    /// `X-Amz-Content-SHA256`, and `Authorization` to `request`, replacing earlier ones. Every other
    /// header present (which must include `Host`) is signed.
    /// - Parameter epochSeconds: the signing time, seconds since 1970 UTC.
    public func sign(_ request: inout SigV4Request, date epochSeconds: Int64) {
        for name in ["authorization", "x-amz-date", "x-amz-security-token"] { request.removeHeaders(named: name) }
        let amzDate = AmzDate.format(epochSeconds: epochSeconds)
        request.headers.append((name: "X-Amz-Date", value: amzDate))
        if let token = credentials.sessionToken { request.headers.append((name: "X-Amz-Security-Token", value: token)) }
        if service == "s3" && request.header("x-amz-content-sha256") == nil {
            request.headers.append((name: "X-Amz-Content-SHA256", value: request.payloadHash))
        }
        let signedHeaders = Set(request.headers.map { $0.name.lowercased() }).subtracting(Self.unsignedHeaders).sorted()
        let scope = SigV4Scope(date: String(amzDate.prefix(8)), region: region, service: service)
        let signature = SigV4Canonical.signature(
            of: request,
            signedHeaders: signedHeaders,
            signingKey: signingKeys.key(secretAccessKey: credentials.secretAccessKey, scope: scope),
            amzDate: amzDate,
            scope: scope
        )
        let authorization =
            "\(SigV4Canonical.algorithm) Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(signature)"
        request.headers.append((name: "Authorization", value: authorization))
    }

    /// Presigns `request` for `expiresSeconds` (1 to 604800): adds the `X-Amz-*` parameters and
    /// signature to its query, signing its headers (which must include `Host`) as they are.
    /// - Parameter epochSeconds: the signing time, seconds since 1970 UTC.
    public func presign(_ request: inout SigV4Request, date epochSeconds: Int64, expiresSeconds: Int) {
        let amzDate = AmzDate.format(epochSeconds: epochSeconds)
        let scope = SigV4Scope(date: String(amzDate.prefix(8)), region: region, service: service)
        let signedHeaders = Set(request.headers.map { $0.name.lowercased() }).subtracting(Self.unsignedHeaders).sorted()
        var parameters = [
            ("X-Amz-Algorithm", SigV4Canonical.algorithm), ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope)"),
            ("X-Amz-Date", amzDate), ("X-Amz-Expires", String(expiresSeconds)),
            ("X-Amz-SignedHeaders", signedHeaders.joined(separator: ";")),
        ]
        if let token = credentials.sessionToken { parameters.append(("X-Amz-Security-Token", token)) }
        let added = parameters.map { SigV4Canonical.uriEncode($0.0) + "=" + SigV4Canonical.uriEncode($0.1) }
        request.query = ([request.query].filter { !$0.isEmpty } + added).joined(separator: "&")
        let signature = SigV4Canonical.signature(
            of: request,
            signedHeaders: signedHeaders,
            secretAccessKey: credentials.secretAccessKey,
            amzDate: amzDate,
            scope: scope
        )
        request.query += "&X-Amz-Signature=" + signature
    }
}
