import LucidSupport
/// Paints a ``Background`` onto a canvas: the gradient between its two colours, then the grain.
///
/// Gradient parameter `t` per pixel centre (`px = x + 0.5`, `py = y + 0.5`, side `s`): vertical
/// `py / s`, horizontal `px / s`, diagonal `(px + py) / 2s`, radial the distance to the centre
/// over `s / √2`; colour `primary · (1 − t) + secondary · t`. Grain: one offset per pixel,
/// uniform in `-noise ... noise`, from SplitMix64 of `noiseSeed ^ (y · 2^32 + x)`, added to all
/// three channels, so the background is a pure function of its description.
enum BackgroundPainter {
    static func paint(_ background: Background, on canvas: inout Canvas) {
        let size = canvas.size
        let side = Double(size)
        let a = IconPalette.vector(background.primary.rgb)
        let b = IconPalette.vector(background.secondary.rgb)
        let radius = side / 2.0.squareRoot()
        for y in 0 ..< size {
            let py = Double(y) + 0.5
            for x in 0 ..< size {
                let px = Double(x) + 0.5
                let t: Double
                switch background.style {
                case .solid: t = 0
                case .verticalGradient: t = py / side
                case .horizontalGradient: t = px / side
                case .diagonalGradient: t = (px + py) / (2 * side)
                case .radialGradient:
                    let dx = px - side / 2
                    let dy = py - side / 2
                    t = min((dx * dx + dy * dy).squareRoot() / radius, 1)
                }
                var color = a + (b - a) * Float(t)
                if background.noise > 0 {
                    var state = background.noiseSeed ^ (UInt64(y) << 32 | UInt64(x))
                    let span = UInt64(2 * background.noise + 1)
                    let offset = Float(Int(SplitMix64.next(&state) % span) - background.noise)
                    color += SIMD3(repeating: offset)
                }
                canvas.set(x, y, color)
            }
        }
    }
}
