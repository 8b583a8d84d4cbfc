/// A scene's background: a solid colour or a gradient between two light colours, optionally with
/// light grain. Everything needed to repaint it exactly is stored (including the grain's seed).
public struct Background: Codable, Sendable, Equatable, Hashable {
    /// How the two colours are laid out.
    public enum Style: String, CaseIterable, Codable, Sendable {
        /// `primary` everywhere (`secondary` equals it).
        case solid
        /// `primary` at the top to `secondary` at the bottom.
        case verticalGradient = "vertical-gradient"
        /// `primary` on the left to `secondary` on the right.
        case horizontalGradient = "horizontal-gradient"
        /// `primary` at the top-left corner to `secondary` at the bottom-right corner.
        case diagonalGradient = "diagonal-gradient"
        /// `primary` at the centre to `secondary` at the corners.
        case radialGradient = "radial-gradient"
    }

    /// How the colours are laid out.
    public var style: Style
    /// The first colour (everywhere for a solid background).
    public var primary: BackgroundColor
    /// The second colour of a gradient (equal to ``primary`` when solid).
    public var secondary: BackgroundColor
    /// Grain amplitude in 8-bit levels (each pixel's grey offset is uniform in `-noise ... noise`);
    /// 0 for none.
    public var noise: Int
    /// Seed of the grain (pixel offsets hash this seed with the pixel's coordinates).
    public var noiseSeed: UInt64

    /// A background; `secondary` is replaced by `primary` for the solid style and a negative
    /// `noise` by 0.
    public init(style: Style, primary: BackgroundColor, secondary: BackgroundColor, noise: Int = 0, noiseSeed: UInt64 = 0) {
        self.style = style
        self.primary = primary
        self.secondary = style == .solid ? primary : secondary
        self.noise = max(0, noise)
        self.noiseSeed = noiseSeed
    }

    /// A plain background of one colour without grain.
    public static func solid(_ color: BackgroundColor) -> Background {
        Background(style: .solid, primary: color, secondary: color)
    }
}
