internal import CZstd
import StreamQSQL
import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// Writes one Parquet file: every column OPTIONAL and typed (BOOLEAN, INT64, DOUBLE, UTF8 string,
/// TIMESTAMP in ms, UTC), PLAIN values with RLE definition levels in v1 data pages of about 1 MiB,
/// each page ZSTD-compressed, row groups of up to 1,000,000 rows or 64 MiB, min/max and null-count
/// statistics per column chunk. Layout and field ids follow apache/parquet-format.
final class ParquetWriter {
    struct Column {
        var name: String
        var type: ColumnType
    }

    let path: String
    let columns: [Column]
    private let file: FileHandle
    private var offset = 0
    private var buffers: [ColumnBuffer]
    private var rowsInGroup = 0
    private var rowGroups: [RowGroupMetadata] = []
    private(set) var rowCount = 0
    let rowGroupRows: Int
    static let rowGroupBytes = 64 << 20
    static let pageBytes = 1 << 20

    init(path: String, columns: [Column], rowGroupRows: Int = 1_000_000) throws {
        self.path = path
        self.rowGroupRows = max(1, rowGroupRows)
        self.columns = columns
        file = try FileHandle.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC)
        buffers = columns.map { ColumnBuffer(type: $0.type) }
        try write(Array("PAR1".utf8))
    }

    /// Bytes written so far plus the current row group's buffered values.
    var approximateBytes: Int { offset + buffers.reduce(0) { $0 + $1.byteCount } }

    /// Adds a row (values in column order); the caller has checked `ColumnType.accepts`.
    func append(_ row: [SQLValue]) throws {
        for (index, value) in row.enumerated() { buffers[index].append(value) }
        rowsInGroup += 1
        rowCount += 1
        if rowsInGroup >= rowGroupRows || buffers.reduce(0, { $0 + $1.byteCount }) >= Self.rowGroupBytes {
            try flushRowGroup()
        }
    }

    /// Writes the last row group and the footer, and fsyncs.
    func finish() throws {
        if rowsInGroup > 0 || rowGroups.isEmpty { try flushRowGroup() }
        var footer = ThriftCompactWriter()
        footer.beginStruct()
        footer.i32(1, 1)
        footer.structList(2, count: columns.count + 1) { writer, index in
            if index == 0 {
                writer.string(4, "schema")
                writer.i32(5, Int32(columns.count))
                return
            }
            columns[index - 1].writeSchemaElement(into: &writer)
        }
        footer.i64(3, Int64(rowCount))
        footer.structList(4, count: rowGroups.count) { writer, index in
            rowGroups[index].write(into: &writer, columns: columns)
        }
        footer.string(6, "streamq")
        footer.endStruct()
        let metadata = footer.bytes
        var length = UInt32(metadata.count).littleEndian
        try write(metadata)
        try write(withUnsafeBytes(of: &length) { Array($0) })
        try write(Array("PAR1".utf8))
        try file.sync()
    }

    private func write(_ bytes: [UInt8]) throws {
        try file.write(bytes, at: offset)
        offset += bytes.count
    }

    private func flushRowGroup() throws {
        var chunks: [ColumnChunkMetadata] = []
        var totalBytes = 0
        for index in buffers.indices {
            let chunk = try writeColumnChunk(buffers[index])
            totalBytes += chunk.uncompressedBytes
            chunks.append(chunk)
            buffers[index] = ColumnBuffer(type: columns[index].type)
        }
        rowGroups.append(RowGroupMetadata(columns: chunks, totalBytes: totalBytes, rows: rowsInGroup))
        rowsInGroup = 0
    }

    /// Writes a column's values as data pages; returns its metadata.
    private func writeColumnChunk(_ buffer: ColumnBuffer) throws -> ColumnChunkMetadata {
        var uncompressed = 0
        var compressed = 0
        var row = 0
        let rows = buffer.definitionLevels.count
        // Strings are dictionary-encoded when that is smaller: a PLAIN dictionary page, then data
        // pages of bit-packed indices.
        let dictionary = buffer.type == .varchar ? DictionaryEncoding(buffer.strings) : nil
        var dictionaryOffset: Int?
        if let dictionary {
            dictionaryOffset = offset
            var body: [UInt8] = []
            for value in dictionary.values {
                var length = UInt32(value.utf8.count).littleEndian
                withUnsafeBytes(of: &length) { body.append(contentsOf: $0) }
                body.append(contentsOf: value.utf8)
            }
            // DICTIONARY_PAGE
            let (headerBytes, packedBytes) = try writePage(type: 2, headerField: 7, body: body) { page in
                page.i32(1, Int32(dictionary.values.count))
                page.i32(2, 2)  // PLAIN_DICTIONARY: the entries in PLAIN encoding
            }
            uncompressed += headerBytes + body.count
            compressed += headerBytes + packedBytes
        }
        let dataStart = offset
        var valueIndex = 0
        repeat {
            // A page holds rows until its values pass about pageBytes.
            var end = row
            var size = 0
            while end < rows && (size < Self.pageBytes || end == row) {
                size += buffer.valueSize(row: end)
                end += 1
            }
            var body = Self.definitionLevels(buffer.definitionLevels[row..<end])
            let present = buffer.definitionLevels[row..<end].reduce(0) { $0 + Int($1) }
            if let dictionary {
                dictionary.appendIndices(valueIndex..<(valueIndex + present), to: &body)
            } else {
                buffer.appendPlainValues(values: valueIndex..<(valueIndex + present), to: &body)
            }
            valueIndex += present
            let pageRows = end - row
            let encoding: Int32 = dictionary == nil ? 0 : 8  // PLAIN or RLE_DICTIONARY
            let (headerBytes, packedBytes) = try writePage(type: 0, headerField: 5, body: body) { page in  // DATA_PAGE
                page.i32(1, Int32(pageRows))  // values, nulls included
                page.i32(2, encoding)
                page.i32(3, 3)  // RLE definition levels
                page.i32(4, 3)  // RLE repetition levels (none: flat columns)
            }
            uncompressed += headerBytes + body.count
            compressed += headerBytes + packedBytes
            row = end
        } while row < rows
        return ColumnChunkMetadata(
            dataPageOffset: dataStart,
            dictionaryPageOffset: dictionaryOffset,
            values: rows,
            uncompressedBytes: uncompressed,
            compressedBytes: compressed,
            nullCount: buffer.nullCount,
            minimum: buffer.minimum,
            maximum: buffer.maximum
        )
    }

    /// Compresses `body` and writes it after a page header of `type` whose type-specific header
    /// (field `headerField`) `pageFields` fills; returns the header's size and the compressed body's.
    private func writePage(
        type: Int32,
        headerField: Int16,
        body: [UInt8],
        _ pageFields: (inout ThriftCompactWriter) -> Void
    ) throws -> (Int, Int) {
        let packed = try Self.zstd(body)
        var header = ThriftCompactWriter()
        header.beginStruct()
        header.i32(1, type)
        header.i32(2, Int32(body.count))
        header.i32(3, Int32(packed.count))
        header.structField(headerField, pageFields)
        header.endStruct()
        try write(header.bytes)
        try write(packed)
        return (header.bytes.count, packed.count)
    }

    /// The RLE/bit-packing hybrid encoding of definition levels (bit width 1) with its 4-byte
    /// length, as data page v1 requires: one run per stretch of equal levels.
    static func definitionLevels(_ levels: ArraySlice<UInt8>) -> [UInt8] {
        var runs: [UInt8] = []
        var index = levels.startIndex
        while index < levels.endIndex {
            let level = levels[index]
            var end = index
            while end < levels.endIndex && levels[end] == level { end += 1 }
            var header = UInt64(end - index) << 1
            while header >= 0x80 {
                runs.append(UInt8(header & 0x7F) | 0x80)
                header >>= 7
            }
            runs.append(UInt8(header))
            runs.append(level)
            index = end
        }
        var length = UInt32(runs.count).littleEndian
        return withUnsafeBytes(of: &length) { Array($0) } + runs
    }

    static func zstd(_ bytes: [UInt8]) throws -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        var output = [UInt8](repeating: 0, count: bound)
        let size = bytes.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                ZSTD_compress(target.baseAddress, bound, source.baseAddress, source.count, 3)
            }
        }
        if streamq_zstd_is_error(size) != 0 { throw SinkError.io("zstd failed writing a Parquet page") }
        output.removeLast(bound - size)
        return output
    }
}

/// One column's values in the current row group, with its statistics.
struct ColumnBuffer {
    let type: ColumnType
    var definitionLevels: [UInt8] = []
    var integers: [Int64] = []
    var doubles: [Double] = []
    var booleans: [Bool] = []
    var strings: [String] = []
    var nullCount = 0
    var byteCount = 0
    var minimum: SQLValue = .null
    var maximum: SQLValue = .null

    init(type: ColumnType) { self.type = type }

    mutating func append(_ value: SQLValue) {
        guard !value.isNull else {
            definitionLevels.append(0)
            nullCount += 1
            return
        }
        definitionLevels.append(1)
        var stored = value
        switch (type, value) {
        case (.boolean, .boolean(let flag)):
            booleans.append(flag)
            byteCount += 1
        case (.bigint, .integer(let number)), (.timestamp, .timestamp(let number)):
            integers.append(number)
            byteCount += 8
        case (.double, _):
            let number = value.doubleValue ?? .nan
            doubles.append(number)
            stored = .double(number)
            byteCount += 8
        default:
            let text = RowText.text(value)
            strings.append(text)
            stored = .string(text)
            byteCount += 4 + text.utf8.count
        }
        if minimum.isNull || SQLValue.ordering(stored, minimum) < 0 { minimum = stored }
        if maximum.isNull || SQLValue.ordering(stored, maximum) > 0 { maximum = stored }
    }

    /// The PLAIN size of row `row`'s value (0 for NULL).
    func valueSize(row: Int) -> Int {
        guard definitionLevels[row] == 1 else { return 0 }
        switch type {
        case .varchar: return 12  // an estimate; pages need only be about the target size
        case .boolean: return 1
        default: return 8
        }
    }

    /// Appends the PLAIN encoding of the non-NULL values numbered `values` (in order of appearance).
    func appendPlainValues(values: Range<Int>, to bytes: inout [UInt8]) {
        let count = values.count
        switch type {
        case .boolean:
            var byte: UInt8 = 0
            for (bit, flag) in booleans[values].enumerated() {
                if flag { byte |= 1 << UInt8(bit % 8) }
                if bit % 8 == 7 {
                    bytes.append(byte)
                    byte = 0
                }
            }
            if count % 8 != 0 { bytes.append(byte) }
        case .bigint, .timestamp:
            for var number in integers[values] {
                number = number.littleEndian
                withUnsafeBytes(of: &number) { bytes.append(contentsOf: $0) }
            }
        case .double:
            for number in doubles[values] {
                var bits = number.bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
            }
        case .varchar:
            for text in strings[values] {
                var length = UInt32(text.utf8.count).littleEndian
                withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
                bytes.append(contentsOf: text.utf8)
            }
        }
    }
}

/// What the footer says about one column chunk.
struct ColumnChunkMetadata {
    var dataPageOffset: Int
    var dictionaryPageOffset: Int?
    var values: Int
    var uncompressedBytes: Int
    var compressedBytes: Int
    var nullCount: Int
    var minimum: SQLValue
    var maximum: SQLValue
}

struct RowGroupMetadata {
    var columns: [ColumnChunkMetadata]
    var totalBytes: Int
    var rows: Int

    func write(into writer: inout ThriftCompactWriter, columns schema: [ParquetWriter.Column]) {
        writer.structList(1, count: columns.count) { writer, index in
            let chunk = columns[index]
            let column = schema[index]
            writer.i64(2, 0)  // file_offset: deprecated
            writer.structField(3) { meta in
                meta.i32(1, column.type.physicalType)
                // PLAIN, RLE (+ dictionary encodings)
                meta.i32List(2, chunk.dictionaryPageOffset == nil ? [0, 3] : [2, 3, 8])
                meta.stringList(3, [column.name])
                meta.i32(4, 6)  // ZSTD
                meta.i64(5, Int64(chunk.values))
                meta.i64(6, Int64(chunk.uncompressedBytes))
                meta.i64(7, Int64(chunk.compressedBytes))
                meta.i64(9, Int64(chunk.dataPageOffset))
                if let dictionaryOffset = chunk.dictionaryPageOffset { meta.i64(11, Int64(dictionaryOffset)) }
                meta.structField(12) { statistics in
                    statistics.i64(3, Int64(chunk.nullCount))
                    if let maximum = column.type.statisticsBytes(chunk.maximum),
                        let minimum = column.type.statisticsBytes(chunk.minimum)
                    {
                        statistics.binary(5, maximum)
                        statistics.binary(6, minimum)
                    }
                }
            }
        }
        writer.i64(2, Int64(totalBytes))
        writer.i64(3, Int64(rows))
    }
}

extension ParquetWriter.Column {
    func writeSchemaElement(into writer: inout ThriftCompactWriter) {
        writer.i32(1, type.physicalType)
        writer.i32(3, 1)  // OPTIONAL
        writer.string(4, name)
        switch type {
        case .varchar:
            writer.i32(6, 0)  // UTF8
            writer.structField(10) { logical in logical.structField(1) { _ in } }  // STRING
        case .timestamp:
            writer.i32(6, 9)  // TIMESTAMP_MILLIS
            writer.structField(10) { logical in
                logical.structField(8) { timestamp in
                    timestamp.bool(1, true)  // adjusted to UTC
                    timestamp.structField(2) { unit in unit.structField(1) { _ in } }  // MILLIS
                }
            }
        default: break
        }
    }
}

extension ColumnType {
    /// Parquet's physical type: BOOLEAN 0, INT64 2, DOUBLE 5, BYTE_ARRAY 6.
    var physicalType: Int32 {
        switch self {
        case .boolean: 0
        case .bigint, .timestamp: 2
        case .double: 5
        case .varchar: 6
        }
    }

    /// A min/max statistic in PLAIN encoding (strings only when short).
    func statisticsBytes(_ value: SQLValue) -> [UInt8]? {
        switch (self, value) {
        case (.boolean, .boolean(let flag)): return [flag ? 1 : 0]
        case (.bigint, .integer(var number)), (.timestamp, .timestamp(var number)):
            number = number.littleEndian
            return withUnsafeBytes(of: &number) { Array($0) }
        case (.double, .double(let number)):
            guard !number.isNaN else { return nil }
            var bits = number.bitPattern.littleEndian
            return withUnsafeBytes(of: &bits) { Array($0) }
        case (.varchar, .string(let text)) where text.utf8.count <= 256: return Array(text.utf8)
        default: return nil
        }
    }
}

/// A column chunk's distinct strings and each value's index into them, used when that is smaller
/// than the strings themselves (at most 65,536 entries).
struct DictionaryEncoding {
    private(set) var values: [String] = []
    private var indices: [UInt32] = []
    let bitWidth: Int

    /// Nil when dictionary encoding does not pay.
    init?(_ strings: [String]) {
        var positions: [String: UInt32] = [:]
        var plainBytes = 0
        var dictionaryBytes = 0
        indices.reserveCapacity(strings.count)
        for string in strings {
            let length = string.utf8.count
            plainBytes += 4 + length
            if let index = positions[string] {
                indices.append(index)
                continue
            }
            guard values.count < 1 << 16 else { return nil }
            positions[string] = UInt32(values.count)
            indices.append(UInt32(values.count))
            values.append(string)
            dictionaryBytes += 4 + length
        }
        var width = 0
        while (1 << width) < values.count { width += 1 }
        bitWidth = max(1, width)
        guard !strings.isEmpty, dictionaryBytes + strings.count * bitWidth / 8 < plainBytes * 3 / 4 else { return nil }
    }

    /// The bit width byte, then the indices of `values` as bit-packed groups of eight (the
    /// RLE/bit-packing hybrid's packed runs; the last group is padded with zeros).
    func appendIndices(_ range: Range<Int>, to bytes: inout [UInt8]) {
        bytes.append(UInt8(bitWidth))
        guard !range.isEmpty else { return }
        let groups = (range.count + 7) / 8
        var header = UInt64(groups) << 1 | 1
        while header >= 0x80 {
            bytes.append(UInt8(header & 0x7F) | 0x80)
            header >>= 7
        }
        bytes.append(UInt8(header))
        var accumulator: UInt64 = 0
        var bits = 0
        for position in 0..<(groups * 8) {
            let index = range.lowerBound + position
            let value = index < range.upperBound ? UInt64(indices[index]) : 0
            accumulator |= value << UInt64(bits)
            bits += bitWidth
            while bits >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                bits -= 8
            }
        }
        if bits > 0 { bytes.append(UInt8(truncatingIfNeeded: accumulator)) }
    }
}
