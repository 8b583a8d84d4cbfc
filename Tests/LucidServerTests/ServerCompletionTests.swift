import Hummingbird
import HummingbirdTesting
import LucidGeneration
import LucidModels
import LucidPipeline
import LucidRuns
import LucidServer
import LucidTensor
import Testing

/// `POST /v1/completions` on SmolLM2: prompts go to the model as they are, and `echo` with `logprobs`
/// scores them as lm-evaluation-harness's `local-completions` model reads the answer.
@Suite("server text completions", .serialized)
struct ServerCompletionTests {
    let context = "The capital of France is"

    func body(_ fields: [String: JSONValue]) -> ByteBuffer {
        var body: [String: JSONValue] = ["model": "smollm2"]
        body.merge(fields) { $1 }
        return ByteBuffer(string: (try? JSONValue.object(body).canonicalText()) ?? "{}")
    }

    func post(_ bodies: [ByteBuffer]) async throws -> [TestResponse] {
        try await TestServer(model: "smollm2").test { client in try await client.postEach("/v1/completions", bodies) }
    }

    /// The log-softmax [T, V] of SmolLM2's logits over `ids` in one pass without a cache.
    func reference(_ ids: [Int]) throws -> Tensor {
        let opened = try ModelRegistry.standard.open("smollm2")
        let trace = withNoGrad { opened.model.forward(tokens: Tensor(ids, shape: [1, ids.count]), cache: nil, options: ForwardOptions(logits: .all)) }
        return try #require(trace.logits).selected(axis: 0, index: 0).to(.f64).logSoftmax(axis: -1)
    }

    @Test func echoedLogprobsScoreAContinuationAsLMEvalReadsThem() async throws {
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "smollm2")
        let contextIDs = tokenizer.encode(context, addSpecialTokens: false)
        let requests = [" Paris", " a city in Europe"].map { contextIDs + tokenizer.encode($0, addSpecialTokens: false) }
        // lm-evaluation-harness's loglikelihood payload (`LocalCompletionsAPI._create_payload`, generate=False).
        let payload = body(["prompt": .array(requests.map { .array($0.map(JSONValue.int)) }), "temperature": 0, "max_tokens": 1,
                            "logprobs": 1, "seed": 1234, "echo": true])
        let response = try #require(try await post([payload]).first)
        #expect(response.status == .ok)
        let answer = try json(response)
        #expect(answer["object"] == "text_completion")
        let choices = try #require(answer["choices"]?.arrayValue)
        try #require(choices.count == requests.count)
        var worst = 0.0
        for (ids, choice) in zip(requests, choices.sorted { ($0["index"]?.intValue ?? 0) < ($1["index"]?.intValue ?? 0) }) {
            let logprobs = try #require(choice["logprobs"])
            let values = try #require(logprobs["token_logprobs"]?.arrayValue)
            let tops = try #require(logprobs["top_logprobs"]?.arrayValue)
            try #require(values.count == ids.count + 1 && tops.count == ids.count + 1)
            #expect(values[0] == .null && tops[0] == .null)
            let generated = try #require(choice["lucid"]?["token_ids"]?.arrayValue?.compactMap { $0.intValue })
            let scores = try reference(ids + generated)
            // Every scored token against the one-pass log-softmax, the generated one included.
            for position in 1..<values.count {
                let target = position < ids.count ? ids[position] : generated[0]
                let expected: Double = scores.selected(axis: 0, index: position - 1).selected(axis: 0, index: target).item()
                worst = max(worst, abs(try #require(values[position].doubleValue) - expected))
            }
            // lm-eval's parse_logprobs: the continuation's summed log-probability and whether greedy decoding gives it.
            let ctxlen = contextIDs.count
            let summed = try values[ctxlen..<ids.count].reduce(0.0) { $0 + (try #require($1.doubleValue)) }
            let isGreedy = try zip(values[ctxlen..<ids.count], tops[ctxlen..<ids.count]).allSatisfy { value, top in
                let best = try #require(top.objectValue?.values.compactMap(\.doubleValue).max())
                return value.doubleValue == best
            }
            var expectedSum = 0.0
            var expectedGreedy = true
            for position in ctxlen..<ids.count {
                let row = scores.selected(axis: 0, index: position - 1)
                expectedSum += row.selected(axis: 0, index: ids[position]).item()
                expectedGreedy = expectedGreedy && row.argmax(axis: -1).intValue == ids[position]
            }
            print("completion scoring: continuation of \(ids.count - ctxlen) tokens, logprob \(summed) (reference \(expectedSum)), greedy \(isGreedy)")
            #expect(abs(summed - expectedSum) < 1e-3)
            #expect(isGreedy == expectedGreedy)
            // The echoed text is the prompt decoded, then the completion; the tokens spell it, at their offsets.
            let text = try #require(choice["text"]?.stringValue)
            #expect(text.hasPrefix(try tokenizer.decode(ids, skipSpecialTokens: false)))
            let tokens = try #require(logprobs["tokens"]?.arrayValue?.compactMap { $0.stringValue })
            #expect(tokens.joined() == text)
            let offsets = try #require(logprobs["text_offset"]?.arrayValue?.compactMap { $0.intValue })
            #expect(offsets == tokens.indices.map { tokens[..<$0].joined().unicodeScalars.count })
        }
        print("completion scoring: largest difference from the one-pass log-softmax \(worst)")
        #expect(worst < 1e-4)
        #expect(answer["usage"]?["prompt_tokens"]?.intValue == requests.reduce(0) { $0 + $1.count })
    }

    @Test func maxTokensZeroEchoesThePromptAndScoresItOnlyWhenAsked() async throws {
        let responses = try await post([body(["prompt": .string(context), "max_tokens": 0, "echo": true, "logprobs": 2]),
                                        body(["prompt": .string(context), "max_tokens": 0, "echo": true])])
        #expect(responses.allSatisfy { $0.status == .ok })
        let (scored, plain) = (try json(responses[0])["choices"]?.arrayValue?.first, try json(responses[1])["choices"]?.arrayValue?.first)
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "smollm2")
        let ids = tokenizer.encode(context, addSpecialTokens: true)
        #expect(scored?["text"]?.stringValue == context && plain?["text"]?.stringValue == context)
        #expect(scored?["logprobs"]?["token_logprobs"]?.arrayValue?.count == ids.count)
        #expect(scored?["logprobs"]?["top_logprobs"]?.arrayValue?.dropFirst().allSatisfy { ($0.objectValue?.count ?? 0) >= 2 } == true)
        #expect(scored?["lucid"]?["forward_passes"]?.intValue == 1 && scored?["finish_reason"] == "length")
        // Without logprobs nothing runs.
        #expect(plain?["logprobs"] == .null && plain?["lucid"]?["forward_passes"]?.intValue == 0)
        #expect(try json(responses[0])["usage"]?["completion_tokens"]?.intValue == 0)
    }

    /// A method that does not batch (beam search, OPERA) scores an echoed prompt in a pass of its own: the prompt's
    /// entries equal the one-pass log-softmax (≤ 1e-4, f32) and the 2 likeliest alternatives are listed, whether it
    /// then generates (the hypothesis's tokens follow with their entries) or not (`max_tokens` 0, nothing decoded).
    @Test func beamAndOPERAScoreAnEchoedPromptInAPassOfTheirOwn() async throws {
        let ids = try ModelRegistry.standard.tokenizer(for: "smollm2").encode(context, addSpecialTokens: true)
        let scores = try reference(ids)
        let beam: JSONValue = .object(["method": "beam", "beams": 2])
        let opera: JSONValue = .object(["method": "opera", "beams": 2, "candidates": 2])
        let requests: [(JSONValue, Int)] = [(beam, 3), (beam, 0), (opera, 3)]
        let responses = try await post(requests.map { body(["prompt": .string(context), "echo": true, "logprobs": 2, "decoding": $0, "max_tokens": .int($1)]) })
        for ((method, maxTokens), response) in zip(requests, responses) {
            let label = "\((try? method.canonicalText()) ?? "") max_tokens \(maxTokens)"
            #expect(response.status == .ok, "\(label): \(String(buffer: response.body))")
            let choice = try #require(try json(response)["choices"]?.arrayValue?.first, "\(label)")
            let generated = choice["lucid"]?["token_ids"]?.arrayValue?.count ?? -1
            let values = try #require(choice["logprobs"]?["token_logprobs"]?.arrayValue, "\(label)")
            let tops = try #require(choice["logprobs"]?["top_logprobs"]?.arrayValue, "\(label)")
            #expect(values.count == ids.count + generated && (maxTokens == 0 ? generated == 0 : generated > 0), "\(label): \(values.count) entries")
            try #require(values.count >= ids.count)
            #expect(values[0] == .null && tops[0] == .null)
            var worst = 0.0
            for position in 1..<ids.count {
                let expected: Double = scores.selected(axis: 0, index: position - 1).selected(axis: 0, index: ids[position]).item()
                worst = max(worst, abs(try #require(values[position].doubleValue) - expected))
                #expect((tops[position].objectValue?.count ?? 0) >= 2, "\(label) position \(position)")
            }
            #expect(worst < 1e-4, "\(label): \(worst)")
            if maxTokens == 0 { #expect(choice["lucid"]?["forward_passes"]?.intValue == 1, "\(label): only the scoring pass") }
        }
    }

    @Test func aTextPromptContinuesAsGreedyDecodingOfItsTokensAndStreamsTheSameText() async throws {
        let opened = try ModelRegistry.standard.open("smollm2")
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "smollm2")
        let prompts = [context, "Once upon a time"]
        let expected = try prompts.map { prompt in
            let limits = GenerationLimits(maxNewTokens: 8, eosTokenIDs: opened.stopTokenIDs(tokenizer: tokenizer))
            let result = try Decoding.generate(opened.model, ids: tokenizer.encode(prompt, addSpecialTokens: true), method: .greedy, limits: limits)
            return try tokenizer.decode(result.tokens, skipSpecialTokens: true)
        }
        let fields: [String: JSONValue] = ["prompt": .array(prompts.map(JSONValue.string)), "max_tokens": 8]
        var streamed = fields
        streamed["stream"] = true
        streamed["echo"] = true
        let responses = try await post([body(fields), body(streamed)])
        let choices = try #require(try json(responses[0])["choices"]?.arrayValue)
        #expect(choices.map { $0["index"]?.intValue } == [0, 1])
        #expect(choices.map { $0["text"]?.stringValue } == expected.map(Optional.some))
        #expect(choices.allSatisfy { $0["logprobs"] == .null })
        // Streamed with echo: each choice's pieces join to its prompt and then its text.
        var pieces: [Int: String] = [:]
        for event in events(responses[1]).dropLast() {
            let choice = try #require(try JSONValue.parse(event)["choices"]?.arrayValue?.first)
            let index = try #require(choice["index"]?.intValue)
            pieces[index, default: ""] += choice["text"]?.stringValue ?? ""
        }
        #expect(pieces[0] == prompts[0] + expected[0] && pieces[1] == prompts[1] + expected[1])
        #expect(events(responses[1]).last == "[DONE]")
    }

    /// Streamed, the legacy lists come piece by piece (offsets running on) and join to the whole response's;
    /// with `echo` they come whole in the last chunk, the prompt's first.
    @Test(arguments: [false, true])
    func streamedLegacyLogprobsJoinToTheWholeOnes(echo: Bool) async throws {
        let fields: [String: JSONValue] = ["prompt": .string(context), "max_tokens": 8, "logprobs": 2, "echo": .bool(echo)]
        var streamed = fields
        streamed["stream"] = true
        let responses = try await post([body(fields), body(streamed)])
        let whole = try #require(try json(responses[0])["choices"]?.arrayValue?.first?["logprobs"]?.objectValue)
        let chunks = try events(responses[1]).dropLast().compactMap { try JSONValue.parse($0)["choices"]?.arrayValue?.first?["logprobs"]?.objectValue }
        #expect(echo ? chunks.count == 1 : chunks.count > 1, "\(chunks.count) chunks with logprobs")
        for key in ["tokens", "token_logprobs", "top_logprobs", "text_offset"] {
            #expect(chunks.flatMap { $0[key]?.arrayValue ?? [] } == whole[key]?.arrayValue, "\(key)")
        }
    }

    /// lm-evaluation-harness's `generate_until` payload: token ids, a task's whole `until` list and the end of
    /// sequence (six stops on HumanEval, more than OpenAI's four).
    @Test func lmEvalsGenerateUntilPayloadWithSixStopsStopsAtTheFirstHit() async throws {
        let opened = try ModelRegistry.standard.open("smollm2")
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "smollm2")
        let ids = tokenizer.encode(context, addSpecialTokens: false)
        let limits = GenerationLimits(maxNewTokens: 16, eosTokenIDs: opened.stopTokenIDs(tokenizer: tokenizer))
        let full = try tokenizer.decode(try Decoding.generate(opened.model, ids: ids, method: .greedy, limits: limits).tokens, skipSpecialTokens: true)
        let words = full.split(separator: " ")
        try #require(words.count >= 3, "the continuation is too short to hold a stop: \(full)")
        let stop = " " + words[1]
        let until: [JSONValue] = ["\nclass", "\ndef", "\n#", "\nif", "\nprint", .string(stop), "<|im_end|>"]
        let payload = body(["prompt": .array([.array(ids.map(JSONValue.int))]), "max_tokens": 16, "temperature": 0, "stop": .array(until),
                            "seed": 1234])
        let response = try #require(try await post([payload]).first)
        let choice = try #require(try json(response)["choices"]?.arrayValue?.first, "\(String(buffer: response.body))")
        #expect(choice["finish_reason"] == "stop")
        let hit = try #require(full.range(of: stop))
        #expect(choice["text"]?.stringValue == String(full[..<hit.lowerBound]))
    }

    @Test func badCompletionRequestsAreRefusedNamingTheField() async throws {
        let cases: [([String: JSONValue], String)] = [
            ([:], "prompt"),
            (["prompt": .array([])], "prompt"),
            (["prompt": ""], "prompt"),
            (["prompt": .array([1, "a"])], "prompt[0]"),
            (["prompt": .array([.array([]), "a"])], "prompt[0]"),
            (["prompt": .array([1, -3])], "prompt"),
            (["prompt": .array([1, 99_999_999])], "prompt"),
            (["prompt": .object([:])], "prompt"),
            (["prompt": "hi", "max_tokens": 0], "max_tokens"),
            (["prompt": "hi", "max_tokens": 65], "max_tokens"),
            (["prompt": "hi", "logprobs": 21], "logprobs"),
            (["prompt": "hi", "logprobs": true], "logprobs"),
            (["prompt": "hi", "logprobs": 1, "echo": true, "decoding": .object(["method": "beam", "beams": 9])], "decoding.beams"),
            (["prompt": "hi", "suffix": "x"], "suffix"),
            (["prompt": "hi", "best_of": 2], "best_of"),
            (["prompt": .array(Array(repeating: "hi", count: 11)), "n": 2, "temperature": 1], "prompt"),
            (["prompt": "hi", "n": 2], "n"),
        ]
        let responses = try await post(cases.map { body($0.0) })
        for (response, item) in zip(responses, cases) {
            let error = try json(response)["error"]
            #expect(response.status == .badRequest, "\(item.0): \(String(describing: error))")
            #expect(error?["param"]?.stringValue == item.1, "\(item.0): \(String(describing: error))")
        }
    }
}
