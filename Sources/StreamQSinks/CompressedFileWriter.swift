internal import CZlib
internal import CZstd
import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// Appends bytes to a new file through an optional streaming compressor (gzip level 6 or zstd
/// level 3), buffering writes; `finish` ends the compressed stream and fsyncs the file.
final class CompressedFileWriter {
    let path: String
    private let file: FileHandle
    private let compression: SinkCompression
    private var pending: [UInt8] = []
    private var output: [UInt8] = []
    private var offset = 0
    private var zstd: OpaquePointer?
    private var gzip: UnsafeMutablePointer<z_stream>?
    /// Bytes handed to `write`, before compression.
    private(set) var uncompressedBytes = 0

    /// Bytes in the file so far (compressed).
    var fileBytes: Int { offset }

    init(path: String, compression: SinkCompression) throws {
        self.path = path
        self.compression = compression
        file = try FileHandle.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC)
        switch compression {
        case .none: break
        case .zstd:
            zstd = ZSTD_createCCtx()
            ZSTD_CCtx_setParameter(zstd, ZSTD_c_compressionLevel, 3)
        case .gzip:
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard streamq_deflate_init_gzip(stream, 6) == Z_OK else {
                stream.deallocate()
                throw SinkError.io("cannot start gzip for \(path)")
            }
            gzip = stream
        }
    }

    deinit {
        if let zstd { ZSTD_freeCCtx(zstd) }
        if let gzip {
            deflateEnd(gzip)
            gzip.deallocate()
        }
    }

    func write(_ bytes: [UInt8]) throws {
        uncompressedBytes += bytes.count
        pending.append(contentsOf: bytes)
        if pending.count >= 1 << 20 { try drain(finishing: false) }
    }

    /// Ends the stream, writes what is left and fsyncs the file.
    func finish() throws {
        try drain(finishing: true)
        try file.sync()
    }

    private func drain(finishing: Bool) throws {
        switch compression {
        case .none:
            output = pending
        case .zstd:
            output.removeAll(keepingCapacity: true)
            var chunk = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
            try pending.withUnsafeBytes { source in
                var input = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
                while true {
                    let (remaining, produced) = try chunk.withUnsafeMutableBytes { target -> (Int, Int) in
                        var out = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                        let result = ZSTD_compressStream2(zstd, &out, &input, finishing ? ZSTD_e_end : ZSTD_e_continue)
                        if streamq_zstd_is_error(result) != 0 { throw SinkError.io("zstd failed for \(path)") }
                        return (result, out.pos)
                    }
                    output.append(contentsOf: chunk[0..<produced])
                    if finishing ? remaining == 0 : input.pos == input.size { break }
                }
            }
        case .gzip:
            output.removeAll(keepingCapacity: true)
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            try pending.withUnsafeMutableBytes { source in
                gzip!.pointee.next_in = source.baseAddress?.assumingMemoryBound(to: Bytef.self)
                gzip!.pointee.avail_in = uInt(source.count)
                while true {
                    let (status, produced) = chunk.withUnsafeMutableBytes { target -> (Int32, Int) in
                        gzip!.pointee.next_out = target.baseAddress!.assumingMemoryBound(to: Bytef.self)
                        gzip!.pointee.avail_out = uInt(target.count)
                        let status = deflate(gzip, finishing ? Z_FINISH : Z_NO_FLUSH)
                        return (status, target.count - Int(gzip!.pointee.avail_out))
                    }
                    guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                        throw SinkError.io("gzip failed for \(path)")
                    }
                    output.append(contentsOf: chunk[0..<produced])
                    if finishing ? status == Z_STREAM_END : gzip!.pointee.avail_in == 0 && produced < chunk.count {
                        break
                    }
                }
            }
        }
        pending.removeAll(keepingCapacity: true)
        if !output.isEmpty {
            try file.write(output, at: offset)
            offset += output.count
        }
    }
}
