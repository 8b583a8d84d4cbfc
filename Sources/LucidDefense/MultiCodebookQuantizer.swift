import LucidNN
import LucidTensor

/// Q-MLLM's patch-level quantiser in UniTok's layout: every token is split into `groups` chunks,
/// each chunk L2-normalised and replaced by its nearest (cosine) unit code from its own codebook;
/// the quantised token is the concatenation of the chosen codes.
///
/// The released Q-MLLM quantises UniTok's 64-d tokens in 8 chunks of 4096 codes; Lucid quantises
/// the selected vision features of the model it defends (192-d for the ShapesWorld ViT) the same way.
/// With `distance: .l2` (the Q-MLLM paper variant, on projected tokens) chunks and codes are not
/// normalised and the nearest code is the nearest in Euclidean distance.
public final class MultiCodebookQuantizer: Module {
    public let codebooks: ModuleList<VectorQuantizer>

    /// `groups` codebooks of `codesPerGroup` codes over chunks of `dimension / groups`; `.cosine`
    /// (UniTok's unit chunks and codes, the released layout) or `.l2` (raw chunks and codes).
    public init(dimension: Int, groups: Int, codesPerGroup: Int, commitmentCost: Double = 0.25, distance: VectorQuantizer.Distance = .cosine,
                generator: Generator) throws(DefenseError) {
        guard groups >= 1, dimension % groups == 0 else {
            throw DefenseError("the patch quantiser needs a group count that divides the feature width \(dimension) (got \(groups))")
        }
        guard codesPerGroup >= 2 else { throw DefenseError("the patch quantiser needs at least 2 codes per group (got \(codesPerGroup))") }
        codebooks = ModuleList((0..<groups).map { _ in
            let quantizer = VectorQuantizer(count: codesPerGroup, dimension: dimension / groups, distance: distance,
                                            commitmentCost: commitmentCost, generator: generator)
            quantizer.normalized = distance == .cosine
            return quantizer
        })
    }

    public var children: [(name: String, module: any Module)] { [("codebooks", codebooks)] }

    public var groups: Int { codebooks.count }
    public var chunkWidth: Int { codebooks[0].dimension }
    public var dimension: Int { groups * chunkWidth }
    /// How codes are chosen (every codebook alike).
    public var distance: VectorQuantizer.Distance { codebooks[0].distance }

    /// Each group's chunk of tokens [N, D] as the codebooks see it ([N, D / groups]: unit rows for `.cosine`).
    public func chunk(_ flat: Tensor, group: Int) -> Tensor {
        let piece = flat.narrowed(axis: 1, start: group * chunkWidth, length: chunkWidth)
        return distance == .cosine ? VectorQuantizer.unitRows(piece) : piece
    }

    /// The result of quantising tokens [..., D].
    public struct Output {
        /// Quantised tokens, same shape as the input.
        public var quantized: Tensor
        /// Code indices [tokens][group], tokens in row-major order of the leading axes.
        public var indices: [[Int]]
        /// Mean over groups of each codebook's ‖sg[x] − e‖².
        public var codebookLoss: Tensor
        /// Mean over groups of β‖x − sg[e]‖².
        public var commitmentLoss: Tensor
    }

    /// Quantises tokens [..., D]; `gradient` chooses what the backward pass sees.
    public func quantize(_ x: Tensor, gradient: VectorQuantizer.Gradient = .straightThrough) -> Output {
        let shape = x.shape
        let flat = x.reshaped([-1, dimension])
        var pieces: [Tensor] = []
        var perGroup: [[Int]] = []
        var codebookLoss: Tensor?
        var commitmentLoss: Tensor?
        for (g, codebook) in codebooks.items.enumerated() {
            let out = codebook.quantize(flat.narrowed(axis: 1, start: g * chunkWidth, length: chunkWidth), gradient: gradient)
            pieces.append(out.quantized)
            perGroup.append(out.indices)
            codebookLoss = codebookLoss.map { $0 + out.codebookLoss } ?? out.codebookLoss
            commitmentLoss = commitmentLoss.map { $0 + out.commitmentLoss } ?? out.commitmentLoss
        }
        let tokens = flat.size(0)
        let indices = (0..<tokens).map { t in perGroup.map { $0[t] } }
        return Output(quantized: Tensor.cat(pieces, axis: 1).reshaped(shape), indices: indices,
                      codebookLoss: (codebookLoss ?? Tensor.scalar(0.0)) / Double(groups),
                      commitmentLoss: (commitmentLoss ?? Tensor.scalar(0.0)) / Double(groups))
    }
}
