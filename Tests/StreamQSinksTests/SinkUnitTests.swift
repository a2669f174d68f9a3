import StreamQSQL
import StreamQStorage
import Testing

@testable import StreamQSinks

@Suite struct SinkUnitTests {
    @Test func thriftCompactEncodingMatchesTheSpec() {
        var writer = ThriftCompactWriter()
        writer.beginStruct()
        writer.i32(1, 1)  // delta 1, type i32 (5); zigzag(1) = 2
        writer.i64(3, -1)  // delta 2, type i64 (6); zigzag(-1) = 1
        writer.string(20, "a")  // delta 17 > 15: type byte, then zigzag(20) = 40
        writer.bool(21, true)  // delta 1, BOOLEAN_TRUE (1)
        writer.i32List(22, [1, 2])  // list header (2 << 4) | i32
        writer.endStruct()
        #expect(writer.bytes == [0x15, 0x02, 0x26, 0x01, 0x08, 0x28, 0x01, 0x61, 0x11, 0x19, 0x25, 0x02, 0x04, 0x00])
    }

    @Test func definitionLevelsAreRunLengthEncodedWithTheirLength() {
        let encoded = ParquetWriter.definitionLevels([1, 1, 1, 0, 0, 1][...])
        #expect(encoded == [6, 0, 0, 0, 6, 1, 4, 0, 2, 1])
        let long = ParquetWriter.definitionLevels(ArraySlice(repeating: 1, count: 300))
        #expect(long == [3, 0, 0, 0, 0xD8, 0x04, 1], "a run of 300: varint(600)")
    }

    @Test func destinationsRenderHivePartitionsAndRejectEscapes() throws {
        let destination = try SinkDestination(url: "file:///out/results/{stream}/dt={dt}/hr={hr}")
        #expect(destination.root == "/out/results")
        #expect(try destination.render(names: ["stream": "a/b"], time: 1_767_229_200_000) == "a_b/dt=2026-01-01/hr=01")
        #expect(
            try destination.render(names: [:], time: nil)
                == "__none__/dt=__HIVE_DEFAULT_PARTITION__/hr=__HIVE_DEFAULT_PARTITION__"
        )
        let custom = try SinkDestination(url: "file:///out/{window_start:%Y/%m/%d/%H}")
        #expect(try custom.render(names: [:], time: 1_767_229_200_000) == "2026/01/01/01")
        for bad in ["/out", "file://out", "file:///out/../etc", "file:///{dt}", "file:///out/{unknown}"] {
            #expect(throws: SinkError.self, "\(bad)") { try SinkDestination(url: bad) }
        }
    }

    @Test func s3DestinationsSplitBucketPrefixAndTemplate() throws {
        let destination = try SinkDestination(url: "s3://logs/out/access/dt={dt}/hr={hr}")
        #expect(destination.location == .objectStore(bucket: "logs", prefix: "out/access"))
        #expect(destination.root == "s3://logs/out/access" && destination.template == "dt={dt}/hr={hr}")
        #expect(try SinkDestination(url: "s3://logs/{dt}").location == .objectStore(bucket: "logs", prefix: ""))
        #expect(try SinkDestination(url: "s3://logs/a/b/").location == .objectStore(bucket: "logs", prefix: "a/b"))
        #expect(try SinkDestination(url: "file:///out/{dt}").location == .directory("/out"))
        for bad in ["s3://Logs/x", "s3://ab/x", "s3://-logs/x", "s3://logs/a//b/{dt}", "s3://logs/../x"] {
            #expect(throws: SinkError.self, "\(bad)") { try SinkDestination(url: bad) }
        }
    }

    @Test func columnTypesWidenAsSQLDoes() {
        #expect(ColumnType.infer([.integer(1), .null, .integer(2)]) == .bigint)
        #expect(ColumnType.infer([.integer(1), .double(2.5)]) == .double)
        #expect(ColumnType.infer([.timestamp(1), .timestamp(2)]) == .timestamp)
        #expect(ColumnType.infer([.boolean(true), .integer(1)]) == .varchar)
        #expect(ColumnType.infer([SQLValue.null]) == .varchar)
        #expect(
            ColumnType.bigint.accepts(.null) && !ColumnType.bigint.accepts(.double(1))
                && ColumnType.double.accepts(.integer(1))
        )
    }

    @Test func recoveryRemovesWhatNoManifestListsAndReturnsTheLastState() async throws {
        let root = "/tmp/streamq-sink-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileSystem.removeTree(root) }
        let destination = try SinkDestination(url: "file://\(root)/{dt}")
        func sink() -> FileSink {
            FileSink(destination: destination, columns: ["window_start", "n"], options: FileSink.Options())
        }
        let first = sink()
        #expect(try await first.recover() == nil)
        try first.write([[.timestamp(0), .integer(1)]], now: 0)
        try await first.commit(state: Array("one".utf8))
        try first.write([[.timestamp(0), .integer(2)]], now: 1)  // never committed: a crash here
        // A stray finished file.
        try FileSystem.writeAtomically([1, 2, 3], to: root + "/1970-01-01/part-00000007-0000.jsonl")

        let second = sink()
        #expect(try await second.recover() == Array("one".utf8))
        #expect(second.nextCommit == 1)
        let left = try FileSystem.contents(of: root + "/1970-01-01").sorted()
        #expect(left == ["part-00000000-0000.jsonl"], "in-progress and unlisted files are gone")
        let text = String(
            decoding: try FileSystem.readFile(root + "/1970-01-01/part-00000000-0000.jsonl"),
            as: UTF8.self
        )
        #expect(text == #"{"window_start":"1970-01-01T00:00:00.000Z","n":1}"# + "\n")
    }

    @Test func rowsBeyondTheOpenPartitionLimitGoToTheErrorOutput() async throws {
        let root = "/tmp/streamq-sink-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileSystem.removeTree(root) }
        var options = FileSink.Options()
        options.maxOpenPartitions = 2
        let sink = FileSink(
            destination: try SinkDestination(url: "file://\(root)/{hr}"),
            columns: ["window_start"],
            options: options
        )
        _ = try await sink.recover()
        try sink.write((0..<3).map { [SQLValue.timestamp(Int64($0) * 3_600_000)] }, now: 0)
        #expect(sink.statistics.rows == 2)
        #expect(sink.statistics.errors == 1)
        let files = try await sink.commit(state: nil)
        #expect(files.count == 2)
        let errors = String(decoding: try FileSystem.readFile(root + "/_errors/part-00000000.jsonl"), as: UTF8.self)
        #expect(errors.contains("partitions open at once") && errors.contains("1970-01-01T02:00:00.000Z"))
    }
}
