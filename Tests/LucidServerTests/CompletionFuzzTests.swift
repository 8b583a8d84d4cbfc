import Foundation
import Hummingbird
import HummingbirdTesting
import LucidPipeline
import LucidRuns
@testable import LucidServer
import LucidSupport
import LucidTestSupport
import Testing

/// Seeded hostile bodies for `POST /v1/completions` on `shapes-tiny` (a LLaVA): each hostile value alone,
/// then random pairs, is answered with a 4xx JSON error naming one of the fields at fault, and a valid
/// request is answered afterwards. Token prompts the parser cannot judge (ids past the vocabulary, an
/// image placeholder without its image) are refused by the worker, before any tensor work.
@Suite("server completion fuzzing", .serialized)
struct CompletionFuzzTests {
    @Test func hostileCompletionBodiesGetFieldNamingClientErrors() async throws {
        let server = try TestServer()
        let placeholder = try #require(server.opened.vision?.imagePlaceholderID)
        let huge: JSONValue = .int(Int.max)
        var mutations: [(key: String, value: JSONValue)] = []
        func add(_ key: String, _ values: [JSONValue]) { mutations += values.map { (key, $0) } }
        add("prompt", [.null, "", 5, true, [], [:], .array([""]), .array([1, "a"]), .array([.array([])]), .array([.array([1, "x"])]),
                       .array([-1]), .array([huge]), .array([.double(1.5)]), .array([1, .int(placeholder)]),
                       .array(Array(repeating: 1, count: 5000)), .array(Array(repeating: "hi", count: 40))])
        add("max_tokens", [-1, 65, "8", .double(0.5), huge, 0])
        add("logprobs", [-1, 21, true, "1", .double(0.5)])
        add("echo", ["yes", 1])
        add("best_of", [2, -1, "1"])
        add("suffix", ["x"])
        add("logit_bias", [.object(["x": 5]), .object(["1": 500]), "1", .object(["99999999": 1]), .object(["1": .null])])
        add("n", [0, 2, huge])
        add("decoding", [.object(["method": "beam", "beams": 0]), .object(["method": "oracle"])])
        var random = FuzzBudget.generator(SplitMix64(seed: 38))
        var cases: [[(key: String, value: JSONValue)]] = mutations.map { [$0] }
        for _ in 0..<20 { cases.append([mutations[random.below(mutations.count)], mutations[random.below(mutations.count)]]) }
        let bodies = try cases.map { changes -> ByteBuffer in
            var fields: [String: JSONValue] = ["model": "shapes-tiny", "prompt": "a red square", "max_tokens": 2]
            for change in changes { fields[change.key] = change.value }
            return ByteBuffer(string: try JSONValue.object(fields).canonicalText())
        }
        let ids = try ModelRegistry.standard.tokenizer(for: "shapes-tiny").encode("a red square", addSpecialTokens: true)
        try #require(ids.count >= 2 && !ids.contains(placeholder))
        let valid = ByteBuffer(string: try JSONValue.object(["prompt": .array(ids.map(JSONValue.int)), "max_tokens": 2, "echo": true,
                                                            "logprobs": 1]).canonicalText())
        let (responses, after) = try await server.test { client in
            (try await client.postEach("/v1/completions", bodies), try await client.postEach("/v1/completions", [valid])[0])
        }
        for (changes, response) in zip(cases, responses) {
            let label = changes.map { "\($0.key)=\((try? $0.value.canonicalText())?.prefix(60) ?? "")" }.joined(separator: ", ")
            let error = try json(response)["error"]
            #expect((400..<500).contains(Int(response.status.code)), "\(label): \(response.status.code) \(String(describing: error))")
            let named = (error?["param"]?.stringValue ?? "") + " " + (error?["message"]?.stringValue ?? "")
            // Every change is a fault, unless a pair repeats a key: the later value is the body's.
            let keys = Set(changes.map(\.key))
            #expect(keys.contains { named.contains($0) }, "\(label): \(named)")
        }
        #expect(after.status == .ok, "\(String(buffer: after.body))")
        let choice = try json(after)["choices"]?.arrayValue?.first
        let generated = try #require(choice?["lucid"]?["token_ids"]?.arrayValue?.count)
        #expect(choice?["logprobs"]?["token_logprobs"]?.arrayValue?.count == ids.count + generated)
    }
}
