import Foundation
import StreamQAWS

/// Finds AWS credentials and the region the way the AWS CLI and SDKs do, from an environment given
/// as a parameter (so tests need not touch the real `HOME`).
///
/// Credentials: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) unless a
/// profile was named explicitly; then the profile's `aws_access_key_id` / `aws_secret_access_key` /
/// `aws_session_token`, looked up as `[name]` in the credentials file and then as `[profile name]`
/// (`[default]` for the default profile) in the config file. The profile is the explicit one, else
/// `AWS_PROFILE`, else `default`. The files are `~/.aws/credentials` and `~/.aws/config`, or
/// `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`.
///
/// Region: `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's `region` in either file.
public struct AWSCredentialChain: Sendable {
    public var environment: [String: String]
    /// A profile named by the caller (e.g. `--profile`); it takes precedence over the environment's keys.
    public var explicitProfile: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, profile: String? = nil) {
        self.environment = environment
        self.explicitProfile = profile
    }

    /// The profile whose settings are used.
    public var profileName: String {
        explicitProfile ?? nonEmpty("AWS_PROFILE") ?? "default"
    }

    /// The shared credentials file's path.
    public var credentialsFilePath: String {
        nonEmpty("AWS_SHARED_CREDENTIALS_FILE").map(expandHome) ?? expandHome("~/.aws/credentials")
    }

    /// The shared config file's path.
    public var configFilePath: String {
        nonEmpty("AWS_CONFIG_FILE").map(expandHome) ?? expandHome("~/.aws/config")
    }

    /// The credentials to sign with.
    /// - Throws: naming what was looked at, when no source has a complete key pair, or a file is malformed.
    public func credentials() throws(AWSCredentialError) -> SigV4Credentials {
        if explicitProfile == nil, let fromEnvironment = try environmentCredentials() { return fromEnvironment }
        let profile = profileName
        var lookedAt: [String] = []
        for (file, section) in try profileSections() {
            lookedAt.append("[\(section)] in \(file.path)")
            guard let settings = file.sections[section] else { continue }
            let keyID = settings["aws_access_key_id"].flatMap { $0.isEmpty ? nil : $0 }
            let secret = settings["aws_secret_access_key"].flatMap { $0.isEmpty ? nil : $0 }
            switch (keyID, secret) {
            case (let keyID?, let secret?):
                let token = settings["aws_session_token"] ?? settings["aws_security_token"]
                return SigV4Credentials(
                    accessKeyID: keyID,
                    secretAccessKey: secret,
                    sessionToken: token.flatMap { $0.isEmpty ? nil : $0 }
                )
            case (.some, nil):
                throw AWSCredentialError(
                    "profile '\(profile)' in \(file.path) has aws_access_key_id but no aws_secret_access_key"
                )
            case (nil, .some):
                throw AWSCredentialError(
                    "profile '\(profile)' in \(file.path) has aws_secret_access_key but no aws_access_key_id"
                )
            case (nil, nil):
                if let unsupported = Self.unsupportedSources.first(where: { settings[$0] != nil }) {
                    throw AWSCredentialError(
                        "profile '\(profile)' in \(file.path) gets its credentials through \(unsupported), "
                            + "which streamq does not support; give aws_access_key_id and aws_secret_access_key "
                            + "(or the AWS_* variables)"
                    )
                }
            }
        }
        let sources = explicitProfile == nil ? ["AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"] + lookedAt : lookedAt
        throw AWSCredentialError(
            "no AWS credentials for profile '\(profile)': looked at \(sources.joined(separator: ", "))"
        )
    }

    /// The region from the environment or the profile; nil when none names one.
    /// - Throws: when a file exists but is malformed or unreadable.
    public func region() throws(AWSCredentialError) -> String? {
        if let region = nonEmpty("AWS_REGION") ?? nonEmpty("AWS_DEFAULT_REGION") { return region }
        for (file, section) in try profileSections() {
            if let region = file.sections[section]?["region"], !region.isEmpty { return region }
        }
        return nil
    }

    /// Settings that name credential sources this chain does not implement.
    private static let unsupportedSources = [
        "role_arn", "credential_process", "sso_session", "sso_start_url", "web_identity_token_file",
    ]

    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` when both are set; nil when neither is.
    private func environmentCredentials() throws(AWSCredentialError) -> SigV4Credentials? {
        switch (nonEmpty("AWS_ACCESS_KEY_ID"), nonEmpty("AWS_SECRET_ACCESS_KEY")) {
        case (let keyID?, let secret?):
            return SigV4Credentials(
                accessKeyID: keyID,
                secretAccessKey: secret,
                sessionToken: nonEmpty("AWS_SESSION_TOKEN")
            )
        case (.some, nil):
            throw AWSCredentialError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
        case (nil, .some):
            throw AWSCredentialError("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
        case (nil, nil):
            return nil
        }
    }

    /// The files that exist, each with the section that holds the profile in it, credentials file first.
    private func profileSections() throws(AWSCredentialError) -> [(AWSSharedConfigFile, String)] {
        let profile = profileName
        var found: [(AWSSharedConfigFile, String)] = []
        if let credentialsFile = try AWSSharedConfigFile.load(credentialsFilePath) {
            found.append((credentialsFile, profile))
        }
        if let configFile = try AWSSharedConfigFile.load(configFilePath) {
            let section =
                profile == "default" && configFile.sections["profile default"] == nil ? "default" : "profile \(profile)"
            found.append((configFile, section))
        }
        return found
    }

    private func nonEmpty(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    private func expandHome(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = nonEmpty("HOME") else { return path }
        return home + path.dropFirst()
    }
}
