import Foundation
import LucidText
import Testing

/// Small hand-made vocabularies that pin the BPE rules independently of the fixtures.
@Suite("BPE merging rules")
struct BPEModelTests {
    static func tokenizer(vocab: [String: Int], merges: [String], extra model: [String: Any] = [:],
                          byteLevel: Bool = true) throws -> Tokenizer {
        var modelJSON: [String: Any] = ["type": "BPE", "vocab": vocab, "merges": merges]
        modelJSON.merge(model) { $1 }
        var root: [String: Any] = ["model": modelJSON]
        if byteLevel {
            root["pre_tokenizer"] = ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true]
            root["decoder"] = ["type": "ByteLevel"]
        }
        return try Tokenizer(tokenizerJSON: JSONSerialization.data(withJSONObject: root))
    }

    @Test("the lowest-ranked pair merges first, wherever it is")
    func mergesFollowRank() throws {
        let vocab = ["a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4]
        #expect(try Self.tokenizer(vocab: vocab, merges: ["b c", "a b"]).encode("abc") == [0, 4])
        #expect(try Self.tokenizer(vocab: vocab, merges: ["a b", "b c"]).encode("abc") == [3, 2])
    }

    @Test("equal-rank pairs merge leftmost first")
    func tiesGoLeftmost() throws {
        let tokenizer = try Self.tokenizer(vocab: ["a": 0, "aa": 1], merges: ["a a"])
        #expect(tokenizer.encode("aaa") == [1, 0])
        #expect(tokenizer.encode("aaaa") == [1, 1])
    }

    @Test("ignore_merges takes a whole word straight from the vocabulary")
    func ignoreMergesUsesWholeWord() throws {
        let vocab = ["a": 0, "b": 1, "c": 2, "bc": 3, "abc": 4]
        #expect(try Self.tokenizer(vocab: vocab, merges: ["b c"]).encode("abc") == [0, 3])
        #expect(try Self.tokenizer(vocab: vocab, merges: ["b c"], extra: ["ignore_merges": true]).encode("abc") == [4])
    }

    @Test("consecutive unknown characters fuse into one <unk> only when fuse_unk is set")
    func unknownCharactersFuse() throws {
        let vocab = ["<unk>": 0, "a": 1]
        let fused = try Self.tokenizer(vocab: vocab, merges: [], extra: ["unk_token": "<unk>", "fuse_unk": true],
                                       byteLevel: false)
        #expect(fused.encode("xyza") == [0, 1])
        let separate = try Self.tokenizer(vocab: vocab, merges: [], extra: ["unk_token": "<unk>"], byteLevel: false)
        #expect(separate.encode("xyza") == [0, 0, 0, 1])
    }

    @Test("merges may be given as [left, right] pairs (tokenizers >= 0.20 format)")
    func pairMergesAreAccepted() throws {
        let root: [String: Any] = ["model": ["type": "BPE", "vocab": ["a": 0, "b": 1, "ab": 2], "merges": [["a", "b"]]]]
        let tokenizer = try Tokenizer(tokenizerJSON: JSONSerialization.data(withJSONObject: root))
        #expect(tokenizer.encode("ab") == [2])
    }
}
