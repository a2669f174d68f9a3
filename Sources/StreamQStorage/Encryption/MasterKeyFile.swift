import Crypto
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// A file of named master keys, kept outside the data directory.
///
/// Text, one key per line: `NAME BASE64-OF-32-BYTES`; `#` comments and blank lines are allowed.
/// Names are 1-256 characters from `A-Z a-z 0-9 / _ . : -` (e.g. `alias/logs`). Like an ssh
/// private key, the file must be readable by its owner only: it is created with mode 0600 (its
/// directory 0700) and refused when group or others may access it. A key file inside the data
/// directory is refused too: the keys would travel with every copy of the data they protect.
public struct MasterKeyFile: Sendable {
    /// Where the keys were read from.
    public let path: String
    /// The key names, in file order.
    public let names: [String]
    private let keys: [String: [UInt8]]

    /// Reads and checks the key file at `path`.
    /// - Throws: `.encryptionKeyUnavailable` naming the file when it is missing, unreadable,
    ///   accessible by others or malformed (with the line); `.invalidArgument` when it lies inside
    ///   `dataDirectory`.
    public static func load(_ path: String, dataDirectory: String) throws -> MasterKeyFile {
        try refuseInside(dataDirectory, path)
        let file: FileHandle
        do {
            file = try FileHandle.openForReading(path)
        } catch {
            guard FileSystem.exists(path) else {
                throw StreamQStorageError(.encryptionKeyUnavailable, "master key file \(path) does not exist")
            }
            throw error
        }
        try checkPrivate(file)
        let (names, keys) = try parse(file.read(count: file.size(), at: 0), path: path)
        return MasterKeyFile(path: path, names: names, keys: keys)
    }

    /// Generates a 256-bit key named `name` and appends it to the key file at `path`, creating the
    /// file (mode 0600) and its directory (mode 0700) if needed.
    /// - Throws: `.invalidArgument` for a bad or existing name, or a file inside `dataDirectory`;
    ///   `.encryptionKeyUnavailable` for a file others may access or that is malformed.
    public static func createKey(named name: String, in path: String, dataDirectory: String) throws {
        try validateKeyName(name)
        try refuseInside(dataDirectory, path)
        let directory = FileSystem.parent(of: path)
        try createPrivateDirectories(directory)
        let existed = FileSystem.exists(path)
        let file = try FileHandle.open(path, flags: O_RDWR | O_CREAT, mode: 0o600)
        guard flock(file.descriptor, LOCK_EX) == 0 else { throw StreamQStorageError.io("flock", path) }
        defer { flock(file.descriptor, LOCK_UN) }  // two creators append one after the other
        try checkPrivate(file)
        let contents = try file.read(count: file.size(), at: 0)
        let (_, keys) = try parse(contents, path: path)
        guard keys[name] == nil else { throw StreamQStorageError.invalid("key '\(name)' already exists in \(path)") }
        var text = ""
        if contents.isEmpty {
            text = "# streamq master keys: NAME BASE64-OF-32-BYTES. Keep this file outside the data directory.\n"
        } else if contents.last != UInt8(ascii: "\n") {
            text = "\n"
        }
        let material = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
        text += "\(name) \(material)\n"
        try file.write(Array(text.utf8), at: contents.count)
        try file.sync()
        if !existed { try FileSystem.syncDirectory(directory) }
    }

    /// Checks a key name: 1-256 characters from `A-Z a-z 0-9 / _ . : -`.
    public static func validateKeyName(_ name: String) throws {
        let bytes = Array(name.utf8)
        guard (1...256).contains(bytes.count) else {
            throw StreamQStorageError.invalid("key name must be 1 to 256 characters, got \(bytes.count)")
        }
        for byte in bytes {
            let allowed =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || Array("/_.:-".utf8).contains(byte)
            guard allowed else {
                throw StreamQStorageError.invalid(
                    "key name '\(name)' may only contain letters, digits, '/', '_', '.', ':' and '-'"
                )
            }
        }
    }

    /// The key named `name`, if the file holds one.
    func key(named name: String) -> SymmetricKey? {
        keys[name].map { SymmetricKey(data: $0) }
    }

    private static func parse(_ bytes: [UInt8], path: String) throws -> ([String], [String: [UInt8]]) {
        var names: [String] = []
        var keys: [String: [UInt8]] = [:]
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        for (number, line) in zip(1..., lines) {
            let text = String(line).trimmingWhitespace
            if text.isEmpty || text.hasPrefix("#") { continue }
            func malformed(_ what: String) -> StreamQStorageError {
                StreamQStorageError(.encryptionKeyUnavailable, "master key file \(path) line \(number): \(what)")
            }
            let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 2 else { throw malformed("expected NAME BASE64-OF-32-BYTES") }
            do {
                try validateKeyName(fields[0])
            } catch let error as StreamQStorageError {
                throw malformed(error.message)
            }
            guard let material = Data(base64Encoded: fields[1]), material.count == 32 else {
                throw malformed("key '\(fields[0])' is not 32 bytes in base64")
            }
            guard keys.updateValue(Array(material), forKey: fields[0]) == nil else {
                throw malformed("key '\(fields[0])' appears twice")
            }
            names.append(fields[0])
        }
        return (names, keys)
    }

    /// Refuses a file that group or others may access, as ssh does for private keys.
    private static func checkPrivate(_ file: FileHandle) throws {
        var info = stat()
        guard fstat(file.descriptor, &info) == 0 else { throw StreamQStorageError.io("fstat", file.path) }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw StreamQStorageError(
                .encryptionKeyUnavailable,
                "master key file \(file.path) is accessible by group or others (mode \(String(mode, radix: 8))): "
                    + "run chmod 600 \(file.path)"
            )
        }
    }

    private static func refuseInside(_ dataDirectory: String, _ path: String) throws {
        let directory = resolvedPath(dataDirectory)
        let key = resolvedPath(path)
        guard key != directory, !key.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/") else {
            throw StreamQStorageError.invalid(
                "master key file \(path) lies inside the data directory \(dataDirectory); keep keys apart from the data they protect"
            )
        }
    }

    /// The real path of `path` (symbolic links and `..` resolved), also for a path whose last
    /// components do not exist yet: the deepest existing ancestor is resolved and the rest appended.
    private static func resolvedPath(_ path: String) -> String {
        var existing = path
        if !existing.hasPrefix("/"), let cwd = getcwd(nil, 0) {
            defer { free(cwd) }
            existing = String(cString: cwd) + "/" + existing
        }
        var missing: [String] = []
        while true {
            if let real = realpath(existing, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return missing.isEmpty ? base : (base == "/" ? "" : base) + "/" + missing.joined(separator: "/")
            }
            guard existing != "/", let slash = existing.lastIndex(of: "/") else { return path }
            missing.insert(String(existing[existing.index(after: slash)...]), at: 0)
            existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
        }
    }

    private static func createPrivateDirectories(_ path: String) throws {
        guard !FileSystem.exists(path) else { return }
        try createPrivateDirectories(FileSystem.parent(of: path))
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw StreamQStorageError.io("mkdir", path) }
    }
}
