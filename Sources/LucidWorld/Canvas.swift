/// A floating-point RGB drawing surface (0–255 per channel) that shapes are blended onto with
/// antialiased coverage, and that rounds to an 8-bit image at the end.
struct Canvas {
    let size: Int
    private(set) var samples: [Float]

    init(size: Int) {
        self.size = size
        self.samples = [Float](repeating: 0, count: size * size * 3)
    }

    /// Sets pixel (`x`, `y`) to `color` (no bounds check beyond the caller's loops).
    mutating func set(_ x: Int, _ y: Int, _ color: SIMD3<Float>) {
        let index = (y * size + x) * 3
        samples[index] = color.x
        samples[index + 1] = color.y
        samples[index + 2] = color.z
    }

    /// Blends `color` over pixel (`x`, `y`) with coverage `alpha` in [0, 1].
    mutating func blend(_ x: Int, _ y: Int, _ color: SIMD3<Float>, _ alpha: Float) {
        let index = (y * size + x) * 3
        let keep = 1 - alpha
        samples[index] = samples[index] * keep + color.x * alpha
        samples[index + 1] = samples[index + 1] * keep + color.y * alpha
        samples[index + 2] = samples[index + 2] * keep + color.z * alpha
    }

    /// The samples rounded to the nearest 8-bit value (clamped to 0...255).
    func bytes() -> [UInt8] {
        samples.map { UInt8(min(max($0.rounded(.toNearestOrEven), 0), 255)) }
    }
}
