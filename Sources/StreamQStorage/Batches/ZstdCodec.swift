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
        let declared = ZSTD_getFrameContentSize(source.baseAddress, source.count)
        if declared != UInt64(expectedLength) {
            return "zstd frame declares \(declared) bytes, batch header says \(expectedLength)"
        }
        var result = 0
        if output.count < expectedLength {
            // A new buffer is decompressed into as it is made, rather than zero-filled first.
            output = [UInt8](unsafeUninitializedCapacity: expectedLength) { buffer, initialized in
                result = ZSTD_decompressDCtx(
                    context,
                    buffer.baseAddress,
                    expectedLength,
                    source.baseAddress,
                    source.count
                )
                initialized = streamq_zstd_is_error(result) != 0 ? 0 : min(result, expectedLength)
            }
        } else {
            result = output.withUnsafeMutableBytes { out in
                ZSTD_decompressDCtx(context, out.baseAddress, expectedLength, source.baseAddress, source.count)
            }
        }
        if streamq_zstd_is_error(result) != 0 {
            return "zstd: \(String(cString: ZSTD_getErrorName(result)))"
        }
        if result != expectedLength { return "zstd produced \(result) bytes, expected \(expectedLength)" }
        return nil
    }
}
