#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket bound to a free loopback port. Listening, it is a peer that takes connections (the
/// kernel completes them) and never answers, for timeout tests.
final class LoopbackSocket: @unchecked Sendable {
    let port: Int
    private let descriptor: Int32

    init(listening: Bool) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SpawnFailure("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let descriptor = descriptor
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound, !listening || listen(descriptor, 16) == 0 else {
            Glibc.close(descriptor)
            throw SpawnFailure("bind() or listen() on loopback failed: errno \(errno)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        Glibc.close(descriptor)
    }
}
