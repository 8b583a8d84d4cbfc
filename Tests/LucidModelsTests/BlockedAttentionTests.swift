import Foundation
import Testing
@testable import LucidModels
@testable import LucidTensor

/// `ScaledDotProductAttention.attendInBlocks`: a tower's attention over many patches in blocks of
/// query rows, so that its scores never take more than a budget, with the values of the whole product
/// (up to the summation order a matrix kernel picks for another row count).
@Suite("attention in blocks of query rows")
struct BlockedAttentionTests {
    @Test func blocksHoldAsManyRowsAsTheBudgetAllows() {
        // 16 heads × 65,536 keys × 4 bytes = 4 MiB a query row: 64 rows in 256 MiB.
        #expect(ScaledDotProductAttention.blockRows(queries: 65_536, keys: 65_536, batch: 16, scoreBudget: 256 << 20) == 64)
        #expect(ScaledDotProductAttention.blockRows(queries: 10, keys: 10, batch: 1, scoreBudget: 256 << 20) == 10)
        #expect(ScaledDotProductAttention.blockRows(queries: 10, keys: 1 << 40, batch: 1 << 30, scoreBudget: 1) == 1)
        #expect(ScaledDotProductAttention.blockRows(queries: 0, keys: 0, batch: 0, scoreBudget: 0) == 1)
    }

    @Test(arguments: [DType.f32, .bf16])
    func blocksGiveTheWholeProductsValues(_ dtype: DType) {
        let random = Generator(seed: 28)
        let (q, k, v) = (Tensor.randn([2, 4, 37, 8], generator: random).to(dtype), Tensor.randn([2, 4, 37, 8], generator: random).to(dtype),
                         Tensor.randn([2, 4, 37, 8], generator: random).to(dtype))
        let whole = ScaledDotProductAttention.attend(query: q, key: k, value: v, softmaxIn: .f32).output
        // 2 × 4 × 37 keys × 4 bytes = 1,184 bytes a row: blocks of 5 rows (the last one 2).
        let blocked = ScaledDotProductAttention.attendInBlocks(query: q, key: k, value: v, softmaxIn: .f32, scoreBudget: 5 * 1_184)
        #expect(blocked.shape == whole.shape && blocked.dtype == dtype)
        // The same row products, summed in whatever order the matrix kernel picks for 5 rows instead of
        // 37: here f32 differs by one step (2.4e-7) and bf16 not at all; held to a step of each dtype.
        let difference: Double = (blocked.to(.f64) - whole.to(.f64)).abs().max().item()
        let magnitude: Double = whole.to(.f64).abs().max().item()
        #expect(difference <= Swift.max(1, magnitude) * (dtype == .f32 ? 0x1p-22 : 0x1p-7), "\(dtype): \(difference)")
    }

    /// The Llama family's explicit attention with a budget of a few bytes (one query row a block): the
    /// fixtures' logits and hidden states still match transformers within the conformance tolerance,
    /// and capturing attention (one whole block) gives what it gave before.
    @Test(arguments: LlamaConformanceTests.configurations)
    func aPromptInBlocksOfOneRowMatchesTheReference(_ name: String) throws {
        let directory = Fixtures.path("llama", name)
        let model = try LlamaForCausalLM.load(path: directory + "/model")
        let golden = try Fixtures.golden(directory)
        let ids = try golden.loadTensor(named: "input_ids")
        let whole = withNoGrad { model.forward(tokens: ids, cache: nil, options: ForwardOptions(hiddenStates: .all)) }
        let blocked = ScaledDotProductAttention.$scoreBudget.withValue(1) {
            withNoGrad { model.forward(tokens: ids, cache: nil, options: ForwardOptions(hiddenStates: .all)) }
        }
        expectMatches(blocked.logits, try golden.loadTensor(named: "logits"), tolerance: LlamaConformanceTests.tolerance, "\(name) logits")
        expectMatches(blocked.logits, try #require(whole.logits), tolerance: 1e-5, "\(name) blocked against whole")
        for index in 0...model.config.numHiddenLayers {
            expectMatches(blocked.hiddenStates[index], try golden.loadTensor(named: "hidden_states.\(index)"),
                          tolerance: LlamaConformanceTests.tolerance, "\(name) hidden_states.\(index)")
        }
        let captured = ScaledDotProductAttention.$scoreBudget.withValue(1) {
            withNoGrad { model.forward(tokens: ids, cache: nil, options: ForwardOptions(attentionLayers: .all)) }
        }
        expectMatches(captured.attentions[0], try golden.loadTensor(named: "attentions.0"), tolerance: LlamaConformanceTests.tolerance,
                      "\(name) attentions.0")
    }

    /// A left-padded batch (what DAMRO and batched serving run) in blocks: each block reads its rows of
    /// the [B, 1, T, S] mask, so the padded row computes what it computes in one block.
    @Test func aLeftPaddedBatchInBlocksMasksEachBlocksRows() throws {
        let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-gqa", "model"))
        let long = [3, 14, 15, 92, 65, 35, 89, 79, 32, 38], short = [9, 22, 51, 4]
        let pad = long.count - short.count
        var options = ForwardOptions()
        options.paddingMask = Tensor((Array(repeating: 1.0, count: long.count) + Array(repeating: 0.0, count: pad) + Array(repeating: 1.0, count: short.count)),
                                     shape: [2, long.count]).to(.bool)
        let tokens = Tensor(long + Array(repeating: 0, count: pad) + short, shape: [2, long.count])
        let whole = try #require(withNoGrad { model.forward(tokens: tokens, cache: nil, options: options) }.logits)
        let blocked = try #require(ScaledDotProductAttention.$scoreBudget.withValue(1) {
            withNoGrad { model.forward(tokens: tokens, cache: nil, options: options) }
        }.logits)
        expectMatches(blocked, whole, tolerance: 1e-5, "padded batch in blocks")
    }

    /// The tiny Qwen2-VL fixture's tower (4 heads, 2 blocks) on 4,900 patches: its whole scores take 384 MB
    /// a block, so without captures it attends in blocks; with every block's attention captured it takes
    /// the whole product. The merged features are the same.
    @Test func aLargeImageThroughTheTowerGivesTheWholeProductsFeatures() throws {
        let model = try QwenFixture(directory: Fixtures.path("qwen2-vl"), beamFile: "").model()
        let grid = Qwen2VLGrid(t: 1, h: 70, w: 70)
        let image = Qwen2VLImage(patches: Tensor.randn([70 * 70, 3 * 2 * 14 * 14], generator: Generator(seed: 28)), grid: grid)
        #expect(ScaledDotProductAttention.blockRows(queries: 4_900, keys: 4_900, batch: 4,
                                                    scoreBudget: ScaledDotProductAttention.scoreBudget) < 4_900)
        let blocked = try withNoGrad { () throws(PromptError) -> Tensor in try model.imageFeatures(image) }
        let trace = ForwardTrace()
        let whole = try withNoGrad { () throws(PromptError) -> Tensor in
            var options = ForwardOptions()
            options.visionAttentionLayers = .all
            return try model.imageFeatures(image, options: options, trace: trace)
        }
        #expect(trace.visionAttentions.count == 2)
        #expect(blocked.shape == whole.shape)
        let difference: Double = (blocked.to(.f64) - whole.to(.f64)).abs().max().item()
        #expect(difference == 0, "\(difference)")
    }
}
