/// Qwen2.5-VL's window attention layout (transformers' `get_vision_window_index`, written from its
/// definition): each frame's grid of merged patches (`spatial_merge_size`² patches each) is cut into
/// windows of `side × side` merged patches, the last row and column of windows cut short where the grid
/// is not a multiple of `side`; the tower's sequence is reordered window by window (row-major windows,
/// row-major merged patches inside), and windowed blocks attend within each window.
public struct Qwen25VLWindows: Sendable, Equatable {
    /// For each position of the windowed sequence, the patch (original order) it holds.
    public var order: [Int]
    /// Patches per window, in order (empty windows dropped, as `unique_consecutive` drops them).
    public var lengths: [Int]

    /// The layout of `grids` with windows of `side` merged patches and merge blocks of `merge` × `merge` patches.
    public init(grids: [Qwen2VLGrid], side: Int, merge: Int) {
        let unit = merge * merge
        var mergedOrder: [Int] = []
        var lengths: [Int] = []
        var offset = 0
        for grid in grids {
            let (rows, columns) = (grid.h / merge, grid.w / merge)
            // Windows over the grid padded up to whole windows; a grid that is already a multiple
            // gains one empty row/column of windows in the reference, which holds nothing.
            let (windowRows, windowColumns) = ((rows + side - 1) / side, (columns + side - 1) / side)
            for t in 0..<grid.t {
                for windowRow in 0..<windowRows {
                    for windowColumn in 0..<windowColumns {
                        var count = 0
                        for r in (windowRow * side)..<Swift.min((windowRow + 1) * side, rows) {
                            for c in (windowColumn * side)..<Swift.min((windowColumn + 1) * side, columns) {
                                mergedOrder.append(offset + (t * rows + r) * columns + c)
                                count += 1
                            }
                        }
                        if count > 0 { lengths.append(count * unit) }
                    }
                }
            }
            offset += grid.t * rows * columns
        }
        order = mergedOrder.flatMap { block in (0..<unit).map { block * unit + $0 } }
        self.lengths = lengths
    }

    /// For each patch (original order), its position in the windowed sequence.
    public var inverse: [Int] {
        var result = [Int](repeating: 0, count: order.count)
        for (position, patch) in order.enumerated() { result[patch] = position }
        return result
    }
}
