import ArgumentParser
import StreamQAWS
import StreamQRemote
import StreamQStorage

/// `streamq keys`: the master key file that wraps encrypted streams' data keys.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create and list master keys in the master key file (kept outside the data directory).",
        subcommands: [CreateKey.self, ListKeys.self]
    )

    struct CreateKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Generate a 256-bit master key and append it to the key file."
        )

        @OptionGroup var store: StoreOptions
        @Argument(help: "Key id: 1-256 characters from A-Z a-z 0-9 / _ . : - (e.g. alias/logs).") var name: String

        func run() throws {
            let file = store.resolvedMasterKeyFile
            try MasterKeyFile.createKey(named: name, in: file, dataDirectory: store.resolvedDirectory)
            StandardStreams.writeOutput("created master key \(name) in \(file)\n")
        }
    }

    struct ListKeys: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Print the key ids in the key file (never the key material)."
        )

        @OptionGroup var store: StoreOptions

        func run() throws {
            let file = try MasterKeyFile.load(store.resolvedMasterKeyFile, dataDirectory: store.resolvedDirectory)
            StandardStreams.writeOutput(file.names.map { $0 + "\n" }.joined())
        }
    }
}

struct EncryptStream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt-stream",
        abstract: "Encrypt the records written from now on with a new data key wrapped by a master key.",
        discussion: "Like Kinesis StartStreamEncryption: records already stored stay as they are and stay readable."
    )

    @OptionGroup var store: StoreOptions
    @Argument var name: String
    @Option(name: .customLong("key-id"), help: "The master key in the key file, e.g. alias/logs.") var keyID: String

    func run() async throws {
        let name = try streamName(name)
        if let endpoint = store.remoteEndpoint {
            try await store.withRemote(endpoint) {
                try await RemoteAdministration.startEncryption($0, name.rawValue, keyID: keyID)
            }
        } else {
            try await store.withStore { try await $0.startEncryption(name, keyID: keyID) }
        }
        StandardStreams.writeOutput("encrypting records written to \(name) with master key \(keyID)\n")
    }
}

struct DecryptStream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt-stream",
        abstract: "Stop encrypting the records written from now on.",
        discussion: "Like Kinesis StopStreamEncryption: encrypted records stay encrypted and readable with their key."
    )

    @OptionGroup var store: StoreOptions
    @Argument var name: String

    func run() async throws {
        let name = try streamName(name)
        if let endpoint = store.remoteEndpoint {
            try await store.withRemote(endpoint) { client in
                _ = try await client.call(
                    "StopStreamEncryption",
                    .map([
                        "StreamName": .string(name.rawValue), "EncryptionType": .string("KMS"), "KeyId": .string("-"),
                    ])
                )
            }
        } else {
            try await store.withStore { try await $0.stopEncryption(name) }
        }
        StandardStreams.writeOutput("records written to \(name) are no longer encrypted\n")
    }
}

struct RotateKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-key",
        abstract: "Start a new data key, wrapped by the stream's master key, for the records written from now on."
    )

    @OptionGroup var store: StoreOptions
    @Argument var name: String

    func run() async throws {
        let name = try streamName(name)
        try store.refuseRemote("rotate-key")
        try await store.withStore { try await $0.rotateDataKey(name) }
        StandardStreams.writeOutput("started a new data key for \(name)\n")
    }
}
