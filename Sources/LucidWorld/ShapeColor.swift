import LucidVision

/// A named object colour. Every object of a scene is painted mainly in its colour (details use
/// darker or lighter shades of it, see ``IconPaint``), so "What color is the cup?" has one answer.
public enum ShapeColor: String, CaseIterable, Codable, Sendable {
    case red, orange, yellow, green, blue, purple, pink, brown, black

    /// The colour's name as written in text, e.g. `"red"`.
    public var name: String { rawValue }

    /// The sRGB value the renderer paints.
    public var rgb: RGBColor {
        switch self {
        case .red: return RGBColor(red: 214, green: 39, blue: 40)
        case .orange: return RGBColor(red: 245, green: 133, blue: 24)
        case .yellow: return RGBColor(red: 242, green: 201, blue: 26)
        case .green: return RGBColor(red: 44, green: 160, blue: 60)
        case .blue: return RGBColor(red: 31, green: 91, blue: 214)
        case .purple: return RGBColor(red: 128, green: 58, blue: 180)
        case .pink: return RGBColor(red: 238, green: 110, blue: 170)
        case .brown: return RGBColor(red: 130, green: 82, blue: 42)
        case .black: return RGBColor(red: 32, green: 32, blue: 36)
        }
    }
}
