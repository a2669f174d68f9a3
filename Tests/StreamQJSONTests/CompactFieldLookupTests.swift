import StreamQSampleData
import Testing

@testable import StreamQJSON

/// The compact fast path must answer exactly as the scanner does, or leave the line to it.
@Suite struct CompactFieldLookupTests {
    /// Decided (not left to the scanner) on compact lines, across 64-byte blocks and at their edges.
    @Test func compactLinesAreDecidedWithoutTheScanner() throws {
        for padding in 0..<140 {
            let line =
                #"{"ts":1767225595497,"path":"/\#(String(repeating: "a", count: padding))","n":-1.5e3,"user":"u518"}"#
            #expect(decision(of: "user", in: line) == .decided(.string("u518")), "padding \(padding)")
            #expect(decision(of: "n", in: line) == .decided(.literal("-1.5e3")))
            #expect(decision(of: "missing", in: line) == .decided(nil))
        }
    }

    @Test func linesItDoesNotReadAreLeftToTheScanner() {
        for line in [
            #"{"a": "x","user":"u"}"#,  // whitespace
            #"{"a":"x\"y","user":"u"}"#,  // an escape before the field
            #"{"a":{"user":"nested"},"user":"u"}"#,  // a nested object
            #"{"a":true,"user":"u"}"#,  // a literal
            #"{"user":"tab\there"}"#,  // a control character in the value wanted
            #"{"user":"unterminated"#,
            #" {"user":"u"}"#,
        ] {
            #expect(decision(of: "user", in: line) == .undecided, "\(line)")
        }
    }

    /// Random lines, well formed or broken, compact or not: the lookup (fast path, then the scanner)
    /// and the scanner alone agree on every one, value or error.
    @Test func agreesWithTheScannerOnRandomAndBrokenLines() throws {
        var random = SplitMix64(seed: 0x5EED)
        var decided = 0
        for round in 0..<20_000 {
            var line = Array(randomObject(&random).utf8)
            if round % 3 == 0 { mutate(&line, &random) }
            for field in ["user", "a", "ts", "zz", "", "a-field-name-over-16-bytes"] {
                let both = outcomes(of: field, in: line)
                #expect(both.lookup == both.scanner, "field \(field) in \(String(decoding: line, as: UTF8.self))")
                if case .decided = decision(of: field, in: String(decoding: line, as: UTF8.self)) { decided += 1 }
            }
        }
        #expect(decided > 5_000, "the fast path decided only \(decided) lookups")
    }

    private func decision(of field: String, in line: String) -> Decision {
        Array(line.utf8).withUnsafeBytes { json in
            Array(field.utf8).withUnsafeBytes { wanted in
                switch CompactFieldLookup.value(ofField: wanted, in: json) {
                case .decided(let value): .decided(value)
                case .undecided: .undecided
                }
            }
        }
    }

    private func outcomes(of field: String, in line: [UInt8]) -> (lookup: String, scanner: String) {
        line.withUnsafeBytes { json in
            Array(field.utf8).withUnsafeBytes { wanted in
                func describe(_ body: () throws(JSONFieldLookup.SyntaxError) -> JSONFieldLookup.Value?) -> String {
                    do { return "\(String(describing: try body()))" } catch { return "error: \(error)" }
                }
                return (
                    describe { () throws(JSONFieldLookup.SyntaxError) in
                        try JSONFieldLookup.value(ofField: wanted, in: json)
                    },
                    describe { () throws(JSONFieldLookup.SyntaxError) in
                        try JSONFieldLookup.scannedValue(ofField: wanted, in: json)
                    }
                )
            }
        }
    }

    private enum Decision: Equatable {
        case decided(JSONFieldLookup.Value?)
        case undecided
    }

    /// A flat object (now and then a nested value or a literal), mostly compact, with strings that
    /// sometimes hold escapes, quotes, control characters or non-ASCII text, of any length.
    private func randomObject(_ random: inout SplitMix64) -> String {
        let keys = [
            "ts", "host", "a", "user", "path", "zz", "us", "userx", "u\\u0073er", "", "a-field-name-over-16-bytes",
        ]
        var fields: [String] = []
        for _ in 0..<random.below(9) {
            let key = keys[random.below(keys.count)]
            let value: String
            switch random.below(10) {
            case 0...4: value = "\"" + randomText(&random) + "\""
            case 5, 6: value = ["", "-", "-0.", "1e", "2E+", "-3e-"][random.below(6)] + String(random.below(1 << 40))
            case 7: value = ["true", "false", "null"][random.below(3)]
            case 8: value = #"{"user":"in","b":[1,2]}"#
            default: value = "[\"x\",3]"
            }
            let colon = random.below(8) == 0 ? ": " : ":"
            fields.append("\"\(key)\"\(colon)\(value)")
        }
        let comma = random.below(8) == 0 ? ", " : ","
        return "{" + fields.joined(separator: comma) + "}"
    }

    private func randomText(_ random: inout SplitMix64) -> String {
        let pieces = [
            "web", "/static/app.js", "\\\"", "\\\\", "\\n", "\t", "é", "日本", "\"", String(repeating: "x", count: 70),
        ]
        return (0..<random.below(5)).map { _ in pieces[random.below(pieces.count)] }.joined()
    }

    /// Flips, deletes or inserts a few bytes, or cuts the line short.
    private func mutate(_ line: inout [UInt8], _ random: inout SplitMix64) {
        guard !line.isEmpty else { return }
        let structural: [UInt8] = Array(#"{}[]":,\ 0-+.e"#.utf8)
        for _ in 0...random.below(3) {
            let at = random.below(line.count)
            switch random.below(4) {
            case 0: line[at] = structural[random.below(structural.count)]
            case 1: line.remove(at: at)
            case 2: line.insert(structural[random.below(structural.count)], at: at)
            default: line.removeSubrange(at...)
            }
            if line.isEmpty { return }
        }
    }
}

extension SplitMix64 {
    fileprivate mutating func below(_ bound: Int) -> Int { Int(next(below: UInt64(bound))) }
}
