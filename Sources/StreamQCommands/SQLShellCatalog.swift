import Dispatch
import StreamQRemote
import StreamQSQL
import StreamQStorage
import Synchronization

/// The names `streamq sql` completes: the data directory's (or endpoint's) streams, listed on
/// first need, and each stream's fields, inferred from a sample of `sampleSize` records the first
/// time a statement names the stream. Both are kept for the session; a lookup that fails offers
/// nothing, rather than interrupting the shell, and is tried again on the next Tab.
final class SQLShellCatalog: Sendable {
    static let sampleSize = 200

    private let store: StoreOptions
    private let known = Mutex<(streams: [String]?, fields: [String: [String]])>((nil, [:]))

    init(store: StoreOptions) { self.store = store }

    /// Completion candidates for the statement up to the cursor and the rest of the line. Blocks
    /// while names are looked up: call it from the line editor's thread, never from a Swift
    /// concurrency thread.
    func candidates(before: String, after: String) -> [String] {
        let streams = streamNames()
        var names = SQLCompletion.Names(functions: SQLFunctionNames.all, streams: streams)
        for stream in SQLCompletion.streams(namedIn: before + after, known: streams) {
            names.fields[stream] = fieldNames(stream)
        }
        return SQLCompletion.candidates(before: before, after: after, names: names)
    }

    private func streamNames() -> [String] {
        if let streams = known.withLock({ $0.streams }) { return streams }
        let store = store
        let streams = waitFor {
            if let endpoint = store.remoteEndpoint {
                return try await store.withRemote(endpoint) { try await $0.listStreams() }
            }
            return try await store.withStore(mode: .readOnly) { try $0.listStreams().map(\.rawValue) }
        }
        if let streams { known.withLock { $0.streams = streams } }
        return streams ?? []
    }

    private func fieldNames(_ stream: String) -> [String] {
        if let fields = known.withLock({ $0.fields[stream] }) { return fields }
        let store = store
        let fields = waitFor {
            try await store.withBackend(mode: .readOnly) { backend in
                try await SchemaInference.sample(backend, stream: streamName(stream), limit: Self.sampleSize).fields
                    .map(\.name)
            }
        }
        if let fields { known.withLock { $0.fields[stream] = fields } }
        return fields ?? []
    }

    /// Runs `work` as a task and blocks the calling thread until it ends; nil if it threw.
    private func waitFor<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) -> T? {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let value = try? await work()
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 }
    }
}
