import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidPipeline
@testable import LucidRuns
import LucidTestSupport

/// A run manifest's `repetition_penalty`, `presence_penalty` and `frequency_penalty` on `greedy` and `sample`
/// reach the item's generation (on the bundled shapes-tiny), each configuration with its own method id; bad values
/// are located in the manifest, and the methods that apply none do not take them.
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

    @Test func badPenaltiesAreLocatedAndOtherMethodsDoNotTakeThem() throws {
        #expect(try TokenPenalties(manifest: MethodSpec(name: "sample", options: ["presence_penalty": .double(-1.5), "frequency_penalty": 2]))
                == TokenPenalties(presence: -1.5, frequency: 2))
        let refused: [(MethodSpec, String)] = [
            (MethodSpec(name: "greedy", options: ["repetition_penalty": 0]), "repetition_penalty"),
            (MethodSpec(name: "sample", options: ["presence_penalty": "high"]), "presence_penalty"),
            (MethodSpec(name: "greedy", options: ["frequency_penalty": .double(2.5)]), "frequency_penalty"),
            (MethodSpec(name: "beam", options: ["presence_penalty": .double(0.5)]), "unknown option 'presence_penalty'"),
            (MethodSpec(name: "vcd", options: ["repetition_penalty": .double(1.2)]), "unknown option 'repetition_penalty'"),
        ]
        for (method, expected) in refused {
            let message = { () -> String in
                do { _ = try DecodingMethod(manifest: method, seed: 0); return "" } catch { return "\(error)" }
            }()
            #expect(message.contains(expected), "\(method): \(message)")
        }
    }
}
