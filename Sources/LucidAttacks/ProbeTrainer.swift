import Foundation
import LucidGeneration
import LucidModels
import LucidTensor
import LucidText

/// Trains SCAV's per-layer probes on last-token residuals of templated prompts.
public struct ProbeTrainer {
    public let model: any CausalLanguageModel
    public let tokenizer: Tokenizer
    public let template: ChatTemplate
    /// Share of each class used for training (the rest measures test accuracy).
    public var trainFraction = 0.5
    public var seed: UInt64 = 0
    public var inverseRegularization = 1.0
    /// For a vision-language model's decoder: the image every instruction is paired with (its
    /// embeddings, positions and Q-Former instruction). nil: text only.
    public var pairedImage: PairedImage?

    public init(model: any CausalLanguageModel, tokenizer: Tokenizer, template: ChatTemplate) {
        self.model = model
        self.tokenizer = tokenizer
        self.template = template
    }

    /// Last-token hidden states of every prompt at hidden-state indices 0..<layerCount: [layer][N, D].
    public func features(_ prompts: [String], progress: ((Int, Int) -> Void)? = nil) throws -> [Tensor] {
        let layers = model.layerCount
        var rows: [[Tensor]] = Array(repeating: [], count: layers)
        try withNoGrad { () throws in
            for (index, prompt) in prompts.enumerated() {
                let ids = try tokenizer.encode(chat: [.user(prompt, images: pairedImage == nil ? 0 : 1)], template: template)
                let input = try pairedImage?.prefill(ids: ids, instruction: prompt) ?? .tokens(ids)
                let trace = input.forward(on: model, cache: nil, options: ForwardOptions(hiddenStates: .layers(Array(0..<layers)), logits: .none))
                for layer in 0..<layers {
                    guard let hidden = trace.hiddenStates[layer] else { throw AttackError("hidden state \(layer) was not captured") }
                    rows[layer].append(hidden.selected(axis: 1, index: -1).to(.f64).to(.cpu))
                }
                progress?(index + 1, prompts.count)
            }
        }
        return rows.map { Tensor.cat($0, axis: 0) }
    }

    /// Pairs every instruction with the image `pixels` on `vlm` (its embeddings and positions).
    public mutating func pairImage(_ pixels: Tensor, on vlm: any VisionLanguageModel) {
        pairedImage = PairedImage(model: vlm, pixels: pixels)
    }

    /// Seeded split of `count` items: (train indices, test indices).
    public func split(_ count: Int, stream: UInt64) -> (train: [Int], test: [Int]) {
        var order = Array(0..<count)
        var state = seed &+ stream &* 0x9E37_79B9_7F4A_7C15
        for i in stride(from: count - 1, to: 0, by: -1) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            order.swapAt(i, Int((state >> 33) % UInt64(i + 1)))
        }
        let cut = max(1, min(count - 1, Int((Double(count) * trainFraction).rounded())))
        return (Array(order[..<cut]), Array(order[cut...]))
    }

    /// Probes for every layer from malicious and safe instructions; `image` names the image the
    /// instructions were paired with (recorded in the probe file; nil for text only).
    public func train(malicious: [String], safe: [String], modelName: String, image: String? = nil,
                      log: (String) -> Void = { _ in }) throws -> SafetyProbeSet {
        guard malicious.count >= 2, safe.count >= 2 else { throw AttackError("probe training needs at least 2 malicious and 2 safe instructions") }
        log("features of \(malicious.count) malicious and \(safe.count) safe prompts at \(model.layerCount) layers")
        let bad = try features(malicious)
        let good = try features(safe)
        let badSplit = split(malicious.count, stream: 1)
        let goodSplit = split(safe.count, stream: 2)
        func rows(_ t: Tensor, _ indices: [Int]) -> Tensor { t.indexSelect(axis: 0, index: Tensor(indices.map(Int64.init), shape: [indices.count])) }
        var probes: [SafetyProbe] = []
        let solver = LogisticRegression(inverseRegularization: inverseRegularization)
        for layer in 0..<model.layerCount {
            let trainX = Tensor.cat([rows(bad[layer], badSplit.train), rows(good[layer], goodSplit.train)], axis: 0)
            let trainY = Array(repeating: 1, count: badSplit.train.count) + Array(repeating: 0, count: goodSplit.train.count)
            let fit = try solver.fit(features: trainX, labels: trainY)
            let w = Tensor(fit.weight, shape: [fit.weight.count, 1])
            func accuracy(_ x: Tensor, _ y: [Int]) -> Double {
                guard x.size(0) > 0 else { return .nan }
                let predicted = (x.matmul(w) + fit.bias).reshaped(-1).toArray(Double.self).map { $0 > 0 ? 1 : 0 }
                return Double(zip(predicted, y).filter { $0.0 == $0.1 }.count) / Double(y.count)
            }
            let testX = Tensor.cat([rows(bad[layer], badSplit.test), rows(good[layer], goodSplit.test)], axis: 0)
            let testY = Array(repeating: 1, count: badSplit.test.count) + Array(repeating: 0, count: goodSplit.test.count)
            let probe = SafetyProbe(hiddenState: layer, weight: fit.weight, bias: fit.bias,
                                    trainAccuracy: accuracy(trainX, trainY), testAccuracy: accuracy(testX, testY))
            probes.append(probe)
            log(String(format: "layer %2d: test accuracy %.3f (train %.3f, %d Newton steps)", layer, probe.testAccuracy, probe.trainAccuracy, fit.iterations))
        }
        return SafetyProbeSet(model: modelName, template: template.name,
                              feature: image == nil ? "last token of the templated prompt" : "last token of the templated prompt with one image",
                              image: image, maliciousTrain: badSplit.train.count, safeTrain: goodSplit.train.count,
                              maliciousTest: badSplit.test.count, safeTest: goodSplit.test.count, inverseRegularization: inverseRegularization,
                              probes: probes)
    }
}
