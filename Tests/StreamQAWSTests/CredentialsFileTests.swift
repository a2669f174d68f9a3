import StreamQAWS
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct CredentialsFileTests {
    private func parse(_ text: String) throws(CredentialsFileError) -> CredentialsFile {
        try CredentialsFile(parsing: Array(text.utf8), path: "creds.txt")
    }

    @Test func parsesKeysWithAndWithoutSessionTokens() throws {
        let file = try parse(
            """
            # streamq credentials

            AKIDPLAIN  plain-secret
            \tAKIDTEMP temp-secret token-1  token-2\r
            """
        )
        #expect(file.entries.count == 2)
        #expect(file.entries["AKIDPLAIN"] == CredentialsFile.Entry(secretAccessKey: "plain-secret", sessionTokens: nil))
        #expect(
            file.entries["AKIDTEMP"]
                == CredentialsFile.Entry(secretAccessKey: "temp-secret", sessionTokens: ["token-1", "token-2"])
        )
        let lookup = file.lookup
        #expect(lookup("AKIDTEMP")?.secret == "temp-secret")
        #expect(lookup("AKIDTEMP")?.sessionTokens == ["token-1", "token-2"])
        #expect(lookup("AKIDOTHER") == nil)
    }

    @Test(arguments: [
        (
            "AKID1 s1\nAKID2\n",
            "credentials file creds.txt line 2: expected ACCESS_KEY_ID SECRET_ACCESS_KEY [SESSION_TOKEN ...], found only 'AKID2'"
        ),
        ("AKID1 s1\n\nAKID1 s2\n", "credentials file creds.txt line 3: access key AKID1 is already defined on line 1"),
        ("# nothing\n\n", "credentials file creds.txt holds no credentials"),
    ])
    func malformedFilesNameTheFileAndLine(_ text: String, _ message: String) throws {
        let error = try #require(throws: CredentialsFileError.self) { try parse(text) }
        #expect(error.description == message)
    }

    @Test func rejectsNonUTF8() throws {
        let error = try #require(throws: CredentialsFileError.self) {
            try CredentialsFile(parsing: [0x41, 0x20, 0xFF], path: "bad.txt")
        }
        #expect(error.message == "credentials file bad.txt is not UTF-8 text")
    }

    @Test func loadsAFileAndNamesAMissingOne() throws {
        let path = "/tmp/streamq-aws-credentials-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt"
        let handle = try #require(fopen(path, "w"))
        fputs("AKID secret token\n", handle)
        fclose(handle)
        defer { unlink(path) }
        let file = try CredentialsFile.load(path)
        #expect(file.path == path)
        #expect(file.entries["AKID"]?.sessionTokens == ["token"])
        let missing = try #require(throws: CredentialsFileError.self) { try CredentialsFile.load(path + ".missing") }
        #expect(missing.message == "cannot open credentials file \(path).missing: No such file or directory")
    }

    @Test func feedsTheVerifier() throws {
        let file = try parse("AKID secret token-1\n")
        var request = SigV4Request(method: "POST", headers: [("Host", "localhost")], body: Array("{}".utf8))
        let credentials = SigV4Credentials(accessKeyID: "AKID", secretAccessKey: "secret", sessionToken: "token-1")
        SigV4Signer(credentials: credentials, region: "us-east-1", service: "kinesis").sign(
            &request,
            date: 1_700_000_000
        )
        #expect(try SigV4Verifier(lookup: file.lookup).verify(request, now: 1_700_000_000) == "AKID")
    }
}
