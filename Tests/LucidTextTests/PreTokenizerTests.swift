@testable import LucidText
import Foundation
import Testing

/// The hand-written regex splitters against HF's `Split(Regex(...), "isolated")`.
@Suite("Pre-tokenizer regex parity")
struct PreTokenizerTests {
    struct Row: Decodable {
        let text: String
        let gpt2: [String]
        let llama3: [String]
        let qwen2: [String]
        let smollm: [String]
    }

    static func rows() throws -> [Row] {
        let text = String(decoding: try Fixtures.data("pretokenize_golden.jsonl"), as: UTF8.self)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
    }

    static func pieces(_ pattern: SplitPattern, _ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return pattern.split(scalars).map { String(String.UnicodeScalarView(scalars[$0])) }
    }

    @Test("GPT-2, Llama-3 and Qwen2 patterns split exactly like Oniguruma")
    func regexPatternsMatchHuggingFace() throws {
        let rows = try Self.rows()
        #expect(rows.count >= 70)
        for row in rows {
            #expect(Self.pieces(.gpt2, row.text) == row.gpt2, "gpt2: \(row.text.debugDescription)")
            #expect(Self.pieces(.llama3, row.text) == row.llama3, "llama3: \(row.text.debugDescription)")
            #expect(Self.pieces(.qwen2, row.text) == row.qwen2, "qwen2: \(row.text.debugDescription)")
        }
    }

    @Test("SmolLM splitting isolates every number scalar before the GPT-2 regex")
    func smollmIsolatesDigitsFirst() throws {
        let pre = PreTokenizer(steps: [.digits(individual: true), .split(.gpt2)])
        for row in try Self.rows() {
            let words = pre.words(Array(row.text.unicodeScalars), atOriginalStart: true)
            #expect(words.map { String(String.UnicodeScalarView($0)) } == row.smollm, "\(row.text.debugDescription)")
        }
    }

    @Test("whitespace before a word leaves its last space to the word")
    func whitespaceRunGivesLastSpaceToWord() {
        #expect(Self.pieces(.gpt2, "a   b") == ["a", "  ", " b"])
        #expect(Self.pieces(.gpt2, "x   ") == ["x", "   "])
        #expect(Self.pieces(.llama3, "a\n\n  b") == ["a", "\n\n", " ", " b"])
    }

    /// Mistral's tekken pattern (scripts/make_tekken_tokenizer_fixtures.py): letter-case words, titlecase and
    /// modifier letters, combining marks as prefix and as letters, single digits, slashes.
    @Test func tekkenSplitsExactlyLikeOniguruma() throws {
        struct TekkenRow: Decodable {
            let text: String
            let tekken: [String]
        }
        let lines = String(decoding: try Fixtures.data("pretokenize_tekken_golden.jsonl"), as: UTF8.self).split(separator: "\n")
        let rows = try lines.map { try JSONDecoder().decode(TekkenRow.self, from: Data($0.utf8)) }
        #expect(rows.count == 109)
        for row in rows {
            #expect(Self.pieces(.tekken, row.text) == row.tekken, "\(row.text.debugDescription)")
        }
        #expect(Self.pieces(.tekken, "HTTPServer isOK") == ["HTTPServer", " is", "OK"])
    }

    @Test("pattern sources from tokenizer.json are recognised verbatim")
    func regexSourcesAreRecognised() {
        #expect(SplitPattern(regexSource: SplitPattern.tekkenSource) == .tekken)
        #expect(SplitPattern(regexSource: SplitPattern.gpt2Source) == .gpt2)
        #expect(SplitPattern(regexSource: SplitPattern.llama3Source) == .llama3)
        #expect(SplitPattern(regexSource: SplitPattern.qwen2Source) == .qwen2)
        #expect(SplitPattern(regexSource: "\\w+") == nil)
    }
}
