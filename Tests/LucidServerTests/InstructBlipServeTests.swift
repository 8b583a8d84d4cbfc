import Foundation
import HummingbirdTesting
import LucidGeneration
import LucidModels
import LucidPipeline
import LucidRuns
@testable import LucidServer
import LucidText
import LucidVision
import Testing

/// `lucid serve` on InstructBLIP: the Q-Former reads the request's question, as `lucid generate
/// --image --prompt` gives it the prompt (transformers' `InstructBlipProcessor`).
///
/// The tiny InstructBLIP fixture ships no tokenizer for its language model, so the test serves a copy
/// whose `tokenizer.json` is the fixture's Q-Former WordPiece tokenizer (60 ids, inside the decoder's
/// 150) with `<image>` added at the decoder's image token 149, and a llava-1.5 chat template.
@Suite("serving InstructBLIP", .serialized)
struct InstructBlipServeTests {
    let question = "what is in the image"

    /// A servable copy of the fixture in a temporary directory (removed by the caller).
    static func servableCopy() throws -> URL {
        try servableFixtureCopy("instructblip", extraFiles: ["qformer_tokenizer"], addedTokens: [("<image>", 149)],
                                chatTemplate: "USER: <image>\n{{ messages }} ASSISTANT:")
    }

    @Test func theQFormerReadsTheQuestionAndTheAnswerEqualsTheLibrarysWithIt() async throws {
        let folder = try Self.servableCopy()
        defer { try? FileManager.default.removeItem(at: folder) }

        // The library with the instruction set by hand, on another copy of the model.
        let opened = try ModelRegistry.standard.open(folder.path)
        let tokenizer = try ModelRegistry.standard.tokenizer(for: folder.path)
        let template = try #require(ChatTemplate.detect(for: tokenizer))
        #expect(template == .llava15)
        let ids = try tokenizer.encode(chat: [.user(question, images: 1)], template: template)
        let pixels = try opened.pixelValues(decoded: try ImageDecoder.decode(data: try scenePNG()), padToSquare: false)
        guard case .set(let instruction) = try opened.setImageInstruction(question) else {
            Issue.record("the fixture's Q-Former tokenizer did not load")
            return
        }
        let limits = GenerationLimits(maxNewTokens: 8, eosTokenIDs: opened.stopTokenIDs(tokenizer: tokenizer))
        let expected = try Decoding.generate(opened.model, ids: ids, images: [pixels], method: .greedy, limits: limits).tokens
        // Without the instruction the image features differ, and so (on this fixture) do the answers:
        // the comparison below can fail.
        try opened.setImageInstruction("")
        let bare = try Decoding.generate(opened.model, ids: ids, images: [pixels], method: .greedy, limits: limits).tokens

        let server = try TestServer(model: folder.path)
        let blip = try #require(server.opened.vision as? InstructBlipForConditionalGeneration)
        #expect(blip.qformerInstruction.isEmpty)
        let body = chatBody(question, imageURL: dataURL(try scenePNG()), extra: ["model": .string(folder.path), "max_tokens": .int(8)])
        let response = try await server.test { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body)
        }
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        #expect(blip.qformerInstruction == instruction)
        let choice = try #require(try json(response)["choices"]?.arrayValue?.first)
        let tokens = choice["lucid"]?["token_ids"]?.arrayValue?.compactMap(\.intValue)
        #expect(tokens == expected)
        #expect(expected != bare, "the fixture's answer does not depend on the instruction: this test could not fail")
    }

    @Test func theLastUserMessageIsTheInstruction() throws {
        func message(_ role: String, _ text: String, image: Bool = false) -> JSONValue {
            var content: [JSONValue] = [.object(["type": "text", "text": .string(text)])]
            if image { content.append(.object(["type": "image_url", "image_url": .object(["url": .string(dataURL([1]))])])) }
            return .object(["role": .string(role), "content": .array(content)])
        }
        let body: JSONValue = .object(["messages": .array([message("system", "be brief"), message("user", "describe it", image: true),
                                                           message("assistant", "a square"), message("user", "what colour is it")])])
        let request = try ChatRequest(json: body, limits: TestServer.limits)
        #expect(request.imageInstruction == "what colour is it")
    }
}

/// A test fixture that is not as the test expects.
struct TestFixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
