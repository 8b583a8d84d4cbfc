import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidPipeline
@testable import LucidRuns
import LucidTestSupport

/// A run manifest's `repetition_penalty` (with `repetition_context`), `presence_penalty`, `frequency_penalty`, `min_new_tokens`,
/// `no_repeat_ngram_size` and `logit_bias`
/// on `greedy` and `sample` (all but the presence and frequency penalties on `beam`), and `min_p` on `sample`, reach
/// the item's generation (on the bundled shapes-tiny), each
/// configuration with its own method id; bad values are located in the manifest, and the methods that apply none do
/// not take them.
@Suite("manifest penalties", .serialized)
struct ManifestPenaltyTests {
    @Test func greedyAndSampleItemsDecodeWithTheirPenalties() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("penalties-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("{\"prompt\": \"What shapes are in the picture?\"}\n".utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        let methods = [MethodSpec(name: "greedy"), MethodSpec(name: "greedy", options: ["repetition_penalty": .double(0.2)]),
                       MethodSpec(name: "sample", options: ["temperature": 2, "top_k": 1, "repetition_penalty": .double(0.2)])]
        let manifest = RunManifest(name: "t", models: [ModelSpec(label: "own", path: "shapes-tiny")],
                                   dataset: DatasetSpec(url: folder.appendingPathComponent("data.jsonl"), kind: .prompts), methods: methods,
                                   seeds: [0], output: folder.appendingPathComponent("run"), generation: ["max_new_tokens": 12])
        try ManifestWorker.validate(manifest)
        let plan = try RunPlan(manifest: manifest)
        let worker = ManifestWorker(plan: plan, runDirectory: folder.appendingPathComponent("run"))
        var tokens: [String: [JSONValue]] = [:]
        for item in plan.items { tokens[item.method.id] = try worker.run(item)["token_ids"]?.arrayValue }
        let (plain, penalised, sampled) = (tokens[methods[0].id], tokens[methods[1].id], tokens[methods[2].id])
        #expect(Set(methods.map(\.id)).count == 3)
        #expect(plain != nil && penalised != nil && plain != penalised, "the penalty changes the greedy answer")
        #expect(sampled == penalised, "top-k 1 keeps the penalised argmax: the sample item carries the penalty too")
    }

    /// The token ids each of `methods` generates for one prompt on shapes-tiny, by method id.
    func tokens(_ methods: [MethodSpec], maxNewTokens: Int) throws -> [String: [JSONValue]] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("logits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("{\"prompt\": \"What shapes are in the picture?\"}\n".utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        let manifest = RunManifest(name: "t", models: [ModelSpec(label: "own", path: "shapes-tiny")],
                                   dataset: DatasetSpec(url: folder.appendingPathComponent("data.jsonl"), kind: .prompts), methods: methods,
                                   seeds: [0], output: folder.appendingPathComponent("run"), generation: ["max_new_tokens": .int(maxNewTokens)])
        try ManifestWorker.validate(manifest)
        let plan = try RunPlan(manifest: manifest)
        let worker = ManifestWorker(plan: plan, runDirectory: folder.appendingPathComponent("run"))
        var tokens: [String: [JSONValue]] = [:]
        for item in plan.items { tokens[item.method.id] = try worker.run(item)["token_ids"]?.arrayValue }
        return tokens
    }

    @Test func itemsDecodeWithTheirLogitBiasMinimumLengthAndMinP() throws {
        let plain = try #require(try tokens([MethodSpec(name: "greedy")], maxNewTokens: 40).values.first)
        try #require(plain.count < 40, "the greedy answer ends at its end token, so a minimum length can move it")
        let first = try #require(plain.first?.intValue)
        let methods = [MethodSpec(name: "greedy", options: ["logit_bias": .object(["\(first)": -100])]),
                       MethodSpec(name: "greedy", options: ["min_new_tokens": .int(plain.count + 2)]),
                       MethodSpec(name: "sample", options: ["temperature": 2, "min_p": 1])]
        let found = try tokens(methods, maxNewTokens: 40)
        let (biased, longer, sampled) = (found[methods[0].id], found[methods[1].id], found[methods[2].id])
        #expect(biased != nil && biased?.first?.intValue != first, "the bias keeps the first token off")
        #expect((longer?.count ?? 0) >= plain.count + 2, "the end token waits for the minimum")
        #expect(sampled == plain, "min-p 1 keeps only the argmax, so sampling at any temperature decodes greedily")
    }

    @Test func beamItemsDecodeWithTheirLogitBiasMinimumLengthAndRepetitionPenalty() throws {
        let plain = try #require(try tokens([MethodSpec(name: "beam", options: ["beams": 2])], maxNewTokens: 40).values.first)
        try #require(plain.count < 40, "the beam answer ends at its end token, so a minimum length can move it")
        let first = try #require(plain.first?.intValue)
        let methods = [MethodSpec(name: "beam", options: ["beams": 2, "logit_bias": .object(["\(first)": -100])]),
                       MethodSpec(name: "beam", options: ["beams": 2, "min_new_tokens": .int(plain.count + 2)]),
                       MethodSpec(name: "beam", options: ["beams": 2, "repetition_penalty": .double(0.05)])]
        let found = try tokens(methods, maxNewTokens: 40)
        let (biased, longer, repeating) = (found[methods[0].id], found[methods[1].id], found[methods[2].id])
        #expect(biased != nil && biased?.first?.intValue != first, "the bias keeps the first token off every beam")
        #expect((longer?.count ?? 0) >= plain.count + 2, "the end token waits for the minimum")
        #expect(repeating != nil && repeating != plain, "a penalty far below 1 favours the prompt's tokens over the short answer")
    }

    /// `no_repeat_ngram_size` reaches greedy, sample and beam items: where the plain answer repeats a 2-gram, none of
    /// theirs does (the ban also counts the prompt's ids, so it may change more than the repeats).
    @Test func greedySampleAndBeamItemsDecodeWithTheirNGramBan() throws {
        func repeatsAPair(_ tokens: [JSONValue]?) -> Bool {
            let ids = (tokens ?? []).compactMap(\.intValue)
            let pairs = zip(ids, ids.dropFirst()).map { [$0, $1] }
            return Set(pairs).count < pairs.count
        }
        // shapes-tiny ends this text-only answer at once: a minimum length gives the ban something to act on.
        let methods = [MethodSpec(name: "greedy", options: ["min_new_tokens": 30]),
                       MethodSpec(name: "greedy", options: ["min_new_tokens": 30, "no_repeat_ngram_size": 2]),
                       MethodSpec(name: "sample", options: ["min_new_tokens": 30, "temperature": 2, "top_k": 1, "no_repeat_ngram_size": 2]),
                       MethodSpec(name: "beam", options: ["min_new_tokens": 30, "beams": 2, "no_repeat_ngram_size": 2])]
        let found = try tokens(methods, maxNewTokens: 40)
        try #require(repeatsAPair(found[methods[0].id]), "the plain answer repeats a pair, so the ban has something to change")
        for method in methods.dropFirst() {
            #expect(found[method.id] != nil && !repeatsAPair(found[method.id]), "\(method.id)")
        }
        #expect(found[methods[1].id] == found[methods[2].id], "top-k 1 keeps the banned argmax: the sample item bans too")
    }

    /// `repetition_context` says what the penalty counts besides the output: with a penalty far below 1 (which favours
    /// the tokens counted), the prompt's tokens (the default), none, or given ids; `bos` needs the tokenizer's
    /// beginning-of-sequence id, which shapes-tiny's tokenizer does not have, and says so.
    @Test func repetitionContextSaysWhatThePenaltyCounts() throws {
        func method(_ context: JSONValue?) -> MethodSpec {
            MethodSpec(name: "greedy", options: ["repetition_penalty": .double(0.05)].merging(context.map { ["repetition_context": $0] } ?? [:]) { $1 })
        }
        let methods = [method("prompt"), method("output"), method(nil)]
        let found = try tokens(methods, maxNewTokens: 12)
        let (prompt, output, byDefault) = (found[methods[0].id], found[methods[1].id], found[methods[2].id])
        #expect(prompt != nil && output != nil && Set(methods.map(\.id)).count == 3)
        #expect(prompt != output, "counting the prompt's tokens changes the answer")
        #expect(byDefault == prompt, "the penalty counts the prompt by default")
        // The id the prompt's context favoured first, given alone, is favoured from the first step.
        let favoured = try #require(prompt?.first)
        let given = method(.array([favoured]))
        let ids = try tokens([given], maxNewTokens: 12)[given.id]
        #expect(ids?.first == favoured && ids != output, "counting the given id changes the answer")
        let bos = MethodSpec(name: "greedy", options: ["repetition_penalty": .double(0.05), "repetition_context": "bos"])
        #expect(throws: (any Error).self) { try tokens([bos], maxNewTokens: 4) }
        do { _ = try tokens([bos], maxNewTokens: 4) } catch { #expect("\(error)".contains("its tokenizer has none: give the id"), "\(error)") }
    }

    @Test func badPenaltiesAreLocatedAndOtherMethodsDoNotTakeThem() throws {
        var limits = GenerationLimits(maxNewTokens: 4)
        try limits.apply(manifest: MethodSpec(name: "sample", options: ["presence_penalty": .double(-1.5), "frequency_penalty": 2]))
        #expect(limits.penalties == TokenPenalties(presence: -1.5, frequency: 2))
        let refused: [(MethodSpec, String)] = [
            (MethodSpec(name: "greedy", options: ["repetition_penalty": 0]), "repetition_penalty"),
            (MethodSpec(name: "sample", options: ["presence_penalty": "high"]), "presence_penalty"),
            (MethodSpec(name: "greedy", options: ["frequency_penalty": .double(2.5)]), "frequency_penalty"),
            (MethodSpec(name: "beam", options: ["presence_penalty": .double(0.5)]), "unknown option 'presence_penalty'"),
            (MethodSpec(name: "vcd", options: ["repetition_penalty": .double(1.2)]), "unknown option 'repetition_penalty'"),
            (MethodSpec(name: "greedy", options: ["logit_bias": .object(["x": 1])]), "logit_bias: keys must be token ids"),
            (MethodSpec(name: "greedy", options: ["logit_bias": .object(["4": 101])]), "logit_bias: the bias of token 4 must be"),
            (MethodSpec(name: "sample", options: ["min_new_tokens": -1]), "min_new_tokens: must be in"),
            (MethodSpec(name: "sample", options: ["min_p": 2]), "min_p: must be in 0.0…1.0"),
            (MethodSpec(name: "greedy", options: ["min_p": .double(0.1)]), "unknown option 'min_p'"),
            (MethodSpec(name: "damro", options: ["logit_bias": .object([:])]), "unknown option 'logit_bias'"),
            (MethodSpec(name: "opera", options: ["presence_penalty": .double(0.5)]), "unknown option 'presence_penalty'"),
            (MethodSpec(name: "beam", options: ["frequency_penalty": .double(0.5)]), "unknown option 'frequency_penalty'"),
            (MethodSpec(name: "beam", options: ["min_new_tokens": -1]), "min_new_tokens: must be in"),
            (MethodSpec(name: "opera", options: ["repetition_context": "start"]), "repetition_context: must be prompt, bos, output or an array of token ids, found `start`"),
            (MethodSpec(name: "greedy", options: ["repetition_context": 1]), "repetition_context: must be prompt, bos, output or an array of token ids, found an integer"),
            (MethodSpec(name: "beam", options: ["repetition_context": .array([1, -2])]), "repetition_context: an array of token ids must hold"),
            (MethodSpec(name: "vcd", options: ["repetition_context": "bos"]), "unknown option 'repetition_context'"),
            (MethodSpec(name: "beam", options: ["no_repeat_ngram_size": -1]), "no_repeat_ngram_size: must be in"),
            (MethodSpec(name: "greedy", options: ["no_repeat_ngram_size": "two"]), "no_repeat_ngram_size"),
            (MethodSpec(name: "damro", options: ["no_repeat_ngram_size": 2]), "unknown option 'no_repeat_ngram_size'"),
        ]
        for (method, expected) in refused {
            let message = { () -> String in
                do { _ = try DecodingMethod(manifest: method, seed: 0); return "" } catch { return "\(error)" }
            }()
            #expect(message.contains(expected), "\(method): \(message)")
        }
    }
}
