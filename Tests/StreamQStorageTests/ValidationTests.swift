import Testing

@testable import StreamQStorage

@Suite struct ValidationTests {
    @Test(arguments: ["", ".", "..", "a/b", "../etc", "white space", "naïve", String(repeating: "x", count: 129)])
    func badStreamNamesAreRefused(name: String) {
        #expect(throws: StreamQStorageError.self) { try StreamName(validating: name) }
    }

    @Test(arguments: ["a", "logs", "app.events-2026_v1", "...", String(repeating: "x", count: 128)])
    func goodStreamNamesAreAccepted(name: String) throws {
        #expect(try StreamName(validating: name).rawValue == name)
    }

    @Test func invalidRecordsAreRefusedAndNothingIsWritten() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = StorageConfiguration.forTesting()
            configuration.maxRecordBytes = 100
            let store = try StreamStore(directory: directory, configuration: configuration)
            try store.createStream(logs, shardCount: 1)
            let good = AppendRecord(partitionKey: "k", data: "ok")
            for bad in [
                AppendRecord(partitionKey: "", data: "empty key"),
                AppendRecord(partitionKey: String(repeating: "k", count: 257), data: "long key"),
                AppendRecord(partitionKey: "k", data: [UInt8](repeating: 1, count: 101)),
            ] {
                let error = await #expect(throws: StreamQStorageError.self) {
                    try await store.append(to: logs, [good, bad])
                }
                #expect(error?.message.hasPrefix("record 1:") == true)
            }
            _ = try await store.append(
                to: logs,
                [
                    AppendRecord(
                        partitionKey: String(repeating: "é", count: 256),
                        data: [UInt8](repeating: 1, count: 100)
                    )
                ]
            )
            #expect(try readAll(store, logs).count == 1, "only the valid append was stored")
            try await store.close()
        }
    }

    @Test func badStreamSettingsAreRefused() async throws {
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            #expect(throws: StreamQStorageError.self) { try store.createStream(logs, shardCount: 0) }
            #expect(throws: StreamQStorageError.self) {
                try store.createStream(logs, shardCount: 1, retention: .milliseconds(10))
            }
            #expect(throws: StreamQStorageError.self) {
                try store.createStream(logs, shardCount: 1, retention: .seconds(366 * 86400))
            }
            try store.createStream(logs, shardCount: 1)
            let duplicate = #expect(throws: StreamQStorageError.self) { try store.createStream(logs, shardCount: 1) }
            #expect(duplicate?.code == .streamExists)
            let missing = #expect(throws: StreamQStorageError.self) {
                try store.describeStream(StreamName(rawValue: "nope")!)
            }
            #expect(missing?.code == .streamNotFound)
            try await store.close()
        }
    }

    @Test func badConfigurationsAreRefusedOnOpen() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = StorageConfiguration.forTesting()
            configuration.compression = .zstd(level: 40)
            #expect(throws: StreamQStorageError.self) {
                try StreamStore(directory: directory, configuration: configuration)
            }
            configuration = .forTesting(segmentBytes: 2 << 30)
            #expect(throws: StreamQStorageError.self) {
                try StreamStore(directory: directory, configuration: configuration)
            }
        }
    }

    @Test func fsyncPoliciesParse() {
        #expect(FsyncPolicy(parsing: "always") == .always)
        #expect(FsyncPolicy(parsing: "never") == .never)
        #expect(FsyncPolicy(parsing: "interval:100") == .interval(.milliseconds(100)))
        #expect(FsyncPolicy(parsing: "interval:2s") == .interval(.seconds(2)))
        #expect(FsyncPolicy(parsing: "interval:0") == nil)
        #expect(FsyncPolicy(parsing: "sometimes") == nil)
    }

    @Test func aClosedStoreRefusesWork() async throws {
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 1)
            try await store.close()
            let error = await #expect(throws: StreamQStorageError.self) { try await store.append(to: logs, records(1)) }
            #expect(error?.code == .closed)
            // The lock is released: the directory opens again.
            let reopened = try StreamStore(directory: directory, configuration: .forTesting())
            try await reopened.close()
        }
    }
}
