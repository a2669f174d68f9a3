import Foundation
import Testing

@Suite(.serialized) struct EncryptionCommandTests {
    /// A key file beside (not inside) the scratch data directory.
    func keyFile(_ streamq: CommandRunner) -> String {
        URL(fileURLWithPath: streamq.dataDirectory).deletingLastPathComponent().appendingPathComponent(
            "keys/master.keys"
        ).path
    }

    @Test func anEncryptedStreamWorksLikeAnyOtherThroughTheCommandLine() async throws {
        try await CommandRunner.withScratch { streamq in
            let keys = keyFile(streamq)
            #expect(
                try streamq.succeed("keys", "create", "alias/logs", "--master-key-file", keys)
                    == "created master key alias/logs in \(keys)\n"
            )
            _ = try streamq.succeed("keys", "create", "alias/other", "--master-key-file", keys)
            #expect(try streamq.succeed("keys", "list", "--master-key-file", keys) == "alias/logs\nalias/other\n")
            let material = try String(contentsOfFile: keys, encoding: .utf8)
            #expect(
                !(try streamq.succeed("keys", "list", "--master-key-file", keys)).contains(
                    material.lines[1].split(separator: " ")[1]
                )
            )

            _ = try streamq.succeed(
                "create-stream",
                "logs",
                "--shards",
                "2",
                "--encrypt-with",
                "alias/logs",
                "--master-key-file",
                keys
            )
            let lines = (0..<300).map { #"{"user":"u\#($0 % 7)","status":\#($0 % 3 == 0 ? 500 : 200)}"# }
            let input = lines.joined(separator: "\n") + "\n"
            let put = try streamq.run("put", "logs", "--key-field", "user", "--master-key-file", keys, input: input)
            #expect(put.status == 0, "\(put.stderr)")
            #expect(try streamq.succeed("read", "logs", "--master-key-file", keys).lines.sorted() == lines.sorted())
            #expect(
                try streamq.succeed(
                    "query",
                    "SELECT count(*) AS n FROM logs WHERE status = 500",
                    "--format",
                    "csv",
                    "--master-key-file",
                    keys
                )
                    == "n\r\n100\r\n"
            )

            let table = try streamq.succeed("describe-stream", "logs", "--master-key-file", keys)
            #expect(table.contains("encryption KMS (key alias/logs)\n"))
            let json = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(try streamq.succeed("describe-stream", "logs", "--json", "--master-key-file", keys).utf8)
                )
                    as? [String: Any]
            )
            #expect(json["EncryptionType"] as? String == "KMS")
            #expect(json["KeyId"] as? String == "alias/logs")

            // Start, rotate and stop on a stream that began in plaintext.
            _ = try streamq.succeed("create-stream", "events", "--master-key-file", keys)
            #expect(
                try streamq.succeed("describe-stream", "events", "--master-key-file", keys).contains(
                    "encryption NONE\n"
                )
            )
            _ = try streamq.succeed("put", "events", "--master-key-file", keys, input: "one\n")
            #expect(
                try streamq.succeed("encrypt-stream", "events", "--key-id", "alias/other", "--master-key-file", keys)
                    == "encrypting records written to events with master key alias/other\n"
            )
            _ = try streamq.succeed("put", "events", "--master-key-file", keys, input: "two\n")
            #expect(
                try streamq.succeed("rotate-key", "events", "--master-key-file", keys)
                    == "started a new data key for events\n"
            )
            _ = try streamq.succeed("put", "events", "--master-key-file", keys, input: "three\n")
            #expect(
                try streamq.succeed("decrypt-stream", "events", "--master-key-file", keys)
                    == "records written to events are no longer encrypted\n"
            )
            _ = try streamq.succeed("put", "events", "--master-key-file", keys, input: "four\n")
            #expect(try streamq.succeed("read", "events", "--master-key-file", keys) == "one\ntwo\nthree\nfour\n")
            let described = try streamq.succeed("describe-stream", "events", "--json", "--master-key-file", keys)
            #expect(described.contains(#""EncryptionType" : "NONE""#))
        }
    }

    @Test func aWrongKeyIsAOneLineErrorNamingStreamKeyAndFile() async throws {
        try await CommandRunner.withScratch { streamq in
            let keys = keyFile(streamq)
            _ = try streamq.succeed("keys", "create", "alias/logs", "--master-key-file", keys)
            _ = try streamq.succeed("create-stream", "logs", "--encrypt-with", "alias/logs", "--master-key-file", keys)
            _ = try streamq.succeed("put", "logs", "--master-key-file", keys, input: "secret\n")

            // Same name, other bytes.
            let wrong = URL(fileURLWithPath: keys).deletingLastPathComponent().appendingPathComponent("wrong.keys").path
            _ = try streamq.succeed("keys", "create", "alias/logs", "--master-key-file", wrong)
            for arguments in [["read", "logs"], ["query", "SELECT count(*) FROM logs"]] {
                let outcome = try streamq.run(arguments + ["--master-key-file", wrong], input: nil)
                #expect(outcome.status != 0)
                #expect(outcome.stderr.lines.count == 1, "\(outcome.stderr)")
                #expect(
                    outcome.stderr.hasPrefix(
                        "streamq: error: stream 'logs' needs master key 'alias/logs' from \(wrong)"
                    ),
                    "\(outcome.stderr)"
                )
            }
            let missing = try streamq.run(["read", "logs", "--master-key-file", keys + ".missing"], input: nil)
            #expect(
                missing.stderr.lines == [
                    "streamq: error: stream 'logs' needs master key 'alias/logs': master key file \(keys).missing does not exist"
                ]
            )
            #expect(try streamq.succeed("read", "logs", "--master-key-file", keys) == "secret\n")

            let duplicate = try streamq.run(["keys", "create", "alias/logs", "--master-key-file", keys], input: nil)
            #expect(duplicate.stderr.lines == ["streamq: error: key 'alias/logs' already exists in \(keys)"])
            let inside = try streamq.run(
                ["keys", "create", "k", "--master-key-file", streamq.dataDirectory + "/keys"],
                input: nil
            )
            #expect(inside.status != 0 && inside.stderr.contains("lies inside the data directory"))
        }
    }
}
