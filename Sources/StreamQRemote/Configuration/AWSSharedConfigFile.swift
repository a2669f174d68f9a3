import Foundation

/// One of the AWS shared files, `~/.aws/credentials` or `~/.aws/config`: INI sections of
/// `key = value` lines.
///
/// Keys are compared in lowercase, values are trimmed; lines starting with `#` or `;` are comments,
/// and indented lines (nested settings such as `s3 =` blocks, or continuations) are skipped.
struct AWSSharedConfigFile: Sendable {
    /// Where the file was read from, named in errors.
    let path: String
    /// Settings by section name as written between the brackets (e.g. `profile dev`).
    let sections: [String: [String: String]]

    /// Reads the file at `path`; nil when there is no such file.
    /// - Throws: naming the file, when it exists but cannot be read or is malformed.
    static func load(_ path: String) throws(AWSCredentialError) -> AWSSharedConfigFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw AWSCredentialError("cannot read \(path)")
        }
        return try AWSSharedConfigFile(parsing: String(decoding: contents, as: UTF8.self), path: path)
    }

    /// Parses `text` as the file at `path`.
    /// - Throws: naming the file and line of a setting outside any section or a line that is neither.
    init(parsing text: String, path: String) throws(AWSCredentialError) {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            if let first = rawLine.first, first == " " || first == "\t" { continue }
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else {
                    throw AWSCredentialError("\(path) line \(lineNumber): section header '\(line)' lacks its ']'")
                }
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                current = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw AWSCredentialError(
                    "\(path) line \(lineNumber): expected 'key = value' or '[section]', found '\(line)'"
                )
            }
            guard let section = current else {
                throw AWSCredentialError("\(path) line \(lineNumber): setting before any [section]")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[section, default: [:]][key] = value
        }
        self.path = path
        self.sections = sections
    }
}
