import Testing
@testable import LucidModels
@testable import LucidTensor

/// KV-cache operations against full (uncached) forward passes on a fixture model.
@Suite("KV caches")
struct KVCacheTests {
    /// fp32: cached steps (gemv) and full passes (gemm) round differently; 1e-4 max-abs on logits.
    static let tolerance = 1e-4
    let model: LlamaForCausalLM
    let ids: [Int] = [5, 17, 33, 8, 61, 12, 40, 77, 3, 9, 22, 51]

    init() throws { model = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-gqa", "model")) }

    func full(_ tokens: [Int]) -> Tensor {
        withNoGrad { model.forward(tokens: Tensor(tokens, shape: [1, tokens.count]), cache: nil, options: .logitsOnly).logits!.selected(axis: 1, index: -1) }
    }

    func step(_ token: Int, _ cache: KVCache) -> Tensor {
        withNoGrad { model.forward(tokens: Tensor([token], shape: [1, 1]), cache: cache, options: .logitsOnly).logits!.selected(axis: 1, index: -1) }
    }

    func prefill(_ tokens: [Int]) -> KVCache {
        let cache = model.makeCache()
        _ = withNoGrad { model.forward(tokens: Tensor(tokens, shape: [1, tokens.count]), cache: cache, options: .logitsOnly) }
        return cache
    }

    @Test func growingPastCapacityKeepsEveryPosition() {
        let cache = prefill(Array(ids.prefix(2)))
        var sequence = Array(ids.prefix(2))
        for i in 0..<40 {
            let token = ids[i % ids.count]
            sequence.append(token)
            let cached = step(token, cache)
            #expect(maxAbs(cached, full(sequence)) < Self.tolerance, "position \(sequence.count - 1)")
        }
        #expect(cache.length == 42)
    }

    @Test func forkIsIndependentOfTheOriginal() {
        let cache = prefill(Array(ids.prefix(6)))
        let branch = cache.fork()
        _ = step(ids[6], branch)
        _ = step(ids[7], branch)
        #expect(branch.length == 8 && cache.length == 6)
        #expect(maxAbs(step(99, cache), full(Array(ids.prefix(6)) + [99])) < Self.tolerance)
    }

    @Test func restoreReturnsToTheSnapshot() {
        let cache = prefill(Array(ids.prefix(6)))
        let saved = cache.snapshot()
        for token in ids[6..<9] { _ = step(token, cache) }
        cache.restore(saved)
        #expect(cache.length == 6)
        #expect(maxAbs(step(ids[6], cache), full(Array(ids.prefix(7)))) < Self.tolerance)
        _ = step(ids[7], cache)
        #expect(saved.length == 6, "restoring copies: the snapshot stays reusable")
    }

    @Test func truncateRewindsPositions() {
        let cache = prefill(Array(ids.prefix(8)))
        cache.truncate(to: 5)
        #expect(cache.length == 5)
        #expect(maxAbs(step(ids[5], cache), full(Array(ids.prefix(6)))) < Self.tolerance)
    }

    @Test func reorderPermutesAndRepeatsBatchRows() {
        let a = Array(ids.prefix(5))
        let b = Array(ids.suffix(5))
        let cache = model.makeCache()
        _ = withNoGrad { model.forward(tokens: Tensor(a + b, shape: [2, 5]), cache: cache, options: .logitsOnly) }
        cache.reorder([1, 1, 0])
        #expect(cache.batchSize == 3)
        let logits = withNoGrad { model.forward(tokens: Tensor([7, 8, 9], shape: [3, 1]), cache: cache, options: .logitsOnly).logits! }
        #expect(maxAbs(logits[0, 0], full(b + [7])[0]) < Self.tolerance)
        #expect(maxAbs(logits[1, 0], full(b + [8])[0]) < Self.tolerance)
        #expect(maxAbs(logits[2, 0], full(a + [9])[0]) < Self.tolerance)
    }

    @Test func gradientsFlowThroughCachedPositions() {
        let cache = model.makeCache()
        let embeddings = model.embed(Tensor(Array(ids.prefix(4)), shape: [1, 4])).detached()
        embeddings.requiresGrad = true
        _ = model.forward(embeddings: embeddings, cache: cache, options: .logitsOnly)
        let next = model.forward(tokens: Tensor([ids[4]], shape: [1, 1]), cache: cache, options: .logitsOnly).logits!
        next.sum().backward()
        let grad = embeddings.grad
        #expect(grad != nil)
        #expect((grad?.abs().sum().item() ?? 0) > 0, "the last step depends on the cached prompt")
    }
}
