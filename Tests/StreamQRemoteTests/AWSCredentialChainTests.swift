import Foundation
import StreamQAWS
import StreamQRemote
import Testing

@Suite struct AWSCredentialChainTests {
    /// A scratch HOME with `~/.aws/credentials` and `~/.aws/config` holding the given text.
    private func withHome<T>(
        credentials: String? = nil,
        config: String? = nil,
        _ body: (String) throws -> T
    ) throws -> T {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("aws-home-\(UUID().uuidString)")
        let aws = home.appendingPathComponent(".aws")
        try FileManager.default.createDirectory(at: aws, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        if let credentials { try Data(credentials.utf8).write(to: aws.appendingPathComponent("credentials")) }
        if let config { try Data(config.utf8).write(to: aws.appendingPathComponent("config")) }
        return try body(home.path)
    }

    private let sharedCredentials = """
        # comment
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = default-secret

        [dev]
        aws_access_key_id=AKIDDEV
        aws_secret_access_key=dev-secret
        aws_session_token = dev-token
        """

    private let sharedConfig = """
        [default]
        region = eu-west-1
        [profile dev]
        region = ap-southeast-2
        s3 =
          max_concurrent_requests = 10
        [profile ops]
        ; keys in the config file
        aws_access_key_id = AKIDOPS
        aws_secret_access_key = ops-secret
        [profile assumed]
        role_arn = arn:aws:iam::123456789012:role/x
        source_profile = default
        """

    @Test func environmentKeysComeFirst() throws {
        try withHome(credentials: sharedCredentials, config: sharedConfig) { home throws in
            let chain = AWSCredentialChain(environment: [
                "HOME": home, "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret",
                "AWS_SESSION_TOKEN": "env-token", "AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "us-east-2",
            ])
            #expect(
                try chain.credentials()
                    == SigV4Credentials(
                        accessKeyID: "AKIDENV",
                        secretAccessKey: "env-secret",
                        sessionToken: "env-token"
                    )
            )
            #expect(try chain.region() == "us-west-2")
        }
    }

    @Test func defaultProfileFromTheSharedFiles() throws {
        try withHome(credentials: sharedCredentials, config: sharedConfig) { home throws in
            let chain = AWSCredentialChain(environment: ["HOME": home])
            #expect(
                try chain.credentials()
                    == SigV4Credentials(accessKeyID: "AKIDDEFAULT", secretAccessKey: "default-secret")
            )
            #expect(try chain.region() == "eu-west-1")
            let withDefaultRegion = AWSCredentialChain(environment: ["HOME": home, "AWS_DEFAULT_REGION": "us-east-2"])
            #expect(try withDefaultRegion.region() == "us-east-2")
        }
    }

    @Test func namedProfilesFromTheEnvironmentOrExplicitly() throws {
        try withHome(credentials: sharedCredentials, config: sharedConfig) { home throws in
            let fromEnvironment = AWSCredentialChain(environment: ["HOME": home, "AWS_PROFILE": "dev"])
            #expect(
                try fromEnvironment.credentials()
                    == SigV4Credentials(
                        accessKeyID: "AKIDDEV",
                        secretAccessKey: "dev-secret",
                        sessionToken: "dev-token"
                    )
            )
            #expect(try fromEnvironment.region() == "ap-southeast-2")
            // An explicit profile wins over AWS_PROFILE and over the environment's keys.
            let explicit = AWSCredentialChain(
                environment: [
                    "HOME": home, "AWS_PROFILE": "dev", "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "x",
                ],
                profile: "ops"
            )
            #expect(
                try explicit.credentials() == SigV4Credentials(accessKeyID: "AKIDOPS", secretAccessKey: "ops-secret")
            )
            #expect(try explicit.region() == nil)
        }
    }

    @Test func fileOverridesFromTheEnvironment() throws {
        try withHome { home in
            let credentialsPath = home + "/elsewhere-credentials"
            let configPath = home + "/elsewhere-config"
            try Data("[default]\naws_access_key_id = AKIDMOVED\naws_secret_access_key = moved\n".utf8)
                .write(to: URL(fileURLWithPath: credentialsPath))
            try Data("[default]\nregion = sa-east-1\n".utf8).write(to: URL(fileURLWithPath: configPath))
            let chain = AWSCredentialChain(environment: [
                "HOME": home, "AWS_SHARED_CREDENTIALS_FILE": credentialsPath, "AWS_CONFIG_FILE": configPath,
            ])
            #expect(try chain.credentials().accessKeyID == "AKIDMOVED")
            #expect(try chain.region() == "sa-east-1")
        }
    }

    @Test func errorsNameTheFilesAndWhatIsMissing() throws {
        try withHome(credentials: "[dev]\naws_access_key_id = AKIDHALF\n", config: sharedConfig) { home throws in
            let half = AWSCredentialChain(environment: ["HOME": home], profile: "dev")
            let halfError = try #require(throws: AWSCredentialError.self) { try half.credentials() }
            #expect(
                halfError.message
                    == "profile 'dev' in \(home)/.aws/credentials has aws_access_key_id but no aws_secret_access_key"
            )

            let missing = AWSCredentialChain(environment: ["HOME": home], profile: "nope")
            let missingError = try #require(throws: AWSCredentialError.self) { try missing.credentials() }
            #expect(
                missingError.message
                    == "no AWS credentials for profile 'nope': looked at [nope] in \(home)/.aws/credentials, "
                    + "[profile nope] in \(home)/.aws/config"
            )

            let assumed = AWSCredentialChain(environment: ["HOME": home], profile: "assumed")
            let assumedError = try #require(throws: AWSCredentialError.self) { try assumed.credentials() }
            #expect(assumedError.message.contains("role_arn"))

            let onlyKey = AWSCredentialChain(environment: ["HOME": home, "AWS_ACCESS_KEY_ID": "AKID"])
            let onlyKeyError = try #require(throws: AWSCredentialError.self) { try onlyKey.credentials() }
            #expect(onlyKeyError.message == "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
        }
        try withHome(credentials: "aws_access_key_id = AKID\n[default]\n") { home throws in
            let error = try #require(throws: AWSCredentialError.self) {
                try AWSCredentialChain(environment: ["HOME": home]).credentials()
            }
            #expect(error.message == "\(home)/.aws/credentials line 1: setting before any [section]")
        }
    }

    @Test func configurationNeedsARegionUnlessAnEndpointIsGiven() throws {
        try withHome(credentials: sharedCredentials) { home throws in
            let chain = AWSCredentialChain(environment: ["HOME": home])
            let error = try #require(throws: AWSCredentialError.self) {
                try KinesisClientConfiguration.resolve(chain: chain)
            }
            #expect(error.message.contains("no AWS region"))
            let local = try KinesisClientConfiguration.resolve(chain: chain, endpointOverride: "http://127.0.0.1:4567")
            #expect(local.endpoint.region == "us-east-1")
            let explicit = try KinesisClientConfiguration.resolve(chain: chain, region: "eu-north-1")
            #expect(try explicit.endpoint.target(for: "ListStreams").url == "https://kinesis.eu-north-1.amazonaws.com/")
        }
    }
}
