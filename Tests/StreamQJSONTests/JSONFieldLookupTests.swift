import Testing

@testable import StreamQJSON

@Suite struct JSONFieldLookupTests {
    func lookup(_ field: String, _ json: String) throws -> JSONFieldLookup.Value? {
        try JSONFieldLookup.value(of: field, in: Array(json.utf8))
    }

    @Test func findsTopLevelFieldsOfEveryType() throws {
        let json = #"{"a":{"user":"nested"},"list":[1,{"x":"]"}],"user":"u42","n":-1.5e3,"ok":true,"none":null}"#
        #expect(try lookup("user", json) == .string("u42"))
        #expect(try lookup("n", json) == .literal("-1.5e3"))
        #expect(try lookup("ok", json) == .literal("true"))
        #expect(try lookup("none", json) == .null)
        #expect(try lookup("list", json) == .literal(#"[1,{"x":"]"}]"#))
        #expect(try lookup("missing", json) == nil)
        #expect(try lookup("x", "{}") == nil)
    }

    @Test func decodesEscapesInKeysAndValues() throws {
        #expect(try lookup("key", #"{"k\u0065y":"a\"b\\c\n\u00e9\ud83d\ude00"}"#) == .string("a\"b\\c\né😀"))
        #expect(try lookup("tab", " {\n\t\"tab\" : \"x\" } ") == .string("x"))
    }

    @Test(arguments: [
        "", "[]", "not json", #"{"a":}"#, #"{"a":1"#, #"{"a" 1}"#, #"{"a":"unterminated}"#, #"{"a":tru}"#, #"{"a":1,}"#,
    ])
    func malformedDocumentsAreReportedWithAnOffset(json: String) {
        #expect(throws: JSONFieldLookup.SyntaxError.self) { try lookup("zzz", json) }
    }

    /// Strings are skipped eight bytes at a time: a quote or escape at every position of strings of
    /// every length around that width must still end the string exactly where JSON says.
    @Test func skippedStringsEndAtTheirClosingQuoteWhereverTheEscapesAre() throws {
        for length in 0..<34 {
            let plain = String(repeating: "é", count: length / 2) + String(repeating: "a", count: length % 2)
            #expect(try lookup("t", #"{"s":"\#(plain)","t":7}"#) == .literal("7"))
            for position in 0...plain.count {
                let index = plain.index(plain.startIndex, offsetBy: position)
                for escape in [#"\""#, #"\\"#, #"\n"#, #"\u0041"#] {
                    var text = plain
                    text.insert(contentsOf: escape, at: index)
                    #expect(try lookup("t", #"{"s":"\#(text)","t":7}"#) == .literal("7"), "\(text)")
                }
                var unterminated = plain
                unterminated.insert(contentsOf: #"\""#, at: index)
                #expect(throws: JSONFieldLookup.SyntaxError.self) { try lookup("zzz", #"{"s":"\#(unterminated)}"#) }
            }
        }
        #expect(throws: JSONFieldLookup.SyntaxError.self) { try lookup("zzz", #"{"s":"ends in a backslash\"#) }
    }

    /// Numbers are skipped a word of digits at a time: runs of digits of every length around that
    /// width, with signs, fractions and exponents, ending at the document's end or before a comma,
    /// must end exactly where JSON says; keys that differ in one byte, or only in length, are told apart.
    @Test func skippedNumbersEndWhereTheyEndAndSimilarKeysDiffer() throws {
        for length in 1..<20 {
            let digits = String((0..<length).map { Character(String($0 % 10)) })
            for number in [digits, "-" + digits, digits + ".5", "1." + digits, digits + "e-7", "-" + digits + "E+12"] {
                #expect(try lookup("t", #"{"n":\#(number),"t":7}"#) == .literal("7"), "\(number)")
                #expect(try lookup("n", #"{"t":7,"n":\#(number)}"#) == .literal(number))
                #expect(try lookup("t", #"{"n":\#(number)}"#) == nil)
                #expect(throws: JSONFieldLookup.SyntaxError.self) { try lookup("t", #"{"n":\#(number)x,"t":7}"#) }
            }
        }
        let keys = #"{"usr":1,"usex":2,"uSer":3,"user_":4,"a_key_of_seventeen":5,"a_key_of_seventeeN":6,"user":8}"#
        #expect(try lookup("user", keys) == .literal("8"))
        #expect(try lookup("a_key_of_seventeeN", keys) == .literal("6"))
        #expect(try lookup("use", keys) == nil)
    }

    @Test func stringsAreEscapedForOutput() {
        #expect(JSONString.quoted("a\"b\\c\n\u{01}é") == #""a\"b\\c\n\u0001é""#)
    }

    @Test func escapesAtEitherEndAndRunsBetweenThemAreKept() {
        #expect(JSONString.quoted("") == #""""#)
        #expect(JSONString.quoted("plain text") == #""plain text""#)
        #expect(JSONString.quoted("\"quoted\"") == #""\"quoted\"""#)
        #expect(JSONString.quoted("\t\r\n") == #""\t\r\n""#)
        #expect(JSONString.quoted("GET \"/a\" 200\u{1F}") == #""GET \"/a\" 200\u001f""#)
        var output: [UInt8] = []
        JSONString.append("a\"b".utf8.reversed(), to: &output)  // not contiguous
        #expect(String(decoding: output, as: UTF8.self) == #""b\"a""#)
    }
}

@Suite struct JSONPathLookupTests {
    func lookup(_ path: [JSONPathStep], _ json: String) throws -> JSONFieldLookup.Value? {
        try Array(json.utf8).withUnsafeBytes { bytes in try JSONFieldLookup.value(at: path, in: bytes) }
    }

    @Test func walksObjectsAndArrays() throws {
        let json = #"{"client":{"ip":"10.0.0.1","geo":{"cc":"DE"}},"tags":["a",{"k":"v"},3],"n":1}"#
        #expect(try lookup([.key("client"), .key("ip")], json) == .string("10.0.0.1"))
        #expect(try lookup([.key("client"), .key("geo"), .key("cc")], json) == .string("DE"))
        #expect(try lookup([.key("tags"), .index(1), .key("k")], json) == .string("v"))
        #expect(try lookup([.key("tags"), .index(2)], json) == .literal("3"))
        #expect(try lookup([.key("tags"), .index(3)], json) == nil)
        #expect(try lookup([.key("n"), .key("x")], json) == nil, "a key into a number is missing, not an error")
        #expect(try lookup([.key("client")], json) == .literal(#"{"ip":"10.0.0.1","geo":{"cc":"DE"}}"#))
        #expect(try lookup([], "[1,2]") == .literal("[1,2]"))
    }
}
