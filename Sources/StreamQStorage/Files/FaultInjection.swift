#if DEBUG
import Synchronization

/// Faults a test can make the file layer raise: a `pwrite`, `fdatasync`/`fsync`, `pread` or
/// `ftruncate` on a matching path fails with a chosen errno, a write optionally after storing part
/// of its bytes (a short write, as a filling disk does).
///
/// Exists only in debug builds, which is what tests build; in a release build neither this type
/// nor the file layer's checks are compiled. Faults are process-wide: a test scopes each fault's
/// path predicate to its own temporary directory, runs in a serialized suite, and calls ``reset()``
/// when it is done.
package enum FaultInjection {
    /// The system calls a fault can target.
    package enum Operation: Sendable {
        /// `pwrite`.
        case write
        /// `fdatasync`, `fsync` or `F_FULLFSYNC`, of a file or a directory.
        case sync
        /// `pread`.
        case read
        /// `ftruncate`.
        case truncate
    }

    /// Identifies an injected fault, to remove it or ask how often it fired.
    package struct Token: Hashable, Sendable {
        fileprivate let id: Int
    }

    /// What the file layer does instead of the system call.
    struct Injected: Sendable {
        /// The errno to fail with.
        var errorNumber: Int32
        /// For writes: how many of the bytes are written before the failure.
        var bytesBeforeFailure: Int
    }

    private struct Fault: Sendable {
        var operation: Operation
        var injected: Injected
        var matches: @Sendable (String) -> Bool
        /// Failures left to raise; nil raises one on every matching call until removed.
        var remaining: Int?
        var hits = 0
    }

    private struct State: Sendable {
        var nextID = 0
        var faults: [Int: Fault] = [:]
    }

    /// Lets the file layer skip the lock while no fault is armed (most tests).
    private static let armed = Atomic<Bool>(false)
    private static let state = Mutex(State())

    /// Makes matching calls fail with `errno`.
    /// - Parameters:
    ///   - bytesBeforeFailure: for writes, how many bytes reach the file before the error.
    ///   - times: how many calls fail; nil means every matching call until the fault is removed.
    ///   - matches: which paths the fault applies to; scope it to the test's own directory.
    @discardableResult
    package static func inject(
        _ operation: Operation,
        errno: Int32,
        bytesBeforeFailure: Int = 0,
        times: Int? = 1,
        where matches: @escaping @Sendable (String) -> Bool
    ) -> Token {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            state.faults[state.nextID] = Fault(
                operation: operation,
                injected: Injected(errorNumber: errno, bytesBeforeFailure: bytesBeforeFailure),
                matches: matches,
                remaining: times
            )
            return state.nextID
        }
        armed.store(true, ordering: .releasing)
        return Token(id: id)
    }

    /// Stops a fault ("space was freed"); calls succeed again.
    package static func remove(_ token: Token) {
        state.withLock { _ = $0.faults.removeValue(forKey: token.id) }
    }

    /// How many calls the fault has failed so far.
    package static func hits(_ token: Token) -> Int {
        state.withLock { $0.faults[token.id]?.hits ?? 0 }
    }

    /// Removes every fault.
    package static func reset() {
        state.withLock { $0.faults.removeAll() }
        armed.store(false, ordering: .releasing)
    }

    /// The failure to raise instead of `operation` on `path`, if a fault applies; consumes one use.
    static func fault(for operation: Operation, path: String) -> Injected? {
        guard armed.load(ordering: .acquiring) else { return nil }
        return state.withLock { state in
            for id in state.faults.keys.sorted() {
                guard var fault = state.faults[id], fault.operation == operation, fault.remaining != 0,
                    fault.matches(path)
                else { continue }
                fault.hits += 1
                fault.remaining = fault.remaining.map { $0 - 1 }
                state.faults[id] = fault
                return fault.injected
            }
            return nil
        }
    }
}
#endif
