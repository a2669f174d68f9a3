import PropertyBased
import StreamQAWS
import Testing

@Suite struct Base64Tests {
    static let rfc4648Vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test func encodesAndDecodesTheRFC4648Vectors() {
        for (plain, encoded) in Self.rfc4648Vectors {
            #expect(Base64.encodedString(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
            #expect(Base64.decode(Array(encoded.utf8)) == Array(plain.utf8))
        }
    }

    @Test func decodesEveryByteValue() {
        let bytes = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encodedString(bytes)) == bytes)
        #expect(Base64.decode("+/+/") == [0xFB, 0xFF, 0xBF])
    }

    @Test(arguments: [
        "Zg", "Zg=", "Zm9", "Z===", "====", "=Zm9", "Zg==Zg==", "Zm9v\n", " Zm9v", "Zm-v", "Zm_v", "Zm9vYg=a",
        "Zm9v Zg==",
        "Zm9vé===",
    ])
    func rejectsInvalidText(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test func roundTripsRandomBytes() async {
        await propertyCheck(input: Gen<UInt8>.value(in: 0...255).array(of: 0...300)) { bytes in
            var encoded: [UInt8] = []
            Base64.encode(bytes, into: &encoded)
            #expect(encoded.count == (bytes.count + 2) / 3 * 4)
            #expect(encoded.withUnsafeBytes { Base64.decode($0) } == bytes)
            #expect(Base64.decode(Substring(Base64.encodedString(bytes[...]))) == bytes)
        }
    }
}
