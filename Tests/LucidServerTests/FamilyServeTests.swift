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

/// `lucid serve` on the families whose image's size decides its feature count: Qwen2-VL (its patch
/// grid) and LLaVA-NeXT (its anyres tiles and unpadding). The server counts a request's prompt from
/// that request's own images, and answers what the library answers for the same prompt, in the batch
/// (Qwen2-VL's M-RoPE rows too).
///
/// The tiny fixtures ship no tokenizer, so each test serves a copy whose `tokenizer.json` is the
/// InstructBLIP fixture's WordPiece tokenizer (60 ids) with the family's special tokens added at the
/// fixture's ids, and a chat template of the family: Qwen2-VL-Instruct's own (as `chat_golden.json`
/// holds it) and a llava-1.5 one for LLaVA-NeXT.
@Suite("serving Qwen2-VL and LLaVA-NeXT", .serialized)
struct FamilyServeTests {
    struct Family: Sendable, CustomTestStringConvertible {
        let directory: String
        let addedTokens: [(content: String, id: Int)]
        let chatTemplate: @Sendable () throws -> String
        let expectedTemplate: ChatTemplate.Style
        var testDescription: String { directory }
    }

    static let families = [
        Family(directory: "qwen2-vl",
               addedTokens: [("<|image_pad|>", 140), ("<|vision_start|>", 141), ("<|vision_end|>", 142), ("<|im_start|>", 144), ("<|im_end|>", 145)],
               chatTemplate: qwen2VLTemplate, expectedTemplate: .qwen2VL),
        Family(directory: "llava-next", addedTokens: [("<image>", 149)], chatTemplate: { "USER: <image>\n{{ messages }} ASSISTANT:" },
               expectedTemplate: .llava15),
    ]

    /// Qwen2-VL-Instruct's chat template, from the chat-template goldens (scripts/chat_template_fixtures.py).
    static func qwen2VLTemplate() throws -> String {
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("LucidTextTests/Fixtures/chat_golden.json")
        guard let template = try JSONValue.parse(utf8: Array(try Data(contentsOf: golden)))["template_sources"]?["qwen2-vl"]?.stringValue else {
            throw TestFixtureError("\(golden.path) has no qwen2-vl template")
        }
        return template
    }

    /// A servable copy of `family`'s fixture in a temporary directory (removed by the caller).
    static func servableCopy(_ family: Family) throws -> URL {
        try servableFixtureCopy(family.directory, addedTokens: family.addedTokens, chatTemplate: try family.chatTemplate())
    }

    /// A `width` × `height` PNG: a colour gradient with a dark square, so that tiles and patches differ.
    static func picture(width: Int, height: Int) throws -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                let inSquare = x > width / 4 && x < width / 2 && y > height / 4 && y < height / 2
                pixels[i] = inSquare ? 20 : UInt8(x * 255 / max(width - 1, 1))
                pixels[i + 1] = inSquare ? 20 : UInt8(y * 255 / max(height - 1, 1))
                pixels[i + 2] = 128
            }
        }
        return try ImageEncoder.png(try RGBImage(width: width, height: height, pixels: pixels))
    }

    /// A servable copy of a family opened by the library (its own copy of the model), and the prompt of
    /// `question` with one image placeholder, as its chat template writes it.
    struct Library {
        let folder: URL
        let opened: OpenedModel
        let vision: any VisionLanguageModel
        let tokenizer: Tokenizer
        let template: ChatTemplate
        let ids: [Int]
    }

    static let question = "what is in the image"
    /// Two pictures whose sizes give the families different feature counts.
    static func pictures() throws -> [[UInt8]] { [try picture(width: 96, height: 48), try picture(width: 64, height: 64)] }

    /// `family`'s `Library`; the caller removes `folder`.
    static func library(_ family: Family) throws -> Library {
        let folder = try servableCopy(family)
        do {
            let opened = try ModelRegistry.standard.open(folder.path)
            let vision = try #require(opened.vision)
            let tokenizer = try ModelRegistry.standard.tokenizer(for: folder.path)
            let template = try #require(opened.chatTemplate(for: tokenizer))
            let ids = try tokenizer.encode(chat: [.user(question, images: 1)], template: template)
            return Library(folder: folder, opened: opened, vision: vision, tokenizer: tokenizer, template: template, ids: ids)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    @Test(arguments: families)
    func eachRequestsPromptIsCountedFromItsOwnImageAndAnswersAsTheLibrary(_ family: Family) async throws {
        let library = try Self.library(family)
        defer { try? FileManager.default.removeItem(at: library.folder) }
        let (folder, opened, vision, tokenizer, ids, question) = (library.folder, library.opened, library.vision, library.tokenizer, library.ids, Self.question)
        let pictures = try Self.pictures()

        // The library: the prompt's length and greedy answer for each picture.
        #expect(library.template.style == family.expectedTemplate)
        let limits = GenerationLimits(maxNewTokens: 6, eosTokenIDs: opened.stopTokenIDs(tokenizer: tokenizer))
        var expected: [(length: Int, tokens: [Int])] = []
        for png in pictures {
            let pixels = try opened.pixelValues(prompt: [try ImageDecoder.decode(data: png)], padToSquare: false)
            let length = try vision.embeddedLength(ids: ids, images: pixels)
            expected.append((length, try Decoding.generate(opened.model, ids: ids, images: pixels, method: .greedy, limits: limits).tokens))
        }
        #expect(expected[0].length != expected[1].length, "both pictures give one length: the test could not tell them apart")

        // The server, the pictures one request after the other.
        let server = try TestServer(model: folder.path)
        let responses = try await server.test { client in
            var responses: [TestResponse] = []
            for png in pictures {
                let body = chatBody(question, imageURL: dataURL(png), extra: ["model": .string(folder.path), "max_tokens": .int(6)])
                responses.append(try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body))
            }
            return responses
        }
        for (index, response) in responses.enumerated() {
            #expect(response.status == .ok, "picture \(index): \(String(buffer: response.body))")
            guard response.status == .ok else { continue }
            let object = try json(response)
            #expect(object["usage"]?["prompt_tokens"]?.intValue == expected[index].length, "picture \(index)")
            let lucid = object["choices"]?.arrayValue?.first?["lucid"]
            #expect(lucid?["token_ids"]?.arrayValue?.compactMap(\.intValue) == expected[index].tokens, "picture \(index)")
            #expect(lucid?["batched"] == .bool(true), "picture \(index): greedy rows join the batch, M-RoPE ones too")
        }
    }

    @Test(arguments: families)
    func tokenizeCountsEachImagesFeaturesAsTheModelReadsThem(_ family: Family) async throws {
        let library = try Self.library(family)
        defer { try? FileManager.default.removeItem(at: library.folder) }
        let (folder, opened, vision, ids, question) = (library.folder, library.opened, library.vision, library.ids, Self.question)
        let pictures = try Self.pictures()

        // The prompt the model reads with each picture.
        var expected: [[Int]] = []
        for png in pictures {
            let pixels = try opened.pixelValues(prompt: [try ImageDecoder.decode(data: png)], padToSquare: false)
            let expanded = try vision.expandedIDs(ids: ids, images: pixels)
            #expect(expanded.count == (try vision.embeddedLength(ids: ids, images: pixels)))
            #expect(expanded.filter { $0 != vision.imagePlaceholderID } == ids.filter { $0 != vision.imagePlaceholderID })
            expected.append(expanded)
        }
        #expect(expected[0].count != expected[1].count, "both pictures give one length: the test could not tell them apart")

        let server = try TestServer(model: folder.path)
        let answers = try await server.test { client in
            var answers: [(tokenize: TestResponse, chat: TestResponse)] = []
            for png in pictures {
                let tokenize = chatBody(question, imageURL: dataURL(png), extra: ["model": .string(folder.path), "return_token_strs": .bool(true)])
                let chat = chatBody(question, imageURL: dataURL(png), extra: ["model": .string(folder.path), "max_tokens": .int(1)])
                answers.append((try await client.execute(uri: "/tokenize", method: .post, headers: jsonHeaders, body: tokenize),
                                try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chat)))
            }
            return answers
        }
        for (index, answer) in answers.enumerated() {
            #expect(answer.tokenize.status == .ok, "picture \(index): \(String(buffer: answer.tokenize.body))")
            guard answer.tokenize.status == .ok else { continue }
            let object = try json(answer.tokenize)
            #expect(object["tokens"]?.arrayValue?.compactMap(\.intValue) == expected[index], "picture \(index)")
            #expect(object["count"]?.intValue == expected[index].count, "picture \(index)")
            #expect(object["token_strs"]?.arrayValue?.count == expected[index].count, "picture \(index)")
            #expect(try json(answer.chat)["usage"]?["prompt_tokens"]?.intValue == expected[index].count, "picture \(index): the chat reads that many")
        }
    }

    /// A `/tokenize` with an image waits for the model's thread as a generation does: counted in `inFlight` and
    /// `lucid_queue_depth` while it waits, and skipped when its client hangs up before its turn (answered 499, not
    /// measured for nobody); the next one is answered.
    @Test func aTokenizeWhoseClientHangsUpBeforeTheModelIsFreeIsSkipped() async throws {
        let family = try #require(Self.families.first { $0.directory == "qwen2-vl" })
        let folder = try Self.servableCopy(family)
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try TestServer(model: folder.path)
        let worker = server.server.worker
        worker.pause()
        let body = chatBody(Self.question, imageURL: dataURL(try Self.picture(width: 64, height: 64)), extra: ["model": .string(folder.path)])
        let (queued, depth, heard, skipped, metrics, after) = try await server.test(.live) { client in
            let port = try #require(client.port)
            let connection = try DisconnectTests.send(port: port, path: "/tokenize", body: body)
            let queued = try await DisconnectTests.eventually { worker.inFlight == 1 }
            let depth = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            close(connection)
            let heard = try await DisconnectTests.eventually { worker.waitingAbandonedTasks == 1 }
            worker.resume()
            let skipped = try await DisconnectTests.eventually { worker.skippedTasks == 1 && worker.inFlight == 0 }
            let after = try await client.execute(uri: "/tokenize", method: .post, headers: jsonHeaders, body: body)
            return (queued, depth, heard, skipped, String(buffer: try await client.execute(uri: "/metrics", method: .get).body), after)
        }
        #expect(queued, "the /tokenize never counted as waiting for the model")
        #expect(depth.contains("lucid_queue_depth 1"), "\(depth)")
        #expect(heard, "the worker never learned that the client closed its connection")
        #expect(skipped, "the worker measured the images of a client that had gone")
        #expect(metrics.contains("lucid_requests_total{status=\"499\"} 1"), "\(metrics)")
        #expect(after.status == .ok, "\(String(buffer: after.body))")
        #expect(worker.skippedTasks == 1)
    }

    @Test func anImageTheModelsProcessorRefusesIsTheRequestsFault() async throws {
        let family = try #require(Self.families.first { $0.directory == "qwen2-vl" })
        let folder = try Self.servableCopy(family)
        defer { try? FileManager.default.removeItem(at: folder) }
        // Qwen2-VL's smart_resize refuses an aspect ratio over 200.
        let sliver = dataURL(try Self.picture(width: 402, height: 2))
        let responses = try await TestServer(model: folder.path).test { client in
            [try await client.execute(uri: "/tokenize", method: .post, headers: jsonHeaders,
                                      body: chatBody("what is this", imageURL: sliver, extra: ["model": .string(folder.path)])),
             try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                      body: chatBody("what is this", imageURL: sliver, extra: ["model": .string(folder.path), "max_tokens": .int(1)]))]
        }
        for response in responses {
            #expect(response.status == .badRequest, "\(String(buffer: response.body))")
            #expect(try json(response)["error"]?["message"]?.stringValue?.contains("aspect ratio") == true)
        }
    }
}
