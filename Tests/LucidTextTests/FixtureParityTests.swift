import Foundation
import LucidText
import Testing

/// Parity with Hugging Face `tokenizers` on the tiny trained fixtures: 0.19.1 for the BPE ones
/// (scripts/make_tokenizer_fixtures.py), 0.23.3 for `bpe_tekken` (Mistral's tekken split over `bpe_llama3`'s
/// vocabulary, scripts/make_tekken_tokenizer_fixtures.py), 0.23.3 with transformers 5.23's `BertTokenizer` for
/// `wordpiece` (scripts/make_wordpiece_fixtures.py: BERT normalisation, CJK, accents, control
/// characters, punctuation symbols, over-long words — what InstructBLIP's Q-Former tokenizer is).
@Suite("Hugging Face parity on trained fixtures")
struct FixtureParityTests {
    static let fixtures = ["bpe_gpt2", "bpe_llama3", "bpe_qwen2", "bpe_tekken", "spm", "spm_metaspace", "wordpiece"]

    @Test("encode with and without special tokens matches HF ids", arguments: fixtures)
    func encodeMatchesHuggingFace(fixture: String) throws {
        let tokenizer = try Fixtures.tokenizer("\(fixture)_tokenizer.json")
        let goldens = try Fixtures.goldens("\(fixture)_golden.jsonl")
        #expect(goldens.count >= 60)
        for golden in goldens {
            #expect(tokenizer.encode(golden.text, addSpecialTokens: true) == golden.ids,
                    "\(fixture): \(golden.text.debugDescription)")
            #expect(tokenizer.encode(golden.text, addSpecialTokens: false) == golden.ids_plain,
                    "\(fixture): \(golden.text.debugDescription)")
        }
    }

    @Test("decode with and without skipping special tokens matches HF text", arguments: fixtures)
    func decodeMatchesHuggingFace(fixture: String) throws {
        let tokenizer = try Fixtures.tokenizer("\(fixture)_tokenizer.json")
        for golden in try Fixtures.goldens("\(fixture)_golden.jsonl") {
            #expect(try tokenizer.decode(golden.ids, skipSpecialTokens: false) == golden.decoded,
                    "\(fixture): \(golden.text.debugDescription)")
            #expect(try tokenizer.decode(golden.ids, skipSpecialTokens: true) == golden.decoded_skip,
                    "\(fixture): \(golden.text.debugDescription)")
        }
    }

    @Test("streaming one id at a time reproduces the full decode", arguments: fixtures)
    func streamingMatchesFullDecode(fixture: String) throws {
        let tokenizer = try Fixtures.tokenizer("\(fixture)_tokenizer.json")
        for golden in try Fixtures.goldens("\(fixture)_golden.jsonl") {
            for skip in [false, true] {
                let chunks = try streamChunks(tokenizer, golden.ids, skipSpecialTokens: skip)
                #expect(chunks.joined() == (skip ? golden.decoded_skip : golden.decoded),
                        "\(fixture) skip=\(skip): \(golden.text.debugDescription)")
            }
        }
    }

    /// A GGUF of Mistral Nemo's kind (`tokenizer.ggml.pre` "tekken", llama.cpp's name for the pattern) encodes
    /// as the HF tokenizer.json it was converted from.
    @Test func ggufTekkenMetadataEncodesLikeTheHuggingFaceTokenizer() throws {
        let tokenizer = try Tokenizer(gguf: Fixtures.bpeGGUFMetadata(of: "bpe_tekken", pre: "tekken", addBOS: true))
        let goldens = try Fixtures.goldens("bpe_tekken_golden.jsonl")
        #expect(goldens.count > 100)
        for golden in goldens {
            #expect(tokenizer.encode(golden.text, addSpecialTokens: true) == golden.ids, "\(golden.text.debugDescription)")
        }
    }

    /// llama.cpp's other names for the patterns Lucid implements (its src/llama-vocab.cpp): Falcon 3's, Pixtral's
    /// and others' for Llama 3's, DeepSeek-R1's Qwen distills' and others' for Qwen2's; each splits as its pattern.
    @Test(arguments: [("llama-bpe", "bpe_llama3"), ("falcon3", "bpe_llama3"), ("falcon-h1", "bpe_llama3"), ("pixtral", "bpe_llama3"),
                      ("midm-2.0", "bpe_llama3"), ("lfm2", "bpe_llama3"), ("qwen2", "bpe_qwen2"), ("deepseek-r1-qwen", "bpe_qwen2"),
                      ("kormo", "bpe_qwen2")])
    func ggufPreTokenizerAliasesSplitAsTheirPattern(_ pre: String, _ fixture: String) throws {
        let metadata = try Fixtures.bpeGGUFMetadata(of: fixture, pre: pre, addBOS: false)
        let tokenizer = try Tokenizer(gguf: metadata)
        // Texts holding an added token are left out: GGUF keeps no lstrip/rstrip/single-word flags for them.
        let added = zip(metadata.tokens, metadata.tokenTypes ?? []).filter { $0.1 == 3 }.map(\.0)
        let goldens = try Fixtures.goldens("\(fixture)_golden.jsonl").filter { golden in !added.contains { golden.text.contains($0) } }
        #expect(goldens.count > 60)
        for golden in goldens {
            #expect(tokenizer.encode(golden.text, addSpecialTokens: false) == golden.ids_plain, "\(pre): \(golden.text.debugDescription)")
        }
    }

    @Test("GGUF 'llama' metadata (scores, no merges) encodes like the HF Llama-style tokenizer")
    func ggufSentencePieceMatchesHuggingFace() throws {
        let tokenizer = try Tokenizer(gguf: Fixtures.spmGGUFMetadata())
        #expect(tokenizer.kind == .sentencePieceBPE)
        #expect(tokenizer.prefixIDs == [1])
        for golden in try Fixtures.goldens("spm_golden.jsonl") {
            #expect(tokenizer.encode(golden.text, addSpecialTokens: true) == golden.ids, "\(golden.text.debugDescription)")
            #expect(try tokenizer.decode(golden.ids, skipSpecialTokens: false) == golden.decoded)
            #expect(try tokenizer.decode(golden.ids, skipSpecialTokens: true) == golden.decoded_skip)
        }
    }

    @Test("unknown characters fall back to <0xNN> byte tokens and decode back")
    func byteFallbackRoundTrips() throws {
        let tokenizer = try Fixtures.tokenizer("spm_tokenizer.json")
        let ids = tokenizer.encode("中", addSpecialTokens: false)
        let spelled = ids.compactMap { tokenizer.token(for: $0) }
        #expect(spelled.suffix(3) == ["<0xE4>", "<0xB8>", "<0xAD>"])
        #expect(try tokenizer.decode(ids) == "中")
    }

    @Test("SentencePiece decoding drops only the one prefix space")
    func sentencePieceStripsLeadingSpaceOnce() throws {
        let tokenizer = try Fixtures.tokenizer("spm_tokenizer.json")
        let ids = tokenizer.encode("  two leading spaces", addSpecialTokens: false)
        #expect(try tokenizer.decode(ids) == "  two leading spaces")
        #expect(tokenizer.token(for: ids[0])?.hasPrefix("▁") == true)
    }
}
