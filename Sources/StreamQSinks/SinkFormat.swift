/// How sink files are encoded.
public enum SinkFormat: String, Sendable, CaseIterable, Codable {
    /// One JSON object per line (the default).
    case jsonl
    /// RFC 4180: a header row, `,` between fields, `"` quoting, CRLF line ends.
    case csv
    /// Apache Parquet, written by streamq: typed optional columns, ZSTD pages, min/max statistics.
    case parquet
}

/// Whole-file compression of JSON-lines and CSV files (Parquet compresses its pages instead).
public enum SinkCompression: String, Sendable, CaseIterable, Codable {
    case none, gzip, zstd
}

extension SinkFormat {
    /// The file-name extension, with the compression's.
    func fileExtension(_ compression: SinkCompression) -> String {
        switch (self, compression) {
        case (.parquet, _): "parquet"
        case (_, .none): rawValue
        case (_, .gzip): rawValue + ".gz"
        case (_, .zstd): rawValue + ".zst"
        }
    }
}
