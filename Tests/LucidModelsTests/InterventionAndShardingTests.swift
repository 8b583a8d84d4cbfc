import Foundation
import Testing
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor

@Suite("Residual interventions")
struct InterventionTests {
    let model: LlamaForCausalLM
    let tokens = Tensor([5, 17, 33, 8, 61, 12], shape: [1, 6])

    init() throws { model = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-gqa", "model")) }

    func run(_ interventions: [ResidualIntervention]) -> ForwardTrace {
        withNoGrad { model.forward(tokens: tokens, cache: nil, options: ForwardOptions(hiddenStates: .all, interventions: interventions)) }
    }

    @Test func addingAVectorShiftsTheCapturedLayerOutputExactly() {
        let clean = run([])
        let v = Tensor.randn([48], generator: Generator(seed: 1))
        let steered = run([.add(v, layer: 0)])
        // hidden_states[1] is the output of layer 0, captured after the rewrite.
        #expect(maxAbs(steered.hiddenStates[1]!, clean.hiddenStates[1]! + v) < 1e-6)
        #expect(maxAbs(steered.hiddenStates[0]!, clean.hiddenStates[0]!) == 0)
        #expect(maxAbs(steered.logits!, clean.logits!) > 1e-3, "later layers see the change")
    }

    @Test func positionSelectionsRewriteOnlyTheirPositions() {
        let clean = run([])
        let v = Tensor.full([48], 3.0)
        let last = run([.add(v, layer: -2, positions: .last)])
        let h = 2  // output of layer 1 (= layer -2 of 3)
        #expect(maxAbs(last.hiddenStates[h]![0, 0..<5], clean.hiddenStates[h]![0, 0..<5]) == 0)
        #expect(maxAbs(last.hiddenStates[h]![0, 5], clean.hiddenStates[h]![0, 5] + v) < 1e-6)
        let chosen = run([.add(v, layer: 1, positions: .positions([1, 4, 99]))])
        for p in 0..<6 {
            let expected = [1, 4].contains(p) ? clean.hiddenStates[h]![0, p] + v : clean.hiddenStates[h]![0, p]
            #expect(maxAbs(chosen.hiddenStates[h]![0, p], expected) < 1e-6, "position \(p)")
        }
    }

    @Test func transformsSeeAbsolutePositionsAcrossCachedSteps() {
        let cache = model.makeCache()
        var seen: [[Int]] = []
        let record = ResidualIntervention(layer: 0, positions: .all) { hidden, positions in seen.append(positions); return hidden }
        _ = withNoGrad { model.forward(tokens: tokens, cache: cache, options: ForwardOptions(interventions: [record])) }
        _ = withNoGrad { model.forward(tokens: Tensor([7], shape: [1, 1]), cache: cache, options: ForwardOptions(interventions: [record])) }
        #expect(seen == [[0, 1, 2, 3, 4, 5], [6]])
    }

    @Test func gradientsReachASteeringVector() {
        let v = Tensor.zeros([48])
        v.requiresGrad = true
        let trace = model.forward(tokens: tokens, cache: nil, options: ForwardOptions(logits: .last, interventions: [.add(v, layer: 1, positions: .last)]))
        trace.logits!.logSoftmax(axis: -1)[0, 0, 3].backward()
        #expect((v.grad?.abs().sum().item() ?? 0) > 0)
    }
}

@Suite("Sharded and standalone checkpoints")
struct ShardingTests {
    @Test func shardedSafetensorsLoadTheSameModel() throws {
        let source = Fixtures.path("llama", "llama-mha", "model")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-shards-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: source + "/config.json", toPath: dir + "/config.json")
        let file = try SafetensorsFile(path: source + "/model.safetensors")
        var map: [String: String] = [:]
        for (shard, entries) in [file.entries.filter { $0.name.contains("layers.0") }, file.entries.filter { !$0.name.contains("layers.0") }].enumerated() {
            let name = "model-0000\(shard + 1)-of-00002.safetensors"
            try SafetensorsWriter.write(entries.map { .init(name: $0.name, dtype: $0.dtype, shape: $0.shape, bytes: Array(file.data(for: $0))) },
                                        metadata: ["format": "pt"], to: dir + "/" + name)
            for e in entries { map[e.name] = name }
        }
        let index = try JSONSerialization.data(withJSONObject: ["metadata": [:] as [String: Any], "weight_map": map])
        try index.write(to: URL(fileURLWithPath: dir + "/model.safetensors.index.json"))
        let sharded = try LlamaForCausalLM.load(path: dir)
        let single = try LlamaForCausalLM.load(path: source)
        let ids = Tensor([3, 4, 5], shape: [1, 3])
        #expect(maxAbs(sharded.forward(tokens: ids, cache: nil, options: .logitsOnly).logits!,
                       single.forward(tokens: ids, cache: nil, options: .logitsOnly).logits!) == 0)
    }

    @Test func standaloneCLIPVisionModelMatchesTheTowerInsideLLaVA() throws {
        let llava = Fixtures.path("llava", "llava-a")
        let file = try SafetensorsFile(path: llava + "/model/model.safetensors")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-clip-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tower = file.entries.filter { $0.name.hasPrefix("vision_tower.") }
        try SafetensorsWriter.write(tower.map { .init(name: String($0.name.dropFirst("vision_tower.".count)), dtype: $0.dtype, shape: $0.shape,
                                                      bytes: Array(file.data(for: $0))) }, metadata: [:], to: dir + "/model.safetensors")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: llava + "/model/config.json"))) as? [String: Any]
        var vision = config?["vision_config"] as? [String: Any] ?? [:]
        vision["model_type"] = "clip_vision_model"
        try JSONSerialization.data(withJSONObject: vision).write(to: URL(fileURLWithPath: dir + "/config.json"))
        let model = try CLIPVisionModel.load(directory: dir)
        let golden = try Fixtures.golden(llava)
        let trace = ForwardTrace()
        var options = ForwardOptions()
        options.visionHiddenStates = .all
        _ = model.forward(try golden.loadTensor(named: "pixel_values"), needHiddenState: -1, options: options, trace: trace)
        for i in 0...3 {
            expectMatches(trace.visionHiddenStates[i], try golden.loadTensor(named: "vision.hidden_states.\(i)"), tolerance: 1e-4, "hidden \(i)")
        }
    }
}
