import LucidVision

/// A named light background colour. All are light enough that every ``ShapeColor`` (drawn with a
/// dark outline) stands out on them.
public enum BackgroundColor: String, CaseIterable, Codable, Sendable {
    case white, cream, lightGray = "light gray", paleBlue = "pale blue", mint, peach, lavender, sand
    case paleYellow = "pale yellow", skyBlue = "sky blue"

    /// The name as written in text, e.g. `"pale blue"`.
    public var name: String { rawValue }

    /// The sRGB value painted.
    public var rgb: RGBColor {
        switch self {
        case .white: return RGBColor(red: 250, green: 250, blue: 247)
        case .cream: return RGBColor(red: 246, green: 238, blue: 216)
        case .lightGray: return RGBColor(red: 222, green: 222, blue: 222)
        case .paleBlue: return RGBColor(red: 208, green: 226, blue: 246)
        case .mint: return RGBColor(red: 208, green: 240, blue: 220)
        case .peach: return RGBColor(red: 251, green: 222, blue: 198)
        case .lavender: return RGBColor(red: 228, green: 218, blue: 246)
        case .sand: return RGBColor(red: 232, green: 214, blue: 178)
        case .paleYellow: return RGBColor(red: 250, green: 244, blue: 188)
        case .skyBlue: return RGBColor(red: 176, green: 214, blue: 240)
        }
    }
}
