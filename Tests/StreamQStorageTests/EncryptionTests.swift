import Testing

@testable import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

@Suite struct EncryptionTests {
    static let marker = "MARKER-q7Zx-secret-payload"
    let secret = StreamName(rawValue: "secret")!
    let plain = StreamName(rawValue: "plain")!

    /// A data directory and, beside it (outside it), a key file holding `keys`.
    struct Setup {
        var dataDirectory: String
        var keyFile: String

        func configuration(compression: Compression = .zstd(level: 1)) -> StorageConfiguration {
            var configuration = StorageConfiguration.forTesting()
            configuration.compression = compression
            configuration.masterKeyFile = keyFile
            return configuration
        }

        func shardDirectory(_ stream: StreamName, _ shard: Int = 0) -> String {
            dataDirectory + "/streams/\(stream)/shards/" + ShardID(UInt32(shard)).description
        }

        func segments(_ stream: StreamName, _ shard: Int = 0) throws -> [String] {
            try FileSystem.contents(of: shardDirectory(stream, shard)).filter { $0.hasSuffix(".seg") }
                .map { shardDirectory(stream, shard) + "/" + $0 }
        }
    }

    func withSetup<T>(keys: [String] = ["alias/logs"], _ body: (Setup) async throws -> T) async throws -> T {
        try await withTemporaryDirectory { root in
            let setup = Setup(dataDirectory: root + "/data", keyFile: root + "/keys/master.keys")
            for key in keys {
                try MasterKeyFile.createKey(named: key, in: setup.keyFile, dataDirectory: setup.dataDirectory)
            }
            return try await body(setup)
        }
    }

    func markedRecords(_ count: Int, from start: Int = 0) -> [AppendRecord] {
        (start..<(start + count)).map { AppendRecord(partitionKey: "k", data: "\(Self.marker) \($0)") }
    }

    /// Every file under `directory`, recursively.
    func files(under directory: String) throws -> [String] {
        try FileSystem.contents(of: directory).flatMap { name -> [String] in
            let path = directory + "/" + name
            return FileSystem.isDirectory(path) ? try files(under: path) : [path]
        }
    }

    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in
            haystack[start..<(start + needle.count)].elementsEqual(needle)
        }
    }

    /// The batches of a segment file: header, and the data key index of encrypted ones. The
    /// active segment of an open store ends with zeros written ahead of its batches.
    func batches(in path: String) throws -> [(header: BatchHeader, dataKey: UInt32?)] {
        let file = try FileHandle.openForReading(path)
        let bytes = try FileSystem.readFile(path)
        var scanner = SegmentScanner(
            file: file,
            from: SegmentHeader.size,
            limit: bytes.count,
            maxBatchLength: 1 << 24
        )
        var found: [(BatchHeader, UInt32?)] = []
        do {
            while let batch = try scanner.next({ header, payload in
                (header, header.isEncrypted ? payload.loadLittleEndian(at: 0, as: UInt32.self) : nil)
            }) {
                found.append(batch)
            }
        } catch SegmentScanner.Stop.invalid(let position, _, _) where bytes[position...].allSatisfy({ $0 == 0 }) {
            return found
        }
        return found
    }

    /// Writes `bytes` over `path` at `offset`, in place (the open store keeps reading the same file).
    func patch(_ path: String, at offset: Int, with bytes: [UInt8]) throws {
        try FileHandle.open(path, flags: O_WRONLY).write(bytes, at: offset)
    }

    // MARK: Confidentiality

    @Test(arguments: [Compression.none, .zstd(level: 1)])
    func theMarkerNeverAppearsInAnyFileOfAnEncryptedStream(compression: Compression) async throws {
        try await withSetup { setup in
            let store = try StreamStore(
                directory: setup.dataDirectory,
                configuration: setup.configuration(compression: compression)
            )
            try store.createStream(secret, shardCount: 2, encryptWith: "alias/logs")
            try store.createStream(plain, shardCount: 1)
            _ = try await store.append(to: secret, markedRecords(500))
            _ = try await store.append(to: plain, markedRecords(500))
            try await store.close()

            let marker = Array(Self.marker.utf8)
            let secretFiles = try files(under: setup.dataDirectory + "/streams/secret")
            #expect(secretFiles.contains { $0.hasSuffix(".seg") })
            for path in secretFiles {
                #expect(!contains(try FileSystem.readFile(path), marker), "\(path) holds the plaintext marker")
            }
            if compression == .none {  // the check above would find plaintext
                let plainSegments = try files(under: setup.dataDirectory + "/streams/plain").filter {
                    $0.hasSuffix(".seg")
                }
                #expect(try plainSegments.contains { contains(try FileSystem.readFile($0), marker) })
            }

            let reopened = try StreamStore(
                directory: setup.dataDirectory,
                configuration: setup.configuration(compression: compression)
            )
            #expect(
                try readAll(reopened, secret).map(\.text).sorted()
                    == markedRecords(500).map { String(decoding: $0.data, as: UTF8.self) }.sorted()
            )
            #expect(try reopened.describeStream(secret).encryption == StreamEncryption(type: .kms, keyID: "alias/logs"))
            #expect(try reopened.describeStream(plain).encryption == .none)
            try await reopened.close()
        }
    }

    // MARK: Integrity

    @Test func encryptedBatchesAreNeverReturnedAsStored() async throws {
        try await withSetup { setup in
            let store = try StreamStore(directory: setup.dataDirectory, configuration: setup.configuration())
            try store.createStream(secret, shardCount: 1)
            _ = try await store.append(to: secret, markedRecords(20))
            try await store.startEncryption(secret, keyID: "alias/logs")
            _ = try await store.append(to: secret, markedRecords(20, from: 20))
            let start = ShardCursor(stream: secret, shard: ShardID(0), sequence: 0)
            let plain = try #require(try store.storedBatches(start, maxRecords: 100, maxBytes: 10 << 20))
            #expect(plain.run.firstSequence == 0 && plain.run.endSequence == 20)
            #expect(plain.next?.sequence == 20)
            let sealed = ShardCursor(stream: secret, shard: ShardID(0), sequence: 20)
            let found = try store.storedBatches(sealed, maxRecords: 100, maxBytes: 10 << 20)
            #expect(found == nil)
            try await store.close()
        }
    }

    @Test func aFlippedPayloadByteIsReportedWithFileAndOffset() async throws {
        try await withSetup { setup in
            let store = try StreamStore(directory: setup.dataDirectory, configuration: setup.configuration())
            try store.createStream(secret, shardCount: 1, encryptWith: "alias/logs")
            _ = try await store.append(to: secret, markedRecords(20))
            _ = try await store.append(to: secret, markedRecords(20, from: 20))
            let segment = try #require(try setup.segments(secret).first)
            let first = try #require(try batches(in: segment).first)
            let byte = SegmentHeader.size + BatchHeader.size + first.header.payloadLength / 2
            try patch(segment, at: byte, with: [try FileSystem.readFile(segment)[byte] ^ 0x01])

            let error = #expect(throws: StreamQStorageError.self) { try readAll(store, secret) }
            #expect(error?.code == .corruption)
            #expect(
                error?.message == "corruption in \(segment) at byte \(SegmentHeader.size): payload checksum mismatch"
            )
            try await store.close()
        }
    }

    /// Edits that keep both CRCs valid: only authentication can notice them.
    enum Edit: CaseIterable {
        case headerTimestamp, headerProducerSequence, ciphertext, sessionSalt
    }

    @Test(arguments: Edit.allCases)
    func anEditWithBothChecksumsRecomputedFailsAuthentication(edit: Edit) async throws {
        try await withSetup { setup in
            let store = try StreamStore(directory: setup.dataDirectory, configuration: setup.configuration())
            try store.createStream(secret, shardCount: 1, encryptWith: "alias/logs")
            _ = try await store.append(to: secret, markedRecords(20))
            let segment = try #require(try setup.segments(secret).first)
            let bytes = try FileSystem.readFile(segment)
            let length = bytes.withUnsafeBytes { $0.loadLittleEndian(at: SegmentHeader.size + 4, as: UInt32.self) }
            var batch = Array(bytes[SegmentHeader.size..<(SegmentHeader.size + Int(length))])
            switch edit {
            case .headerTimestamp: batch[32] ^= 0x01
            case .headerProducerSequence: batch[64] ^= 0x01
            case .ciphertext: batch[BatchHeader.size + BatchEnvelope.indexLength + BatchEnvelope.saltLength + 3] ^= 0x01
            case .sessionSalt: batch[BatchHeader.size + BatchEnvelope.indexLength] ^= 0x01
            }
            batch.storeLittleEndian(
                batch.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[BatchHeader.size...])) },
                at: 76
            )
            batch.storeLittleEndian(
                batch.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[4..<BatchHeader.size])) },
                at: 0
            )
            try patch(segment, at: SegmentHeader.size, with: batch)

            let error = #expect(throws: StreamQStorageError.self) { try readAll(store, secret) }
            #expect(error?.code == .corruption)
            #expect(
                error?.message
                    == "corruption in \(segment) at byte \(SegmentHeader.size): batch authentication failed: tampered, moved or truncated"
            )
            try await store.close()
        }
    }

    @Test func aBatchMovedToAnotherShardFailsAuthentication() async throws {
        try await withSetup { setup in
            let store = try StreamStore(
                directory: setup.dataDirectory,
                configuration: setup.configuration(compression: .none)
            )
            try store.createStream(secret, shardCount: 2, encryptWith: "alias/logs")
            // Same sizes and sequences in both shards, so the batches are interchangeable byte for byte.
            _ = try await store.append(to: secret, shard: ShardID(0), markedRecords(10, from: 10))
            _ = try await store.append(to: secret, shard: ShardID(1), markedRecords(10, from: 20))
            let source = try #require(try setup.segments(secret, 0).first)
            let target = try #require(try setup.segments(secret, 1).first)
            let moved = Array(try FileSystem.readFile(source)[SegmentHeader.size...])
            #expect(moved.count == (try FileSystem.readFile(target)).count - SegmentHeader.size)
            try patch(target, at: SegmentHeader.size, with: moved)

            #expect(try readAll(store, secret, shard: ShardID(0)).count == 10)
            let error = #expect(throws: StreamQStorageError.self) { try readAll(store, secret, shard: ShardID(1)) }
            #expect(error?.code == .corruption)
            #expect(
                error?.message.contains("\(target) at byte \(SegmentHeader.size): batch authentication failed") == true
            )
            try await store.close()
        }
    }

    // MARK: Start, stop, rotate

    @Test func startRotateAndStopSurviveRestartsAndEveryRecordStaysReadable() async throws {
        try await withSetup(keys: ["alias/logs", "alias/other"]) { setup in
            var store = try StreamStore(directory: setup.dataDirectory, configuration: setup.configuration())
            try store.createStream(logs, shardCount: 1)
            _ = try await store.append(to: logs, records(5, prefix: "a"))
            try await store.startEncryption(logs, keyID: "alias/logs")
            _ = try await store.append(to: logs, records(5, prefix: "b"))
            try await store.rotateDataKey(logs)
            _ = try await store.append(to: logs, records(5, prefix: "c"))
            try await store.close()

            store = try StreamStore(directory: setup.dataDirectory, configuration: setup.configuration())
            #expect(try store.describeStream(logs).encryption == StreamEncryption(type: .kms, keyID: "alias/logs"))
            _ = try await store.append(to: logs, records(5, prefix: "d"))  // still encrypted, under a new session
            try await store.stopEncryption(logs)
            #expect(try store.describeStream(logs).encryption == .none)
            _ = try await store.append(to: logs, records(5, prefix: "e"))
            try await store.close()

            store = try StreamStore(directory: setup.dataDirectory, configuration: setup.configuration())
            _ = try await store.append(to: logs, records(5, prefix: "f"))
            try await store.startEncryption(logs, keyID: "alias/other")
            _ = try await store.append(to: logs, records(5, prefix: "g"))
            let rotateUnencrypted = StreamName(rawValue: "unencrypted")!
            try store.createStream(rotateUnencrypted, shardCount: 1)
            let refused = await #expect(throws: StreamQStorageError.self) {
                try await store.rotateDataKey(rotateUnencrypted)
            }
            #expect(refused?.code == .invalidArgument)
            try await store.close()

            store = try StreamStore(directory: setup.dataDirectory, configuration: setup.configuration())
            let expected = ["a", "b", "c", "d", "e", "f", "g"].flatMap { prefix in
                records(5, prefix: prefix).map { String(decoding: $0.data, as: UTF8.self) }
            }
            #expect(try readAll(store, logs).map(\.text) == expected)
            #expect(try store.describeStream(logs).encryption == StreamEncryption(type: .kms, keyID: "alias/other"))

            let segment = try #require(try setup.segments(logs).first)
            let keys = try batches(in: segment).map(\.dataKey)
            #expect(keys == [nil, 0, 1, 1, nil, nil, 2])
            let metadata = try StreamMetadata.decode(
                FileSystem.readFile(setup.dataDirectory + "/streams/logs/stream.meta"),
                path: "stream.meta"
            )
            #expect(metadata.formatVersion == 2)
            #expect(metadata.encryption?.dataKeys.map(\.masterKeyID) == ["alias/logs", "alias/logs", "alias/other"])
            let plainMetadata = try FileSystem.readFile(setup.dataDirectory + "/streams/unencrypted/stream.meta")
            #expect(try StreamMetadata.decode(plainMetadata, path: "stream.meta").formatVersion == 1)
            try await store.close()
        }
    }

    @Test func appendsQueuedBeforeStartKeepTheOldSettingAndLaterOnesAreEncrypted() async throws {
        try await withSetup { setup in
            let store = try StreamStore(directory: setup.dataDirectory, configuration: setup.configuration())
            try store.createStream(logs, shardCount: 1)
            try store.enqueueAppend(to: logs, shard: ShardID(0), records(50, prefix: "before")) { _ in }
            try await store.startEncryption(logs, keyID: "alias/logs")
            _ = try await store.append(to: logs, shard: ShardID(0), records(50, prefix: "after"))
            #expect(try readAll(store, logs).count == 100)
            let segment = try #require(try setup.segments(logs).first)
            #expect(try batches(in: segment).map(\.dataKey) == [nil, 0])
            try await store.close()
        }
    }

    @Test func aReadOnlyStorePicksUpNewDataKeysFromTheWriter() async throws {
        try await withSetup { setup in
            let writer = try StreamStore(directory: setup.dataDirectory, configuration: setup.configuration())
            try writer.createStream(logs, shardCount: 1, encryptWith: "alias/logs")
            _ = try await writer.append(to: logs, records(3, prefix: "first"))
            let reader = try StreamStore(
                directory: setup.dataDirectory,
                configuration: setup.configuration(),
                mode: .readOnly
            )
            let cursor = try reader.cursor(stream: logs, shard: ShardID(0), at: .trimHorizon)
            #expect(try reader.read(cursor).records.count == 3)

            try await writer.rotateDataKey(logs)
            _ = try await writer.append(to: logs, records(3, prefix: "second"))
            // Read without refreshing the stream first: the batch's new data key is looked up on disk.
            let expected = (records(3, prefix: "first") + records(3, prefix: "second")).map {
                String(decoding: $0.data, as: UTF8.self)
            }
            #expect(try reader.read(cursor).records.map(\.text) == expected)
            #expect(try readAll(reader, logs).map(\.text) == expected)
            try await reader.close()
            try await writer.close()
        }
    }

    // MARK: Keys that cannot be had

    enum KeyProblem: CaseIterable {
        case wrongKey, missingKeyName, missingFile, noFileConfigured
    }

    @Test(arguments: KeyProblem.allCases)
    func aKeyThatCannotBeHadFailsOnlyTheEncryptedStreamAndDeletesNothing(problem: KeyProblem) async throws {
        try await withSetup { setup in
            var store = try StreamStore(directory: setup.dataDirectory, configuration: setup.configuration())
            try store.createStream(secret, shardCount: 1, encryptWith: "alias/logs")
            try store.createStream(plain, shardCount: 1)
            _ = try await store.append(to: secret, markedRecords(10))
            _ = try await store.append(to: plain, records(10))
            try await store.close()
            let segment = try #require(try setup.segments(secret).first)
            // A torn partial batch at the tail: recovery repairs it without any key.
            let original = try FileSystem.readFile(segment)
            try patch(
                segment,
                at: original.count,
                with: Array(original[SegmentHeader.size..<(SegmentHeader.size + 100)])
            )
            let goodKeys = try FileSystem.readFile(setup.keyFile)

            var configuration = setup.configuration()
            switch problem {
            case .wrongKey:
                try FileSystem.remove(setup.keyFile)
                try MasterKeyFile.createKey(named: "alias/logs", in: setup.keyFile, dataDirectory: setup.dataDirectory)
            case .missingKeyName:
                try FileSystem.remove(setup.keyFile)
                try MasterKeyFile.createKey(
                    named: "alias/unrelated",
                    in: setup.keyFile,
                    dataDirectory: setup.dataDirectory
                )
            case .missingFile:
                try FileSystem.remove(setup.keyFile)
            case .noFileConfigured:
                configuration.masterKeyFile = nil
            }
            store = try StreamStore(directory: setup.dataDirectory, configuration: configuration)
            #expect(store.recoveryNotes.count == 1)

            let readError = #expect(throws: StreamQStorageError.self) { try readAll(store, secret) }
            let appendError = await #expect(throws: StreamQStorageError.self) {
                try await store.append(to: secret, records(1))
            }
            for error in [readError, appendError] {
                #expect(error?.code == .encryptionKeyUnavailable)
                let message = error?.message ?? ""
                #expect(message.contains("stream 'secret'") && message.contains("'alias/logs'"), "\(message)")
                if problem == .noFileConfigured {
                    #expect(message.contains("no master key file is configured"), "\(message)")
                } else {
                    #expect(message.contains(setup.keyFile), "\(message)")
                }
            }
            // The plaintext stream keeps working, and nothing of the encrypted one was touched.
            _ = try await store.append(to: plain, records(2, prefix: "more"))
            #expect(try readAll(store, plain).count == 12)
            #expect(try FileSystem.readFile(segment) == original)
            try await store.close()

            // With the right key again, everything is there.
            try? FileSystem.remove(setup.keyFile)
            let restored = try FileHandle.open(setup.keyFile, flags: O_WRONLY | O_CREAT, mode: 0o600)
            try restored.write(goodKeys, at: 0)
            store = try StreamStore(directory: setup.dataDirectory, configuration: setup.configuration())
            _ = try await store.append(to: secret, markedRecords(1, from: 10))
            #expect(try readAll(store, secret).count == 11)
            try await store.close()
        }
    }

    @Test func anUnknownKeyIDIsRefusedBeforeAnythingChanges() async throws {
        try await withSetup { setup in
            let store = try StreamStore(directory: setup.dataDirectory, configuration: setup.configuration())
            let created = #expect(throws: StreamQStorageError.self) {
                try store.createStream(secret, shardCount: 1, encryptWith: "alias/nope")
            }
            #expect(created?.code == .encryptionKeyUnavailable)
            #expect(
                created?.message
                    == "stream 'secret' needs master key 'alias/nope', which \(setup.keyFile) does not hold"
            )
            #expect(try store.listStreams().isEmpty)

            try store.createStream(plain, shardCount: 1)
            let started = await #expect(throws: StreamQStorageError.self) {
                try await store.startEncryption(plain, keyID: "alias/nope")
            }
            #expect(started?.code == .encryptionKeyUnavailable)
            #expect(try store.describeStream(plain).encryption == .none)
            try await store.close()
        }
    }

    // MARK: The key file

    @Test func theKeyFileIsPrivateOutsideTheDataDirectoryAndNamesAreUnique() async throws {
        try await withSetup(keys: []) { setup in
            try MasterKeyFile.createKey(named: "alias/logs", in: setup.keyFile, dataDirectory: setup.dataDirectory)
            try MasterKeyFile.createKey(named: "team:a/b_c.d-e", in: setup.keyFile, dataDirectory: setup.dataDirectory)
            var info = stat()
            #expect(stat(setup.keyFile, &info) == 0 && info.st_mode & 0o777 == 0o600)
            #expect(stat(FileSystem.parent(of: setup.keyFile), &info) == 0 && info.st_mode & 0o777 == 0o700)
            let file = try MasterKeyFile.load(setup.keyFile, dataDirectory: setup.dataDirectory)
            #expect(file.names == ["alias/logs", "team:a/b_c.d-e"])
            #expect(!String(decoding: try FileSystem.readFile(setup.keyFile), as: UTF8.self).contains("\n\n"))

            let duplicate = #expect(throws: StreamQStorageError.self) {
                try MasterKeyFile.createKey(named: "alias/logs", in: setup.keyFile, dataDirectory: setup.dataDirectory)
            }
            #expect(duplicate?.message == "key 'alias/logs' already exists in \(setup.keyFile)")
            for name in ["", "has space", String(repeating: "k", count: 257), "semi;colon"] {
                #expect(throws: StreamQStorageError.self, "\(name)") {
                    try MasterKeyFile.createKey(named: name, in: setup.keyFile, dataDirectory: setup.dataDirectory)
                }
            }

            let inside = #expect(throws: StreamQStorageError.self) {
                try MasterKeyFile.createKey(
                    named: "k",
                    in: setup.dataDirectory + "/sub/../keys",
                    dataDirectory: setup.dataDirectory
                )
            }
            #expect(inside?.message.contains("lies inside the data directory") == true)

            chmod(setup.keyFile, 0o644)
            let open = #expect(throws: StreamQStorageError.self) {
                try MasterKeyFile.load(setup.keyFile, dataDirectory: setup.dataDirectory)
            }
            #expect(
                open?.message
                    == "master key file \(setup.keyFile) is accessible by group or others (mode 644): run chmod 600 \(setup.keyFile)"
            )

            chmod(setup.keyFile, 0o600)
            try patch(
                setup.keyFile,
                at: try FileSystem.readFile(setup.keyFile).count,
                with: Array("# a comment\n\nbroken line here\n".utf8)
            )
            let malformed = #expect(throws: StreamQStorageError.self) {
                try MasterKeyFile.load(setup.keyFile, dataDirectory: setup.dataDirectory)
            }
            #expect(malformed?.message.contains("\(setup.keyFile) line 6: expected NAME BASE64-OF-32-BYTES") == true)
        }
    }

    // MARK: Format

    @Test func encryptedBatchesRoundTripAndTheHeaderStaysCanonical() throws {
        let dataKey = DataKey.random()
        let streamID = Array(repeating: UInt8(7), count: 16)
        let sealer = BatchSealer(dataKey: dataKey.key, index: 4, streamID: streamID, shard: ShardID(2))
        var bytes: [UInt8] = []
        let written = try BatchEncoder(compression: .zstd(level: 1)).encode(
            records(30)[...],
            baseSequence: 900,
            timestamp: 5,
            sealer: sealer,
            appendingTo: &bytes
        )
        #expect(written.isEncrypted && Int(written.batchLength) == bytes.count)
        let header = try bytes.withUnsafeBytes { try BatchHeader.parse($0, maxBatchLength: 1 << 24).get() }
        #expect(header == written)
        #expect(header.authenticatedData == Array(bytes[4..<76]))

        let metadata = StreamMetadata(
            name: "s",
            streamID: String(repeating: "07", count: 16),
            createdAt: 0,
            retentionMilliseconds: 1000,
            generation: 1,
            nextShardNumber: 3,
            shards: []
        )
        let ring = DataKeyRing(
            metadata: metadata,
            masterKeys: MasterKeySource(path: nil, dataDirectory: "/nonexistent")
        )
        ring.add(dataKey, index: 4)
        var decoded: [String] = []
        let problem = try bytes.withUnsafeBytes { raw in
            try BatchDecoder(opener: BatchOpener(keyRing: ring, shard: ShardID(2))).forEachRecord(
                header: header,
                payload: UnsafeRawBufferPointer(rebasing: raw[80...])
            ) {
                decoded.append(String(decoding: $0.data, as: UTF8.self))
                return true
            }
        }
        #expect(problem == nil)
        #expect(decoded == records(30).map { String(decoding: $0.data, as: UTF8.self) })

        // The reserved word is not part of any field: a header with it set is refused outright.
        var reserved = bytes
        reserved[60] = 1
        reserved.storeLittleEndian(
            reserved.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[4..<80])) },
            at: 0
        )
        #expect(throws: BatchHeader.Problem.self) {
            try reserved.withUnsafeBytes { try BatchHeader.parse($0, maxBatchLength: 1 << 24).get() }
        }
    }
}
