import PropertyBased
import StreamQAWS
import Testing

@Suite struct SigV4Tests {
    /// The credentials, scope and time of AWS's Signature Version 4 test suite.
    static let suite = SigV4Signer(
        credentials: SigV4Credentials(
            accessKeyID: "AKIDEXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        ),
        region: "us-east-1",
        service: "service"
    )
    /// 20150830T123600Z
    static let suiteTime: Int64 = 1_440_938_160
    static let suiteVerifier = SigV4Verifier(
        lookup: {
            $0 == "AKIDEXAMPLE" ? (secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionTokens: nil) : nil
        },
        service: "service"
    )

    struct Vector: CustomTestStringConvertible, Sendable {
        var name: String
        var method = "GET"
        var path = "/"
        var query = ""
        var headers: [(name: String, value: String)] = []
        var body = ""
        var signature: String

        var testDescription: String { name }

        var request: SigV4Request {
            SigV4Request(
                method: method,
                path: path,
                query: query,
                headers: [(name: "Host", value: "example.amazonaws.com")] + headers,
                body: Array(body.utf8)
            )
        }
    }

    /// Cases of AWS's test suite with their published signatures.
    static let vectors: [Vector] = [
        Vector(name: "get-vanilla", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(
            name: "get-vanilla-query-order-key-case",
            query: "Param2=value2&Param1=value1",
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        ),
        Vector(
            name: "get-vanilla-query-order-value",
            query: "Param1=value2&Param1=value1",
            signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"
        ),
        Vector(
            name: "get-vanilla-query-order-key",
            query: "Param1=value2&Param1=Value1",
            signature: "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"
        ),
        Vector(
            name: "get-vanilla-query-unreserved",
            query: "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                + "=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"
        ),
        Vector(
            name: "get-vanilla-utf8-query",
            query: "%E1%88%B4=bar",
            signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"
        ),
        Vector(
            name: "get-unreserved",
            path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"
        ),
        Vector(
            name: "get-header-key-duplicate",
            headers: [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
            signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"
        ),
        Vector(
            name: "get-header-value-order",
            headers: [
                ("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"), ("My-Header1", "value2"),
            ],
            signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"
        ),
        Vector(
            name: "get-header-value-trim",
            headers: [("My-Header1", " value1 "), ("My-Header2", "\"a   b   c\"")],
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"
        ),
        Vector(
            name: "post-vanilla",
            method: "POST",
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        ),
        Vector(
            name: "post-vanilla-query",
            method: "POST",
            query: "Param1=value1",
            signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"
        ),
        Vector(
            name: "post-header-key-case",
            method: "POST",
            headers: [("MY-HEADER1", "value1")],
            signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"
        ),
        Vector(
            name: "post-header-value-case",
            method: "POST",
            headers: [("My-Header1", "VALUE1")],
            signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"
        ),
        Vector(
            name: "post-x-www-form-urlencoded",
            method: "POST",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: "Param1=value1",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        ),
    ]

    @Test(arguments: vectors)
    func signsAndVerifiesTheAWSTestSuite(_ vector: Vector) throws {
        var request = vector.request
        Self.suite.sign(&request, date: Self.suiteTime)
        #expect(request.header("x-amz-date") == "20150830T123600Z")
        let authorization = try #require(request.header("authorization"))
        #expect(
            authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ")
        )
        #expect(authorization.hasSuffix(", Signature=\(vector.signature)"))
        #expect(try Self.suiteVerifier.verify(request, now: Self.suiteTime) == "AKIDEXAMPLE")
    }

    @Test func getVanillaHasThePublishedAuthorizationHeader() throws {
        var request = Self.vectors[0].request
        Self.suite.sign(&request, date: Self.suiteTime)
        #expect(
            request.header("Authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        )
    }

    /// A signer keeps the signing key it derived for the next request: across days, secrets and
    /// regions it signs every request as a new signer does.
    @Test func aSignerSigningAgainSignsAsANewOne() {
        let request = Self.vectors[0].request
        var signer = Self.suite
        let changes: [(time: Int64, secret: String, region: String)] = [
            (Self.suiteTime, "secret-1", "us-east-1"), (Self.suiteTime + 60, "secret-1", "us-east-1"),
            (Self.suiteTime + 86_400, "secret-1", "us-east-1"), (Self.suiteTime + 86_400, "secret-2", "us-east-1"),
            (Self.suiteTime + 86_400, "secret-2", "eu-west-3"), (Self.suiteTime, "secret-1", "us-east-1"),
        ]
        for (time, secret, region) in changes {
            signer.credentials.secretAccessKey = secret
            signer.region = region
            var reused = request
            signer.sign(&reused, date: time)
            var fresh = request
            SigV4Signer(credentials: signer.credentials, region: region, service: signer.service).sign(
                &fresh,
                date: time
            )
            #expect(reused.header("authorization") == fresh.header("authorization"))
        }
    }

    // MARK: - Verifier errors

    private static let kinesisSecret = "kinesis-secret"
    private static let kinesisVerifier = SigV4Verifier(lookup: { key in
        switch key {
        case "PLAIN": (secret: kinesisSecret, sessionTokens: nil)
        case "TEMPORARY": (secret: kinesisSecret, sessionTokens: ["token-1", "token-2"])
        default: nil
        }
    })

    /// A PutRecords-like request as boto3 signs it, for `key` (and `token`).
    private static func signedKinesisRequest(
        key: String = "PLAIN",
        token: String? = nil,
        time: Int64 = suiteTime
    ) -> SigV4Request {
        var request = SigV4Request(
            method: "POST",
            headers: [
                ("Host", "localhost:4567"), ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", "Kinesis_20131202.PutRecords"), ("User-Agent", "Boto3/1.43"),
            ],
            body: Array(#"{"StreamName":"s","Records":[]}"#.utf8)
        )
        let signer = SigV4Signer(
            credentials: SigV4Credentials(accessKeyID: key, secretAccessKey: kinesisSecret, sessionToken: token),
            region: "eu-west-3",
            service: "kinesis"
        )
        signer.sign(&request, date: time)
        return request
    }

    private static func replacing(_ name: String, with value: String?, in request: SigV4Request) -> SigV4Request {
        var changed = request
        changed.headers.removeAll { $0.name.lowercased() == name.lowercased() }
        if let value { changed.headers.append((name: name, value: value)) }
        return changed
    }

    private func rejection(_ request: SigV4Request, now: Int64 = suiteTime) throws -> AWSError {
        try #require(throws: AWSError.self) { try Self.kinesisVerifier.verify(request, now: now) }
    }

    @Test func acceptsAValidKinesisRequest() throws {
        let request = Self.signedKinesisRequest()
        #expect(
            request.header("authorization")?.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-target,")
                == true
        )
        #expect(try Self.kinesisVerifier.verify(request, now: Self.suiteTime) == "PLAIN")
        #expect(try Self.kinesisVerifier.verify(request, now: Self.suiteTime + 300) == "PLAIN")
        #expect(try Self.kinesisVerifier.verify(request, now: Self.suiteTime - 300) == "PLAIN")
    }

    @Test func aMissingAuthorizationIsAMissingToken() throws {
        let error = try rejection(Self.replacing("Authorization", with: nil, in: Self.signedKinesisRequest()))
        #expect(
            error == AWSError("MissingAuthenticationTokenException", "Missing Authentication Token", httpStatus: 403)
        )
    }

    @Test(arguments: [
        ("AWS4-HMAC-SHA512 Credential=a/b/c/d/e", "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'"),
        (
            "AWS4-HMAC-SHA256 Credential=PLAIN/20150830/eu-west-3/kinesis/aws4_request, SignedHeaders=host",
            "Authorization header requires 'Signature' parameter."
        ),
        (
            "AWS4-HMAC-SHA256 Signature=abc",
            "Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter."
        ),
        (
            "AWS4-HMAC-SHA256 Credential",
            "Invalid key=value pair (missing equal-sign) in Authorization header: 'Credential'"
        ),
        (
            "AWS4-HMAC-SHA256 Credential=PLAIN/20150830/eu-west-3/kinesis, SignedHeaders=host, Signature=abc",
            "Credential should be of the form <access key>/<yyyymmdd>/<region>/<service>/aws4_request"
        ),
        (
            "AWS4-HMAC-SHA256 Credential=PLAIN/20150830/eu-west-3/kinesis/aws5_request, SignedHeaders=host, Signature=abc",
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."
        ),
        (
            "AWS4-HMAC-SHA256 Credential=PLAIN/20150830/eu-west-3/s3/aws4_request, SignedHeaders=host, Signature=abc",
            "Credential should be scoped to correct service: 'kinesis'."
        ),
        (
            "AWS4-HMAC-SHA256 Credential=PLAIN/20150830//kinesis/aws4_request, SignedHeaders=host, Signature=abc",
            "Credential should be scoped to a valid region, not ''."
        ),
        (
            "AWS4-HMAC-SHA256 Credential=PLAIN/20150831/eu-west-3/kinesis/aws4_request, SignedHeaders=host, Signature=abc",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830'"
        ),
        (
            "AWS4-HMAC-SHA256 Credential=PLAIN/20150830/eu-west-3/kinesis/aws4_request, SignedHeaders=x-amz-date, Signature=abc",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        ),
    ])
    func malformedAuthorizationIsAnIncompleteSignature(_ header: String, _ message: String) throws {
        let error = try rejection(Self.replacing("Authorization", with: header, in: Self.signedKinesisRequest()))
        #expect(error.code == "IncompleteSignatureException")
        #expect(error.httpStatus == 400)
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func aMissingOrMalformedDateIsAnIncompleteSignature() throws {
        let missing = try rejection(Self.replacing("X-Amz-Date", with: nil, in: Self.signedKinesisRequest()))
        #expect(missing.code == "IncompleteSignatureException")
        #expect(
            missing.message.contains(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
            )
        )
        let malformed = try rejection(
            Self.replacing("X-Amz-Date", with: "2015-08-30T12:36:00Z", in: Self.signedKinesisRequest())
        )
        #expect(malformed.code == "IncompleteSignatureException")
        #expect(malformed.message.hasPrefix("Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'."))
        let impossible = try rejection(
            Self.replacing("X-Amz-Date", with: "20150230T123600Z", in: Self.signedKinesisRequest())
        )
        #expect(impossible.code == "IncompleteSignatureException")
    }

    @Test func unknownKeysAndWrongSessionTokensAreUnrecognized() throws {
        let unrecognized = AWSError(
            "UnrecognizedClientException",
            "The security token included in the request is invalid."
        )
        #expect(try rejection(Self.signedKinesisRequest(key: "UNKNOWN")) == unrecognized)
        #expect(try rejection(Self.signedKinesisRequest(key: "TEMPORARY")) == unrecognized)
        #expect(try rejection(Self.signedKinesisRequest(key: "TEMPORARY", token: "token-3")) == unrecognized)
        #expect(
            try Self.kinesisVerifier.verify(
                Self.signedKinesisRequest(key: "TEMPORARY", token: "token-2"),
                now: Self.suiteTime
            ) == "TEMPORARY"
        )
        // A key without tokens ignores one it is sent.
        #expect(
            try Self.kinesisVerifier.verify(Self.signedKinesisRequest(token: "anything"), now: Self.suiteTime)
                == "PLAIN"
        )
    }

    @Test func signaturesOutsideFiveMinutesAreRejected() throws {
        let expired = try rejection(Self.signedKinesisRequest(), now: Self.suiteTime + 301)
        #expect(
            expired
                == AWSError(
                    "InvalidSignatureException",
                    "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T124101Z - 5 min.)"
                )
        )
        let early = try rejection(Self.signedKinesisRequest(), now: Self.suiteTime - 301)
        #expect(
            early
                == AWSError(
                    "InvalidSignatureException",
                    "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T123059Z + 5 min.)"
                )
        )
    }

    @Test func anyChangeToASignedPartIsAMismatch() throws {
        let mismatch = AWSError(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
                + "Key and signing method. Consult the service documentation for details."
        )
        let request = Self.signedKinesisRequest()
        var otherBody = request
        otherBody.payloadHash = SigV4Request.payloadHash(of: Array("{}".utf8))
        var otherPath = request
        otherPath.path = "/other"
        var otherQuery = request
        otherQuery.query = "a=b"
        var otherMethod = request
        otherMethod.method = "PUT"
        for changed in [
            otherBody, otherPath, otherQuery, otherMethod,
            Self.replacing("X-Amz-Target", with: "Kinesis_20131202.DeleteStream", in: request),
            Self.replacing("Host", with: "elsewhere", in: request),
        ] {
            #expect(try rejection(changed) == mismatch)
        }
        // Unsigned headers may change.
        let otherAgent = Self.replacing("User-Agent", with: "curl", in: request)
        #expect(try Self.kinesisVerifier.verify(otherAgent, now: Self.suiteTime) == "PLAIN")
        // A wrong secret.
        let wrongSecret = SigV4Verifier(lookup: { _ in (secret: "other", sessionTokens: nil) })
        #expect(throws: mismatch) { try wrongSecret.verify(request, now: Self.suiteTime) }
    }

    @Test func aSignedUnsignedPayloadLeavesTheBodyOut() throws {
        var request = SigV4Request(
            method: "POST",
            headers: [("Host", "localhost"), ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")],
            payloadHash: "UNSIGNED-PAYLOAD"
        )
        let credentials = SigV4Credentials(accessKeyID: "PLAIN", secretAccessKey: Self.kinesisSecret)
        SigV4Signer(credentials: credentials, region: "us-east-1", service: "kinesis").sign(
            &request,
            date: Self.suiteTime
        )
        // The server passes the hash of the body it received.
        request.payloadHash = SigV4Request.payloadHash(of: Array("{}".utf8))
        #expect(try Self.kinesisVerifier.verify(request, now: Self.suiteTime) == "PLAIN")
        // The header itself is signed.
        let changedHeader = Self.replacing("X-Amz-Content-SHA256", with: request.payloadHash, in: request)
        #expect(try rejection(changedHeader).code == "InvalidSignatureException")
        // Added after signing, it changes nothing: the body still counts.
        var added = Self.replacing("X-Amz-Content-SHA256", with: "UNSIGNED-PAYLOAD", in: Self.signedKinesisRequest())
        #expect(try Self.kinesisVerifier.verify(added, now: Self.suiteTime) == "PLAIN")
        added.payloadHash = request.payloadHash
        #expect(try rejection(added).code == "InvalidSignatureException")
    }

    @Test func presignedRequestsVerifyUntilTheyExpire() throws {
        var request = SigV4Request(
            method: "GET",
            query: "Action=Describe",
            headers: [("Host", "localhost")],
            payloadHash: "UNSIGNED-PAYLOAD"
        )
        let signer = SigV4Signer(
            credentials: SigV4Credentials(
                accessKeyID: "TEMPORARY",
                secretAccessKey: Self.kinesisSecret,
                sessionToken: "token-1"
            ),
            region: "us-east-1",
            service: "kinesis"
        )
        signer.presign(&request, date: Self.suiteTime, expiresSeconds: 3600)
        #expect(request.header("authorization") == nil)
        #expect(request.query.contains("X-Amz-Credential=TEMPORARY%2F20150830%2Fus-east-1%2Fkinesis%2Faws4_request"))
        #expect(try Self.kinesisVerifier.verify(request, now: Self.suiteTime + 3600) == "TEMPORARY")
        let expired = try rejection(request, now: Self.suiteTime + 3601)
        #expect(expired.code == "InvalidSignatureException")
        #expect(expired.message.hasPrefix("Signature expired"))
        var tampered = request
        tampered.query = "Action=Delete" + tampered.query.dropFirst("Action=Describe".count)
        #expect(try rejection(tampered).code == "InvalidSignatureException")
        var incomplete = request
        incomplete.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        #expect(try rejection(incomplete).code == "IncompleteSignatureException")
    }

    @Test func signedRequestsVerifyAndTamperedOnesDoNot() async {
        let word = Gen.letterOrNumber.string(of: 1...12)
        await propertyCheck(
            input: zip(word, word, word, Gen<UInt8>.value(in: 0...255).array(of: 0...200)),
            zip(Gen.bool, Gen.int64(in: 0...4_102_444_800), Gen.int64(in: -300...300), Gen.int(in: 0...3))
        ) { strings, settings in
            let (segment, parameter, headerValue, body) = strings
            let (withToken, time, skew, tamper) = settings
            let token = withToken ? "token-1" : nil
            var request = SigV4Request(
                method: "POST",
                path: "/\(segment)/./x/../\(segment)",
                query: "\(parameter)=\(headerValue)%20v&b=",
                headers: [("Host", "h.example"), ("X-Custom", "  \(headerValue)   \(headerValue) ")],
                body: body
            )
            SigV4Signer(
                credentials: SigV4Credentials(
                    accessKeyID: withToken ? "TEMPORARY" : "PLAIN",
                    secretAccessKey: Self.kinesisSecret,
                    sessionToken: token
                ),
                region: "ap-south-1",
                service: "kinesis"
            ).sign(&request, date: time)
            switch tamper {
            case 0: #expect(throws: Never.self) { try Self.kinesisVerifier.verify(request, now: time + skew) }
            case 1:
                request.payloadHash = SigV4Request.payloadHash(of: body + [0])
                #expect(throws: AWSError.self) { try Self.kinesisVerifier.verify(request, now: time + skew) }
            case 2:
                request.path += "x"
                #expect(throws: AWSError.self) { try Self.kinesisVerifier.verify(request, now: time + skew) }
            default:
                request = Self.replacing("X-Custom", with: headerValue, in: request)
                #expect(throws: AWSError.self) { try Self.kinesisVerifier.verify(request, now: time + skew) }
            }
        }
    }
}
