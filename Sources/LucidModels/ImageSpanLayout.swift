import LucidTensor

/// What the positions of one image's span in the decoder's sequence are, for attention analyses:
/// which of them form a picture grid (and its shape), and whether that grid's cells are the vision
/// tower's patches that DAMRO's [CLS] outliers rank.
///
/// - LLaVA-1.5: the tower's `n × n` patches (after the class token where `full` keeps it); cells are patches.
/// - LLaVA-NeXT: the base tile's `n × n` patches open the span (the high-resolution tiles and
///   `image_newline`s follow); cells are the base tile's patches, which DAMRO ranks (LLaVA-OneVision:
///   the same grid, but its SigLIP tower has no class token, so there is no outlier overlap).
/// - Qwen2-VL / Qwen2.5-VL: the whole span is the merged `h/2 × w/2` grid; a cell is 2 × 2 patches and
///   the tower has no class token, so there is no outlier overlap.
/// - InstructBLIP: the span is the Q-Former's query tokens, which are not a grid.
public struct ImageSpanLayout: Sendable, Equatable {
    /// Rows and columns of the picture grid (row-major); 0 when the span is not a grid.
    public var rows: Int
    public var columns: Int
    /// Offsets in the span of the grid's cells, row-major (empty when there is no grid).
    public var gridOffsets: [Int]
    /// Whether cell i is vision patch i of `visionOutliers` (so DAMRO's H_i and F compare like with like).
    public var cellsAreVisionPatches: Bool

    public init(rows: Int, columns: Int, gridOffsets: [Int], cellsAreVisionPatches: Bool) {
        (self.rows, self.columns, self.gridOffsets, self.cellsAreVisionPatches) = (rows, columns, gridOffsets, cellsAreVisionPatches)
    }

    /// A span with no picture grid (Q-Former queries).
    public static let noGrid = ImageSpanLayout(rows: 0, columns: 0, gridOffsets: [], cellsAreVisionPatches: false)

    /// A square grid of vision patches starting at `offset` in the span.
    public static func patches(side: Int, offset: Int) -> ImageSpanLayout {
        ImageSpanLayout(rows: side, columns: side, gridOffsets: Array(offset..<(offset + side * side)), cellsAreVisionPatches: true)
    }

    /// Whether the span has a picture grid.
    public var hasGrid: Bool { !gridOffsets.isEmpty }
}

extension VisionLanguageModel {
    /// The default (LLaVA-1.5's) layout: the square patch grid, after the class token when the features keep it.
    public func imageSpanLayout(of pixels: Tensor) throws(PromptError) -> ImageSpanLayout {
        let side = Int(Double(visionPatchCount).squareRoot().rounded())
        guard side * side == visionPatchCount else { return .noGrid }
        return .patches(side: side, offset: imageFeaturesIncludeClassToken ? 1 : 0)
    }
}
