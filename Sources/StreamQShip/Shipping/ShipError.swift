#if canImport(Glibc)
import Glibc
#endif

/// Why `streamq ship` stopped: a file it could not read, a state directory it could not use, or a
/// destination that refused records for good.
public struct ShipError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// A failed system call, with the errno text.
    static func io(_ operation: String, _ subject: String) -> ShipError {
        let code = errno
        return ShipError("\(operation) \(subject): \(String(cString: strerror(code))) (errno \(code))")
    }
}
