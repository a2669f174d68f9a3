#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The access keys a server accepts (`streamq serve --credentials FILE`).
///
/// Text, one credential per line: `ACCESS_KEY_ID SECRET_ACCESS_KEY [SESSION_TOKEN ...]`, separated
/// by spaces or tabs; blank lines and lines starting with `#` are ignored. When session tokens are
/// listed, a request signed with that key must carry one of them in `X-Amz-Security-Token`.
public struct CredentialsFile: Sendable {
    /// One access key's secret and the session tokens it requires.
    public struct Entry: Sendable, Equatable {
        public var secretAccessKey: String
        /// nil when the key needs no session token.
        public var sessionTokens: Set<String>?

        public init(secretAccessKey: String, sessionTokens: Set<String>?) {
            self.secretAccessKey = secretAccessKey
            self.sessionTokens = sessionTokens
        }
    }

    /// Where the credentials were read from.
    public let path: String
    /// The credentials by access key ID.
    public let entries: [String: Entry]

    /// Reads and parses the file at `path`.
    /// - Throws: naming the file, when it cannot be read or a line is malformed.
    public static func load(_ path: String) throws(CredentialsFileError) -> CredentialsFile {
        try CredentialsFile(parsing: readFile(path), path: path)
    }

    /// Parses `contents` as the file at `path` (named in errors).
    /// - Throws: naming the file and line of a malformed or repeated credential, or a file without any.
    public init(parsing contents: [UInt8], path: String) throws(CredentialsFileError) {
        guard let text = UTF8Text.string(contents) else {
            throw CredentialsFileError("credentials file \(path) is not UTF-8 text")
        }
        var entries: [String: Entry] = [:]
        var definedOn: [String: Int] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let fields = line.split { $0 == " " || $0 == "\t" || $0 == "\r" }.map(String.init)
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            guard fields.count >= 2 else {
                throw CredentialsFileError(
                    "credentials file \(path) line \(lineNumber): expected ACCESS_KEY_ID SECRET_ACCESS_KEY "
                        + "[SESSION_TOKEN ...], found only '\(first)'"
                )
            }
            if let earlier = definedOn[first] {
                throw CredentialsFileError(
                    "credentials file \(path) line \(lineNumber): access key \(first) is already defined on line \(earlier)"
                )
            }
            definedOn[first] = lineNumber
            entries[first] = Entry(
                secretAccessKey: fields[1],
                sessionTokens: fields.count > 2 ? Set(fields[2...]) : nil
            )
        }
        guard !entries.isEmpty else { throw CredentialsFileError("credentials file \(path) holds no credentials") }
        self.path = path
        self.entries = entries
    }

    /// The lookup a ``SigV4Verifier`` checks access keys with.
    public var lookup: SigV4Verifier.Lookup {
        let entries = entries
        return { accessKeyID in
            entries[accessKeyID].map { (secret: $0.secretAccessKey, sessionTokens: $0.sessionTokens) }
        }
    }

    private static func readFile(_ path: String) throws(CredentialsFileError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw CredentialsFileError("cannot open credentials file \(path): \(describeErrno())")
        }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw CredentialsFileError("cannot read credentials file \(path): \(describeErrno())")
            }
            if count == 0 { return contents }
            contents += chunk[..<count]
        }
    }

    private static func describeErrno() -> String {
        String(cString: strerror(errno))
    }
}

/// A credentials file that cannot be read or is malformed; the message names the file (and line).
public struct CredentialsFileError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
