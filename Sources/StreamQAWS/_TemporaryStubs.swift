import Foundation

public struct SigV4Request: Sendable {
    public init(method: String, path: String, query: String, headers: [(String, String)], body: [UInt8]) {}
}
public struct SigV4Verifier: Sendable {
    public init(service: String, lookup: @escaping @Sendable (String) -> (String, Set<String>)?) {}
    public func verify(_ request: SigV4Request, now: Date) throws(AWSError) {}
}
public struct EventStreamMessage: Sendable {
    public static func event(type: String, json: [UInt8]) -> EventStreamMessage { EventStreamMessage() }
    public static func exception(type: String, message: String) -> EventStreamMessage { EventStreamMessage() }
    public func encoded() -> [UInt8] { [] }
    public mutating func setContentType(_ type: String) {}
}
public struct CredentialsFile: Sendable {
    public struct Entry: Sendable {
        public var accessKeyID: String
        public var secretAccessKey: String
        public var sessionTokens: [String]
    }
    public var entries: [Entry]
    public static func load(_ path: String) throws -> CredentialsFile { CredentialsFile(entries: []) }
}
