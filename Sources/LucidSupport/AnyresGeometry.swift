/// The "anyres" tiling arithmetic of LLaVA-NeXT and LLaVA-OneVision, shared by the image processor (LucidVision), which
/// cuts an image into tiles, and the model (LucidModels), which reassembles their features.
///
/// Pure integer/double arithmetic written after transformers' `select_best_resolution`,
/// `get_patch_output_size` and `unpad_image` (image_processing_utils.py, modeling_llava_next.py, 5.23),
/// and LLaVA-OneVision's `anyres_max_N` downsizing (`pack_image_features`, modeling_llava_onevision.py).
public enum AnyresGeometry {
    /// `select_best_resolution`: of `candidates` (height, width), the one that keeps the most of an
    /// `height` × `width` image's resolution, ties broken by the least wasted area; nil when empty.
    public static func bestResolution(height: Int, width: Int, candidates: [(height: Int, width: Int)]) -> (height: Int, width: Int)? {
        var best: (height: Int, width: Int)?
        var maxEffective = 0
        var minWasted = Int.max
        for candidate in candidates {
            let scale = min(Double(candidate.width) / Double(width), Double(candidate.height) / Double(height))
            let effective = min(Int(Double(width) * scale) * Int(Double(height) * scale), width * height)
            let wasted = candidate.width * candidate.height - effective
            if effective > maxEffective || (effective == maxEffective && wasted < minWasted) {
                maxEffective = effective
                minWasted = wasted
                best = candidate
            }
        }
        return best
    }

    /// `get_patch_output_size`: the aspect-preserving size (ceiling) of an image fitted into `target`.
    public static func fittedSize(height: Int, width: Int, into target: (height: Int, width: Int)) -> (height: Int, width: Int) {
        let scaleWidth = Double(target.width) / Double(width)
        let scaleHeight = Double(target.height) / Double(height)
        if scaleWidth < scaleHeight {
            return (min(Int((Double(height) * scaleWidth).rounded(.up)), target.height), target.width)
        }
        return (target.height, min(Int((Double(width) * scaleHeight).rounded(.up)), target.width))
    }

    /// `unpad_image` on a feature grid of `gridHeight` × `gridWidth` for an image of `height` × `width`:
    /// the rows/columns that stay and where they start (Python's `int(round(x, 7))` included).
    public static func unpadded(height: Int, width: Int, gridHeight: Int, gridWidth: Int)
        -> (rows: Int, columns: Int, top: Int, left: Int) {
        func roundedTo7(_ x: Double) -> Int { Int(((x * 1e7).rounded(.toNearestOrEven) / 1e7).rounded(.towardZero)) }
        if Double(width) / Double(height) > Double(gridWidth) / Double(gridHeight) {
            let newHeight = roundedTo7(Double(height) * (Double(gridWidth) / Double(width)))
            let padding = (gridHeight - newHeight) / 2
            return (gridHeight - 2 * padding, gridWidth, padding, 0)
        }
        let newWidth = roundedTo7(Double(width) * (Double(gridHeight) / Double(height)))
        let padding = (gridWidth - newWidth) / 2
        return (gridHeight, gridWidth - 2 * padding, 0, padding)
    }

    /// LLaVA-OneVision's `anyres_max_N` rule on an unpadded grid of `rows` × `columns` patch features
    /// (tiles of `side` × `side` patches): with ratio = √(rows·columns / (N·side²)) above 1.1 the grid
    /// is resized (bilinear) to `int(rows // ratio)` × `int(columns // ratio)`, Python's float floor
    /// division; otherwise it stays. Nil when that leaves no row or no column.
    public static func downsized(rows: Int, columns: Int, maxTiles: Int, side: Int) -> (rows: Int, columns: Int)? {
        let ratio = (Double(rows * columns) / Double(maxTiles * side * side)).squareRoot()
        guard ratio > 1.1 else { return (rows, columns) }
        let result = (Int(pythonFloorDivision(Double(rows), ratio)), Int(pythonFloorDivision(Double(columns), ratio)))
        return result.0 >= 1 && result.1 >= 1 ? result : nil
    }

    /// CPython's `float.__floordiv__` for positive operands (`_float_div_mod`): the floor of
    /// (x − fmod(x, y)) / y, rounded up where that quotient lies more than ½ above its floor.
    static func pythonFloorDivision(_ x: Double, _ y: Double) -> Double {
        let quotient = (x - x.truncatingRemainder(dividingBy: y)) / y
        guard quotient != 0 else { return 0 }
        let floor = quotient.rounded(.down)
        return quotient - floor > 0.5 ? floor + 1 : floor
    }
}
