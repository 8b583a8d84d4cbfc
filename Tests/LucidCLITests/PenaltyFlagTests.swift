import Foundation
import Testing

/// `lucid generate --repetition-penalty / --presence-penalty / --frequency-penalty / --logit-bias` decode what
/// transformers decodes with them (the cases of Tests/LucidModelsTests/Fixtures/llama/penalties.json and
/// logits_processors.json, greedy and beam search), `--min-new-tokens` holds the end token back, and bad values or a
/// method that applies none are refused before the model loads.
@Suite("penalty flags", .serialized)
struct PenaltyFlagTests {
    static var llamaFixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("LucidModelsTests/Fixtures/llama")
    }

    @Test func generateWithPenaltyFlagsMatchesTransformers() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.llamaFixtures.appendingPathComponent("penalties.json"))) as? [String: Any])
        let cases = try #require(document["cases"] as? [[String: Any]]).filter { $0["configuration"] as? String == "llama-mha" }
        try #require(cases.count >= 3)
        for item in cases {
            let prompt = (item["prompt"] as? [Int] ?? []).map(String.init).joined(separator: ",")
            let expected = try #require(item["tokens"] as? [Int])
            let flags = ["--repetition-penalty", "--presence-penalty", "--frequency-penalty"]
            let values = ["repetition", "presence", "frequency"].map { "\(item[$0] as? Double ?? .nan)" }
            let result = try LucidProcess.run(["generate", "--model", Self.llamaFixtures.appendingPathComponent("llama-mha/model").path,
                                               "--input-ids", prompt, "--max-new-tokens", "\(expected.count)", "--json"]
                                              + zip(flags, values).flatMap { [$0, $1] })
            #expect(result.status == 0, "\(result.err)")
            #expect(try LucidProcess.json(result.out)["token_ids"] as? [Int] == expected, "\(values)")
        }
    }

    @Test func generateWithLogitBiasFlagsMatchesTransformers() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.llamaFixtures.appendingPathComponent("logits_processors.json"))) as? [String: Any])
        let cases = try #require(document["greedy"] as? [[String: Any]]).filter {
            $0["configuration"] as? String == "llama-mha" && ($0["logit_bias"] as? [String: Double])?.isEmpty == false
        }
        try #require(cases.count >= 2)
        for item in cases {
            let prompt = (item["prompt"] as? [Int] ?? []).map(String.init).joined(separator: ",")
            let expected = try #require(item["tokens"] as? [Int])
            let bias = String(decoding: try JSONSerialization.data(withJSONObject: item["logit_bias"] ?? [:]), as: UTF8.self)
            let result = try LucidProcess.run(["generate", "--model", Self.llamaFixtures.appendingPathComponent("llama-mha/model").path,
                                               "--input-ids", prompt, "--max-new-tokens", "\(expected.count)", "--json", "--logit-bias", bias,
                                               "--repetition-penalty", "\(item["repetition"] as? Double ?? .nan)"])
            #expect(result.status == 0, "\(result.err)")
            #expect(try LucidProcess.json(result.out)["token_ids"] as? [Int] == expected, "\(bias)")
        }
    }

    @Test func beamSearchWithTheFlagsMatchesTransformers() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.llamaFixtures.appendingPathComponent("logits_processors.json"))) as? [String: Any])
        let cases = try #require(document["beam"] as? [[String: Any]]).filter {
            $0["configuration"] as? String == "llama-mha" && ($0["eos"] as? [Int])?.isEmpty == true
        }
        try #require(cases.count >= 2)
        for item in cases {
            let prompt = (item["prompt"] as? [Int] ?? []).map(String.init).joined(separator: ",")
            let expected = try #require(item["tokens"] as? [Int])
            // transformers ran these without an end token. −100 on the model's (2) keeps it out of every beam and moves no
            // other score: beam search adds the bias to log-probabilities, which are not normalised again.
            let bias = (item["logit_bias"] as? [String: Double] ?? [:]).merging(["2": -100]) { own, _ in own }
            let result = try LucidProcess.run(["generate", "--model", Self.llamaFixtures.appendingPathComponent("llama-mha/model").path,
                                               "--input-ids", prompt, "--max-new-tokens", "\(expected.count)", "--json",
                                               "--beams", "\(item["beams"] as? Int ?? 0)", "--length-penalty", "\(item["length_penalty"] as? Double ?? .nan)",
                                               "--logit-bias", String(decoding: try JSONSerialization.data(withJSONObject: bias), as: UTF8.self),
                                               "--repetition-penalty", "\(item["repetition"] as? Double ?? .nan)",
                                               "--min-new-tokens", "\(item["min_new_tokens"] as? Int ?? -1)"])
            #expect(result.status == 0, "\(result.err)")
            #expect(try LucidProcess.json(result.out)["token_ids"] as? [Int] == expected, "\(item["label"] ?? "")")
        }
    }

    /// `--repetition-context output` and `--repetition-context ID` (the fixture's stand-in beginning-of-sequence id)
    /// decode what transformers decodes from the prompt's embeddings alone (logits_processors.json, `context`).
    @Test func repetitionContextFlagMatchesTransformersFromEmbeddings() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.llamaFixtures.appendingPathComponent("logits_processors.json"))) as? [String: Any])
        let cases = try #require(document["context"] as? [[String: Any]]).filter { $0["configuration"] as? String == "qwen3" }
        try #require(Set(cases.compactMap { $0["context"] as? String }) == ["output", "bos"])
        for item in cases {
            let prompt = (item["prompt"] as? [Int] ?? []).map(String.init).joined(separator: ",")
            let expected = try #require(item["tokens"] as? [Int])
            let context = item["context"] as? String == "bos" ? "\(item["bos"] as? Int ?? -1)" : "output"
            let result = try LucidProcess.run(["generate", "--model", Self.llamaFixtures.appendingPathComponent("qwen3/model").path,
                                               "--input-ids", prompt, "--max-new-tokens", "\(expected.count)", "--json",
                                               "--repetition-penalty", "\(item["repetition"] as? Double ?? .nan)", "--repetition-context", context]
                                              + (item["beams"] as? Int == 1 ? [] : ["--beams", "\(item["beams"] as? Int ?? 0)"]))
            #expect(result.status == 0, "\(result.err)")
            #expect(try LucidProcess.json(result.out)["token_ids"] as? [Int] == expected, "\(context), \(item["beams"] ?? 0) beams")
        }
    }

    /// `--no-repeat-ngram-size` decodes what transformers decodes with `no_repeat_ngram_size`, greedy and with beams, over
    /// the prompt and from embeddings alone (`--repetition-context`); no_repeat_ngram.json.
    @Test func noRepeatNGramSizeFlagMatchesTransformers() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.llamaFixtures.appendingPathComponent("no_repeat_ngram.json"))) as? [String: Any])
        func qwen3(_ section: String) throws -> [[String: Any]] {
            try #require(document[section] as? [[String: Any]]).filter { $0["configuration"] as? String == "qwen3" }
        }
        let greedy = try qwen3("greedy").filter { $0["repetition"] as? Double == 1 }, beam = try qwen3("beam")
        let context = try qwen3("context").filter { $0["n"] as? Int == 2 }
        try #require(greedy.count >= 2 && !beam.isEmpty && !context.isEmpty)
        for item in greedy + beam + context {
            let prompt = (item["prompt"] as? [Int] ?? []).map(String.init).joined(separator: ",")
            let expected = try #require(item["tokens"] as? [Int])
            let contextFlags = item["context"] as? String == "bos" ? ["--repetition-context", "\(item["bos"] as? Int ?? -1)"]
                : item["context"] as? String == "output" ? ["--repetition-context", "output"] : []
            let result = try LucidProcess.run(["generate", "--model", Self.llamaFixtures.appendingPathComponent("qwen3/model").path,
                                               "--input-ids", prompt, "--max-new-tokens", "\(expected.count)", "--json",
                                               "--no-repeat-ngram-size", "\(item["n"] as? Int ?? -1)"] + contextFlags
                                              + ((item["beams"] as? Int ?? 1) == 1 ? [] : ["--beams", "\(item["beams"] as? Int ?? 0)"]))
            #expect(result.status == 0, "\(result.err)")
            #expect(try LucidProcess.json(result.out)["token_ids"] as? [Int] == expected, "n = \(item["n"] ?? 0), \(item["beams"] ?? 1) beams \(contextFlags)")
        }
    }

    /// `--hypothesis-length sequence` decodes what transformers' beam search decodes with 4.29's lengths, and the
    /// default what 5.23's does (beam_length.json).
    @Test func hypothesisLengthFlagMatchesTransformersLengths() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.llamaFixtures.appendingPathComponent("beam_length.json"))) as? [String: Any])
        // The case that ends at the checkpoint's own end token (2), where `lucid generate` ends.
        let item = try #require((document["cases"] as? [[String: Any]])?.first { $0["eos"] as? Int == 2 })
        let model = Self.llamaFixtures.appendingPathComponent("\(item["configuration"] as? String ?? "")/model").path
        let prompt = (item["prompt"] as? [Int] ?? []).map(String.init).joined(separator: ",")
        for (rule, key) in [("sequence", "tokens"), ("new", "new_length_tokens")] {
            let result = try LucidProcess.run(["generate", "--model", model, "--input-ids", prompt, "--max-new-tokens", "\(item["max_new_tokens"] as? Int ?? 0)",
                                               "--json", "--beams", "\(item["beams"] as? Int ?? 0)", "--length-penalty", "\(item["length_penalty"] as? Double ?? .nan)",
                                               "--hypothesis-length", rule])
            #expect(result.status == 0, "\(result.err)")
            let tokens = try LucidProcess.json(result.out)["token_ids"] as? [Int]
            #expect(tokens == item[key] as? [Int], "\(rule)")
        }
    }

    @Test func minNewTokensHoldsTheEndTokenBack() throws {
        // A bias of 100 on the model's end token (2) makes it every step's choice once it is allowed.
        let model = Self.llamaFixtures.appendingPathComponent("llama-mha/model").path
        for minimum in [0, 3] {
            let result = try LucidProcess.run(["generate", "--model", model, "--input-ids", "5,6,7", "--max-new-tokens", "8", "--json",
                                               "--logit-bias", "{\"2\": 100}", "--min-new-tokens", "\(minimum)"])
            #expect(result.status == 0, "\(result.err)")
            let tokens = try LucidProcess.json(result.out)["token_ids"] as? [Int]
            #expect(tokens?.count == minimum + 1 && tokens?.last == 2 && tokens?.dropLast().contains(2) == false, "\(minimum): \(String(describing: tokens))")
        }
    }

    /// `--ignore-eos` decodes past the model's end token: with a bias of 100 on it, every step chooses it, and the
    /// answer runs to --max-new-tokens (greedy and beam search).
    @Test func ignoreEosRunsPastTheEndToken() throws {
        let model = Self.llamaFixtures.appendingPathComponent("llama-mha/model").path
        for extra in [[], ["--beams", "2"]] {
            let result = try LucidProcess.run(["generate", "--model", model, "--input-ids", "5,6,7", "--max-new-tokens", "8", "--json",
                                               "--logit-bias", "{\"2\": 100}", "--ignore-eos"] + extra)
            #expect(result.status == 0, "\(result.err)")
            let object = try LucidProcess.json(result.out)
            #expect(object["token_ids"] as? [Int] == Array(repeating: 2, count: 8), "\(extra): \(result.out)")
            #expect(object["finish_reason"] as? String == "length", "\(extra)")
        }
    }

    @Test func badPenaltiesAndMethodsThatApplyNoneAreRefused() throws {
        let refused: [([String], String)] = [
            (["--repetition-penalty", "0"], "repetition penalty must be in"),
            (["--presence-penalty", "-2.5"], "presence penalty must be in"),
            (["--frequency-penalty", "nan"], "frequency penalty must be in"),
            (["--presence-penalty", "0.5", "--beams", "2"], "decoding beam applies no presence penalty: it is for greedy and sampled decoding (decoding beam applies the logit bias, minimum length, repetition penalty and n-gram ban"),
            (["--repetition-penalty", "1.2", "--decoding", "vcd"], "decoding vcd applies no"),
            (["--presence-penalty", "0.5", "--decoding", "opera"], "decoding opera applies no presence penalty"),
            (["--frequency-penalty", "-1", "--beams", "2"], "decoding beam applies no frequency penalty"),
            (["--min-new-tokens", "2", "--decoding", "vcd"], "decoding vcd applies no logit bias, minimum length"),
            (["--logit-bias", "{\"5\": 1}", "--decoding", "damro"], "decoding damro applies no"),
            (["--logit-bias", "{\"x\": 1}"], "keys must be token ids"), (["--logit-bias", "[1]"], "expected an object"),
            (["--logit-bias", "{\"5\": -101}"], "the bias of token 5 must be"), (["--min-new-tokens", "200"], "min new tokens must be in 0…128"),
            (["--min-p", "1.5"], "min-p must be in 0…1"), (["--top-p", "2"], "top-p must be in (0, 1]"),
            (["--min-p", "0.1", "--beams", "2"], "they need --temperature"), (["--top-p", "0.9"], "they need --temperature"),
            (["--top-k", "5", "--decoding", "vcd"], "they need --temperature"),
            (["--repetition-context", "start"], "The value 'start' is invalid for '--repetition-context"),
            (["--repetition-context", "1,-2"], "The value '1,-2' is invalid"),
            (["--no-repeat-ngram-size", "2", "--decoding", "vcd"], "decoding vcd applies no"),
            (["--no-repeat-ngram-size", "-1"], "no-repeat-ngram size must be in 0…"),
        ]
        for (flags, message) in refused {
            let result = try LucidProcess.run(["generate", "--prompt", "hi", "--model", "/nonexistent"] + flags)
            #expect(result.status != 0 && result.err.contains(message), "\(flags): \(result.err)")
        }
    }
}
