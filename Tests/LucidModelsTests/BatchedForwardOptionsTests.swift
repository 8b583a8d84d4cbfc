import Testing
@testable import LucidModels
@testable import LucidTensor

/// `ForwardOptions.parallelCandidates` and `.paddingMask` against one-row passes on a fixture model.
@Suite("batched forward options")
struct BatchedForwardOptionsTests {
    /// fp32, different matmul shapes: 1e-4 max-abs on logits and attention.
    static let tolerance = 1e-4
    let model: LlamaForCausalLM
    let prompt: [Int] = [5, 17, 33, 8, 61, 12, 40]

    init() throws { model = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-gqa", "model")) }

    func prefilled(rows: Int = 1) -> KVCache {
        let cache = model.makeCache()
        let tokens = Array(repeating: prompt, count: rows).flatMap { $0 }
        _ = withNoGrad { model.forward(tokens: Tensor(tokens, shape: [rows, prompt.count]), cache: cache, options: .logitsOnly) }
        return cache
    }

    @Test func parallelCandidatesScoreEachCandidateAsIfAlone() {
        let candidates = [3, 77, 22, 51]
        let capture = ForwardOptions(attentionLayers: .layers([-1]), attentionReduction: .max, logits: .all)
        var parallel = capture
        parallel.parallelCandidates = true
        let cache = prefilled()
        let together = withNoGrad { model.forward(tokens: Tensor(candidates, shape: [1, candidates.count]), cache: cache, options: parallel) }
        #expect(cache.length == prompt.count + candidates.count)
        cache.truncate(to: prompt.count)
        let last = model.layerCount - 1
        for (i, token) in candidates.enumerated() {
            let alone = withNoGrad { model.forward(tokens: Tensor([token], shape: [1, 1]), cache: cache, options: capture) }
            cache.truncate(to: prompt.count)
            #expect(maxAbs(together.logits!.narrowed(axis: 1, start: i, length: 1), alone.logits!) < Self.tolerance, "candidate \(i) logits")
            let row = together.attentions[last]!.narrowed(axis: 2, start: i, length: 1)  // [1, 1, 1, S + C]
            let seen = Tensor.cat([row.narrowed(axis: -1, start: 0, length: prompt.count),
                                   row.narrowed(axis: -1, start: prompt.count + i, length: 1)], axis: -1)
            #expect(maxAbs(seen, alone.attentions[last]!) < Self.tolerance, "candidate \(i) attention")
            let others = row.sum().item() - seen.sum().item()
            #expect(Swift.abs(others) < 1e-6, "candidate \(i) attends to another candidate (\(others))")
        }
    }

    @Test func keepingOneCandidatePerRowLeavesTheCacheAPlainStepWrites() {
        let candidates = [[3, 77, 22], [51, 9, 14]]
        let choices = [2, 0]
        let cache = prefilled(rows: 2)
        var parallel = ForwardOptions(logits: .none)
        parallel.parallelCandidates = true
        _ = withNoGrad { model.forward(tokens: Tensor(candidates.flatMap { $0 }, shape: [2, 3]), cache: cache, options: parallel) }
        cache.reorder([1, 0])
        cache.keepCandidates([choices[1], choices[0]], at: prompt.count, count: 3)
        #expect(cache.length == prompt.count + 1)
        let plain = prefilled(rows: 2)
        _ = withNoGrad { model.forward(tokens: Tensor([candidates[1][choices[1]], candidates[0][choices[0]]], shape: [2, 1]), cache: plain,
                                       options: .logitsOnly) }
        for layer in 0..<model.layerCount {
            let (k, v) = cache.entries(layer: layer)!
            let (pk, pv) = plain.entries(layer: layer)!
            #expect(maxAbs(k, pk) < Self.tolerance && maxAbs(v, pv) < Self.tolerance, "layer \(layer)")
        }
    }

    func mask(_ rows: [[Bool]]) -> Tensor { Tensor(rows.flatMap { $0 }.map { $0 ? 1.0 : 0.0 }, shape: [rows.count, rows[0].count]).to(.bool) }

    @Test func leftPaddedRowComputesWhatItWouldAlone() {
        let short = [9, 22, 51, 4]
        let pad = prompt.count - short.count
        let both = Tensor(prompt + Array(repeating: 0, count: pad) + short, shape: [2, prompt.count])
        let cache = model.makeCache()
        var options = ForwardOptions(logits: .last)
        options.paddingMask = mask([Array(repeating: true, count: prompt.count),
                                    Array(repeating: false, count: pad) + Array(repeating: true, count: short.count)])
        let batched = withNoGrad { model.forward(tokens: both, cache: cache, options: options) }
        let aloneCache = model.makeCache()
        let alone = withNoGrad { model.forward(tokens: Tensor(short, shape: [1, short.count]), cache: aloneCache, options: ForwardOptions(logits: .last)) }
        #expect(maxAbs(batched.logits!.narrowed(axis: 0, start: 1, length: 1), alone.logits!) < Self.tolerance)
        // A decode step: the mask grows by one attended position per row.
        options.paddingMask = mask([Array(repeating: true, count: prompt.count + 1),
                                    Array(repeating: false, count: pad) + Array(repeating: true, count: short.count + 1)])
        let next = withNoGrad { model.forward(tokens: Tensor([7, 7], shape: [2, 1]), cache: cache, options: options) }
        let nextAlone = withNoGrad { model.forward(tokens: Tensor([7], shape: [1, 1]), cache: aloneCache, options: ForwardOptions(logits: .last)) }
        #expect(maxAbs(next.logits!.narrowed(axis: 0, start: 1, length: 1), nextAlone.logits!) < Self.tolerance)
        #expect(maxAbs(next.logits!.narrowed(axis: 0, start: 0, length: 1),
                       withNoGrad { model.forward(tokens: Tensor(prompt + [7], shape: [1, prompt.count + 1]), cache: nil,
                                                  options: ForwardOptions(logits: .last)).logits! }) < Self.tolerance)
    }
}
