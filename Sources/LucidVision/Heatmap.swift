/// Attention heatmaps: a grid of scores, normalised, upsampled and colour-mapped over an image.
///
/// Typical use: a ViT's attention over its 24 x 24 patches (`gridWidth` 24, `gridHeight` 24,
/// `values` row-major from the top-left patch) drawn over the 336 x 336 input it saw.
public enum Heatmap {
    /// `values` min-max normalised to [0, 1]: the smallest becomes 0, the largest 1.
    ///
    /// All-equal values become all 0. Throws `.invalidImage` for an empty array or a NaN or
    /// infinite value.
    public static func normalized(_ values: [Float]) throws -> [Float] {
        guard let low = values.min(), let high = values.max() else {
            throw ImageError.invalidImage(reason: "no heatmap values")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw ImageError.invalidImage(reason: "heatmap value \(values[bad]) at index \(bad) is not finite")
        }
        let range = high - low
        guard range > 0 else { return [Float](repeating: 0, count: values.count) }
        return values.map { ($0 - low) / range }
    }

    /// A `gridWidth` x `gridHeight` row-major grid bilinearly upsampled to `width` x `height`.
    ///
    /// Pixel centres are aligned as in `torch.nn.functional.interpolate(mode="bilinear",
    /// align_corners=False)`: output pixel `x` samples grid position
    /// `(x + 0.5) * gridWidth / width - 0.5`, clamped to the grid, so each grid cell's value
    /// sits at its cell's centre and edges extend flat. Throws `.invalidImage` for sizes below 1
    /// or a value count other than `gridWidth * gridHeight`.
    public static func upsampled(_ grid: [Float], gridWidth: Int, gridHeight: Int,
                                 width: Int, height: Int) throws -> [Float] {
        let cells = try RGBImage.sampleCount(width: gridWidth, height: gridHeight, channels: 1)
        let count = try RGBImage.sampleCount(width: width, height: height, channels: 1)
        guard grid.count == cells else {
            throw ImageError.invalidImage(
                reason: "a \(gridWidth)x\(gridHeight) grid needs \(cells) values, got \(grid.count)")
        }
        let columns = (0 ..< width).map { axisSample($0, outSize: width, inSize: gridWidth) }
        let rows = (0 ..< height).map { axisSample($0, outSize: height, inSize: gridHeight) }
        var output = [Float](repeating: 0, count: count)
        for (y, row) in rows.enumerated() {
            for (x, column) in columns.enumerated() {
                let top = grid[row.low * gridWidth + column.low] * (1 - column.fraction)
                    + grid[row.low * gridWidth + column.high] * column.fraction
                let bottom = grid[row.high * gridWidth + column.low] * (1 - column.fraction)
                    + grid[row.high * gridWidth + column.high] * column.fraction
                output[y * width + x] = top * (1 - row.fraction) + bottom * row.fraction
            }
        }
        return output
    }

    /// The heatmap alone: normalised, upsampled to `width` x `height`, colour-mapped.
    public static func colorized(values: [Float], gridWidth: Int, gridHeight: Int, width: Int, height: Int,
                                 colormap: Colormap = .viridis) throws -> RGBImage {
        let unit = try normalized(values)
        let dense = try upsampled(unit, gridWidth: gridWidth, gridHeight: gridHeight, width: width, height: height)
        var pixels = [UInt8](repeating: 0, count: dense.count * 3)
        for (index, value) in dense.enumerated() {
            let color = colormap.color(at: value)
            pixels[index * 3] = color.red
            pixels[index * 3 + 1] = color.green
            pixels[index * 3 + 2] = color.blue
        }
        return RGBImage(checkedWidth: width, height: height, pixels: pixels)
    }

    /// `image` with the heatmap of `values` blended over it: `(1 - alpha) * image + alpha * colour`.
    ///
    /// The grid's values are min-max normalised (smallest → the colour map's start, largest → its
    /// end), bilinearly upsampled to the image size (``upsampled(_:gridWidth:gridHeight:width:height:)``)
    /// and colour-mapped; the blend is rounded to nearest, ties away from zero. `alpha` 0 returns
    /// the image, 1 the pure heatmap. Throws `.invalidImage` for `alpha` outside [0, 1], a value
    /// count other than `gridWidth * gridHeight`, or non-finite values.
    public static func overlay(image: RGBImage, values: [Float], gridWidth: Int, gridHeight: Int,
                               alpha: Float = 0.5, colormap: Colormap = .viridis) throws -> RGBImage {
        guard alpha >= 0, alpha <= 1 else {
            throw ImageError.invalidImage(reason: "overlay alpha \(alpha) is outside [0, 1]")
        }
        let heat = try colorized(values: values, gridWidth: gridWidth, gridHeight: gridHeight,
                                 width: image.width, height: image.height, colormap: colormap)
        var pixels = image.pixels
        for index in pixels.indices {
            let blended = (1 - alpha) * Float(image.pixels[index]) + alpha * Float(heat.pixels[index])
            pixels[index] = UInt8(clamping: Int(blended.rounded(.toNearestOrAwayFromZero)))
        }
        return RGBImage(checkedWidth: image.width, height: image.height, pixels: pixels)
    }

    /// The two grid indices and the weight of the upper one for output index `index`.
    private static func axisSample(_ index: Int, outSize: Int, inSize: Int) -> (low: Int, high: Int, fraction: Float) {
        let position = max((Float(index) + 0.5) * Float(inSize) / Float(outSize) - 0.5, 0)
        let low = min(Int(position), inSize - 1)
        let high = min(low + 1, inSize - 1)
        return (low, high, high == low ? 0 : position - Float(low))
    }
}
