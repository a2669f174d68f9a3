import Foundation
import Testing

@testable import StreamQServer

@Suite struct RequestIDTests {
    /// A request ID reads as a UUID of version 4 and the RFC 4122 variant, in lowercase, and each
    /// is new.
    @Test func isALowercaseRandomUUID() throws {
        let ids = (0..<100).map { _ in RequestID.make() }
        for id in ids {
            let uuid = try #require(UUID(uuidString: id), "\(id)")
            #expect(uuid.uuidString.lowercased() == id)
            #expect(uuid.uuid.6 >> 4 == 4)
            #expect(uuid.uuid.8 >> 6 == 0b10)
        }
        #expect(Set(ids).count == ids.count)
    }
}
