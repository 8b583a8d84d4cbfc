import Foundation
import Hummingbird
import HummingbirdTesting
import LucidGeneration
import LucidPipeline
import LucidRuns
import LucidServer
import LucidText
import Testing

/// Stop strings over HTTP, whole and streamed, on SmolLM2 (the bundled organisms answer in one-token
/// words, too short to cut): the text ends before the stop, and the stream never sends past it.
@Suite("server stop strings", .serialized)
struct ServerStopStringTests {
    let prompt = "Write one sentence about the sea."

    /// SmolLM2's greedy answer to `prompt`, cut before the first stop string, as `Decoding.generate` gives it.
    func direct(maxTokens: Int, stop: [String] = [], method: DecodingMethod = .greedy) throws -> (tokens: [Int], text: String, stopString: String?) {
        let opened = try ModelRegistry.standard.open("smollm2")
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "smollm2")
        let template = try #require(opened.chatTemplate(for: tokenizer))
        let ids = try tokenizer.encode(chat: [.user(prompt)], template: template)
        let decode: ([Int]) -> String = { (try? tokenizer.decode($0, skipSpecialTokens: true)) ?? "" }
        let result = try Decoding.generate(opened.model, ids: ids, method: method,
                                           limits: GenerationLimits(maxNewTokens: maxTokens, eosTokenIDs: opened.stopTokenIDs(tokenizer: tokenizer),
                                                                    stopStrings: stop, decode: decode))
        var text = decode(result.tokens)
        if let hit = result.stopString, let range = text.range(of: hit) { text = String(text[..<range.lowerBound]) }
        return (result.tokens, text, result.stopString)
    }

    /// The non-streamed content and the joined streamed deltas of one request with `stop`.
    func served(stop: String, maxTokens: Int, decoding: JSONValue? = nil) async throws -> (content: String?, deltas: String, finishReason: String?) {
        var fields: [String: JSONValue] = ["model": "smollm2", "max_tokens": .int(maxTokens), "stop": .string(stop)]
        if let decoding { fields["decoding"] = decoding }
        let extra = fields
        let (plain, streamed) = try await TestServer(model: "smollm2").test { client in
            let plain = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                                 body: chatBody(prompt, extra: extra))
            var streaming = extra
            streaming["stream"] = true
            let streamed = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                                    body: chatBody(prompt, extra: streaming))
            return (plain, streamed)
        }
        let choice = try #require(try json(plain)["choices"]?.arrayValue?.first)
        let chunks = try events(streamed).dropLast().map { try JSONValue.parse($0) }
        let deltas = chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue }
        return (choice["message"]?["content"]?.stringValue, deltas.joined(), choice["finish_reason"]?.stringValue)
    }

    /// The words of the unstopped answer (the second onwards), long enough to cut inside.
    func words(maxTokens: Int) throws -> [Substring] {
        let full = try direct(maxTokens: maxTokens)
        let words = full.text.split(separator: " ").dropFirst().filter { $0.count >= 4 && !$0.contains("\n") }
        try #require(!words.isEmpty, "SmolLM2's answer has no word to stop at: \(full.text)")
        return Array(words)
    }

    /// A whole word, and the word less its last character: a stop that ends inside a token, whose
    /// completing token carries text past the stop's start (the stream once sent all of it but the
    /// hold-back, one scalar short of the longest stop string; for a whole word it sent the stop's start).
    /// Beam search, which checks no stop while it searches, ends its answer there too.
    @Test(arguments: [(false, false), (true, false), (true, true)])
    func aStopStringCutsTheTextInBothModesAndIsNeverStreamed(insideAToken: Bool, beam: Bool) async throws {
        let word = try words(maxTokens: 24)[0]
        let stop = String(insideAToken ? word.prefix(word.count - 1) : word)
        let method: DecodingMethod = beam ? .beam(BeamSearchParameters(beams: 2)) : .greedy
        let expected = try direct(maxTokens: 24, stop: [stop], method: method)
        try #require(expected.stopString == stop, "\(expected.text)")
        let answer = try await served(stop: stop, maxTokens: 24, decoding: beam ? .object(["method": "beam", "beams": 2]) : nil)
        #expect(answer.content == expected.text && !expected.text.contains(stop))
        #expect(answer.deltas == expected.text)
        #expect(answer.finishReason == "stop")
    }
}
