import Foundation
import Hummingbird
import HummingbirdTesting
import LucidOrganisms
import LucidPipeline
import LucidRuns
@testable import LucidServer
import LucidVision
import LucidWorld
import Testing

/// The real Q-MLLM gate of the bundled shapes-smol-q behind the server: ShapesWorld scenes the gate
/// flags are refused over HTTP (`content_filter`, no language-model pass), the others answered, and
/// `--defense none` answers all of them.
@Suite("Q-MLLM gate over HTTP", .serialized)
struct QMLLMGateTests {
    @Test func theServerRefusesExactlyTheScenesTheGateFlags() async throws {
        guard FileManager.default.fileExists(atPath: ModelLocations.smolLM2) else {
            Issue.record("SmolLM2 GGUF missing at \(ModelLocations.smolLM2): run scripts/setup.sh")
            return
        }
        let scenes = try ShapesWorld.generate(ShapesWorldConfig(seed: 778, count: 6, hazardProbability: 0.5))
        let images = try scenes.map { try SceneRenderer.render($0) }
        let opened = try ModelRegistry.standard.open("shapes-smol-q")
        let vision = try #require(opened.vision)
        #expect(vision.imageGate != nil)
        let flagged = try images.map { vision.screenImage(try opened.pixelValues(decoded: $0, padToSquare: false)) != nil }
        #expect(flagged.contains(true) && flagged.contains(false))  // the seed gives both kinds

        let tokenizer = try ModelRegistry.standard.tokenizer(for: "shapes-smol-q")
        func server(defense: DefenseChoice) throws -> ChatServer {
            let model = try ModelRegistry.standard.open("shapes-smol-q")
            try defense.apply(to: model, model: "shapes-smol-q")
            let worker = ModelWorker(opened: model, tokenizer: tokenizer, limits: TestServer.limits, metrics: ServerMetrics())
            return try ChatServer(options: ServerOptions(modelID: "shapes-smol-q", limits: TestServer.limits), worker: worker)
        }
        let bodies = try images.map { chatBody("What is in the picture?", imageURL: dataURL(try ImageEncoder.png($0)),
                                                extra: ["model": "shapes-smol-q", "max_tokens": 4]) }
        for defense in [DefenseChoice.auto, .none] {
            let served = try server(defense: defense)
            let app = Application(router: served.router())
            let choices = try await app.test(.router) { client in
                var choices: [JSONValue] = []
                for body in bodies {
                    let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body)
                    choices.append(try json(response)["choices"]?.arrayValue?.first ?? .null)
                }
                return choices
            }
            served.worker.stop()
            for (choice, harmful) in zip(choices, flagged) {
                let refused = defense == .auto && harmful
                #expect(choice["lucid"]?["gate"]?["checked"] == .bool(defense == .auto))
                #expect(choice["lucid"]?["gate"]?["refused"] == .bool(refused))
                #expect((choice["finish_reason"]?.stringValue == "content_filter") == refused)
                if refused { #expect(choice["lucid"]?["forward_passes"]?.intValue == 0 && !(choice["message"]?["content"]?.stringValue ?? "").isEmpty) }
            }
        }
    }
}
