internal import CZstd

/// Per-batch payload compression: zstd at a chosen level, reusing one context per writer.
///
/// Not thread-safe: used by one thread at a time (its shard writer, or whichever thread took it
/// from the ``CompressorPool``).
final class ZstdCompressor: @unchecked Sendable {
    private let context: OpaquePointer
    let level: Int32
    /// Where a payload is compressed before its compressed bytes are appended: reused, so no
    /// worst-case-sized output is zeroed per batch.
    private var scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    init(level: Int) {
        self.context = ZSTD_createCCtx()
        self.level = Int32(level)
    }

    deinit {
        ZSTD_freeCCtx(context)
        scratch.deallocate()
    }

    /// Appends the compressed form of `source` to `output`; returns the number of bytes appended.
    func compress(_ source: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws -> Int {
        let bound = ZSTD_compressBound(source.count)
        if scratch.count < bound {
            scratch.deallocate()
            scratch = .allocate(byteCount: bound, alignment: 16)
        }
        let result = ZSTD_compressCCtx(context, scratch.baseAddress, bound, source.baseAddress, source.count, level)
        if streamq_zstd_is_error(result) != 0 {
            throw StreamQStorageError(
                .ioFailure,
                "zstd compression failed: \(String(cString: ZSTD_getErrorName(result)))"
            )
        }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<result]))
        return result
    }
}

/// Decompresses batch payloads, checking the frame against the length the batch header promises.
final class ZstdDecompressor {
    private let context: OpaquePointer

    init() { self.context = ZSTD_createDCtx() }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses `source` into `output` (replacing its contents), which must come to exactly
    /// `expectedLength` bytes. A frame that claims a different size is reported, never trusted.
    func decompress(
        _ source: UnsafeRawBufferPointer,
        expectedLength: Int,
        into output: inout [UInt8]
    ) -> String? {
        var problem: String?
        if output.count < expectedLength {
            // A new buffer is decompressed into as it is made, rather than zero-filled first.
            output = [UInt8](unsafeUninitializedCapacity: expectedLength) { buffer, initialized in
                problem = decompress(source, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = problem == nil ? expectedLength : 0
            }
        } else {
            problem = output.withUnsafeMutableBytes { out in
                decompress(source, into: UnsafeMutableRawBufferPointer(rebasing: out[..<expectedLength]))
            }
        }
        return problem
    }

    /// Decompresses `source` into `output`, which it must fill exactly. A frame that claims a
    /// different size is reported, never trusted.
    func decompress(_ source: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> String? {
        let declared = ZSTD_getFrameContentSize(source.baseAddress, source.count)
        if declared != UInt64(output.count) {
            return "zstd frame declares \(declared) bytes, batch header says \(output.count)"
        }
        let result = ZSTD_decompressDCtx(context, output.baseAddress, output.count, source.baseAddress, source.count)
        if streamq_zstd_is_error(result) != 0 {
            return "zstd: \(String(cString: ZSTD_getErrorName(result)))"
        }
        if result != output.count { return "zstd produced \(result) bytes, expected \(output.count)" }
        return nil
    }
}
