import LucidVision

/// Which colour an icon layer is filled with, relative to the object's ``ShapeColor``.
enum IconPaint: Sendable, Equatable {
    /// The object's colour (most of every icon's area).
    case body
    /// A darker shade of the object's colour (a lighter grey for black objects).
    case shade
    /// A lighter tint of the object's colour.
    case tint
    /// A dark detail colour (light grey on black objects): eyes, hands, wheels, strings.
    case ink
    /// A contrasting highlight: yellow, or brown on yellow and orange objects (flower centres,
    /// sparks).
    case accent
    /// A fixed colour regardless of the object's (leaf green, stem brown).
    case fixed(RGBColor)
}

/// The resolved colours of one object: its paints plus the outline drawn around the silhouette.
struct IconPalette: Sendable {
    let body: SIMD3<Float>
    let shade: SIMD3<Float>
    let tint: SIMD3<Float>
    let ink: SIMD3<Float>
    let accent: SIMD3<Float>
    let outline: SIMD3<Float>

    init(_ color: ShapeColor) {
        let body = IconPalette.vector(color.rgb)
        let white = SIMD3<Float>(255, 255, 255)
        let luma = 0.299 * body.x + 0.587 * body.y + 0.114 * body.z
        self.body = body
        if luma < 60 {
            shade = body + SIMD3(45, 45, 45)
            tint = SIMD3(150, 150, 156)
            ink = SIMD3(214, 214, 214)
            outline = SIMD3(10, 10, 12)
        } else {
            shade = body * 0.7
            tint = body + (white - body) * 0.5
            ink = SIMD3(38, 32, 32)
            outline = body * 0.42
        }
        accent = (color == .yellow || color == .orange) ? SIMD3(120, 70, 30) : SIMD3(250, 208, 48)
    }

    /// The colour of `paint` for this object.
    func color(_ paint: IconPaint) -> SIMD3<Float> {
        switch paint {
        case .body: return body
        case .shade: return shade
        case .tint: return tint
        case .ink: return ink
        case .accent: return accent
        case let .fixed(rgb): return IconPalette.vector(rgb)
        }
    }

    static func vector(_ rgb: RGBColor) -> SIMD3<Float> {
        SIMD3(Float(rgb.red), Float(rgb.green), Float(rgb.blue))
    }
}
