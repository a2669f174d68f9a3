#if canImport(Glibc)
import Glibc
#endif

/// Buffered, unbuffered-on-demand access to stdin, stdout and stderr as bytes.
enum StandardStreams {
    static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        write(&bytes, to: 2)
    }

    static func writeOutput(_ text: String) {
        var bytes = Array(text.utf8)
        write(&bytes, to: 1)
    }

    static func write(_ bytes: inout [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let result = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    return  // e.g. EPIPE when the reader went away; nothing more to say to it
                }
                offset += result
            }
        }
    }

    static var isOutputTerminal: Bool { isatty(1) == 1 }
}

/// Collects output and writes it to stdout in large chunks.
struct OutputBuffer {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(1 << 16) }

    mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func flushIfLarge() { if bytes.count >= 1 << 16 { flush() } }

    mutating func flush() {
        StandardStreams.write(&bytes, to: 1)
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Reads stdin and yields its lines (without the `\n`; a final line without one is yielded too).
struct LineReader {
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var start = 0
    private var end = 0
    private var finished = false
    private let descriptor: Int32

    init(descriptor: Int32 = 0) { self.descriptor = descriptor }

    /// The next line's bytes, or nil at end of input. Before it would wait for more input, it runs
    /// `whenIdle`: the moment to hand on what the caller has buffered.
    mutating func nextLine(whenIdle: () async throws -> Void) async throws -> ArraySlice<UInt8>? {
        while true {
            if let line = takeLine() { return line }
            if finished { return takeRest() }
            if !isInputReady() { try await whenIdle() }
            try fill()
        }
    }

    /// The next line's bytes, or nil at end of input.
    mutating func nextLine() throws -> ArraySlice<UInt8>? {
        while true {
            if let line = takeLine() { return line }
            if finished { return takeRest() }
            try fill()
        }
    }

    /// The next line if the buffer already holds all of it (no read, no wait).
    mutating func bufferedLine() -> ArraySlice<UInt8>? { takeLine() }

    /// A complete line from the buffer, if it holds one.
    private mutating func takeLine() -> ArraySlice<UInt8>? {
        let found = buffer.withUnsafeBytes { raw -> Int? in
            guard start < end, let hit = memchr(raw.baseAddress! + start, 0x0A, end - start) else { return nil }
            return UnsafeRawPointer(hit) - UnsafeRawPointer(raw.baseAddress!)
        }
        guard let newline = found else { return nil }
        defer { start = newline + 1 }
        return buffer[start..<newline]
    }

    /// At end of input: the last line if it had no newline.
    private mutating func takeRest() -> ArraySlice<UInt8>? {
        guard start < end else { return nil }
        defer { start = end }
        return buffer[start..<end]
    }

    /// Reads more input after what is buffered (blocking until some arrives or input ends).
    private mutating func fill() throws {
        if start > 0 {  // move the partial line to the front (in place: a slice of the buffer would copy all of it)
            buffer.withUnsafeMutableBytes { raw in _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
        }
        if end == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(descriptor, raw.baseAddress! + end, raw.count - end)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw CommandFailure("reading stdin failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 { finished = true } else { end += count }
            return
        }
    }

    /// Whether a read would return at once (data or end of input).
    private func isInputReady() -> Bool {
        var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) != 0
    }
}
