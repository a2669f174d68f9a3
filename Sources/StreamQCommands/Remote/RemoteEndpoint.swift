import Foundation
import StreamQAWS
import StreamQRemote

/// Remote mode: with `--endpoint URL` (or `STREAMQ_ENDPOINT`) commands talk the Kinesis API to
/// `streamq serve` on another host, or to Amazon Kinesis itself with `--endpoint aws`, instead of
/// opening a data directory.
enum RemoteEndpoint {
    /// A client for the endpoint the options name, with credentials and region from the AWS chain
    /// (`--profile`, `AWS_*`, `~/.aws`). A `streamq serve` without `--credentials` takes any
    /// signature, so with an explicit endpoint and no AWS credentials anywhere, placeholder ones are used.
    static func client(
        endpoint: String,
        region: String?,
        profile: String?,
        verifyCertificates: Bool
    ) throws
        -> KinesisClient
    {
        let chain = AWSCredentialChain(profile: profile)
        let override = endpoint == "aws" ? nil : endpoint
        var configuration: KinesisClientConfiguration
        do {
            configuration = try KinesisClientConfiguration.resolve(
                chain: chain,
                region: region,
                endpointOverride: override
            )
        } catch let error as AWSCredentialError where override != nil && profile == nil {
            guard (try? chain.credentials()) == nil else { throw CommandFailure(error.description) }
            configuration = KinesisClientConfiguration(
                endpoint: try KinesisEndpoint(region: region ?? "us-east-1", overrideURL: override),
                credentials: SigV4Credentials(accessKeyID: "streamq", secretAccessKey: "streamq")
            )
        } catch let error as AWSCredentialError {
            throw CommandFailure(error.description)
        }
        configuration.verifyCertificates = verifyCertificates
        return KinesisClient(configuration: configuration)
    }

    /// Runs `body` with a client and shuts it down afterwards, turning Kinesis errors into one line.
    static func with<T>(
        endpoint: String,
        region: String?,
        profile: String?,
        verifyCertificates: Bool,
        _ body: (KinesisClient) async throws -> T
    ) async throws -> T {
        let client = try client(
            endpoint: endpoint,
            region: region,
            profile: profile,
            verifyCertificates: verifyCertificates
        )
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            if error is CommandFailure { throw error }
            throw CommandFailure("\(endpoint): \(error)")
        }
    }
}
