import CEditLine
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Line editing for `streamq sql` on a terminal, through libedit's readline interface: arrow
/// keys, Emacs key bindings (or ~/.editrc), history recall, Ctrl-R incremental history search and
/// Tab completion. This is the only file that touches libedit.
///
/// readline blocks, so it runs on a queue of its own rather than on a Swift concurrency thread;
/// the completion callback may then wait for names the shell looks up asynchronously.
final class LineEditor: Sendable {
    /// Returns the candidates for the word ending at the cursor, given the line up to the cursor
    /// and after it (SQLCompletion.candidates).
    typealias Completer = @Sendable (_ before: String, _ after: String) -> [String]

    private let queue = DispatchQueue(label: "streamq.sql.line-editor")

    /// Sets libedit up and loads `history` (oldest first) for recall.
    init(history: [String]) {
        queue.sync {
            // libedit keeps the word-break string for the life of the process.
            streamq_editline_initialize(attemptCompletion, UnsafePointer(strdup(wordBreakCharacters)))
            for entry in history { add_history(entry) }
        }
    }

    /// Reads one line after showing `prompt`; nil at end of input (Ctrl-D on an empty line).
    func readLine(prompt: String, completer: @escaping Completer) async -> String? {
        await withCheckedContinuation { continuation in
            queue.async {
                completion.withLock { $0 = Completion(completer: completer) }
                guard let line = readline(prompt) else { return continuation.resume(returning: nil) }
                defer { free(line) }
                continuation.resume(returning: String(cString: line))
            }
        }
    }

    /// Makes `entry` the newest history entry for recall.
    func addHistory(_ entry: String) {
        queue.sync { _ = add_history(entry) }
    }
}

/// What the completion callbacks work from: C function pointers cannot capture context.
private struct Completion: Sendable {
    var completer: LineEditor.Completer
    var candidates: [String] = []
    var next = 0
}

private let completion = Mutex<Completion?>(nil)

/// Every ASCII character that cannot be part of an identifier ends the word Tab completes, so
/// libedit's word is the one SQLCompletion replaces.
private let wordBreakCharacters = String(
    (1..<128).map { Character(Unicode.Scalar(UInt8($0))) }.filter { !SQLCompletion.isIdentifierPart($0) }
)

/// rl_attempted_completion_function: `end` counts characters (libedit's wide characters) from the
/// start of the line to the cursor.
private func attemptCompletion(
    _ text: UnsafePointer<CChar>?,
    _ start: Int32,
    _ end: Int32
) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    streamq_editline_completion_done()
    guard let text, let buffer = streamq_editline_buffer(), let completer = completion.withLock({ $0?.completer })
    else { return nil }
    let line = String(cString: buffer).unicodeScalars
    let cursor = line.index(line.startIndex, offsetBy: min(Int(end), line.count))
    let candidates = completer(String(line[..<cursor]), String(line[cursor...]))
    guard !candidates.isEmpty else { return nil }
    completion.withLock {
        $0?.candidates = candidates
        $0?.next = 0
    }
    return rl_completion_matches(text, nextCandidate)
}

/// rl_compentry_func_t: the candidates one by one (malloc'ed; libedit frees them), then NULL.
private func nextCandidate(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
    completion.withLock { state -> UnsafeMutablePointer<CChar>? in
        guard var current = state, current.next < current.candidates.count else { return nil }
        defer {
            current.next += 1
            state = current
        }
        return strdup(current.candidates[current.next])
    }
}
