/// A perceptual colour map: evenly spaced anchor colours over [0, 1], linearly interpolated.
///
/// The built-in maps sample matplotlib's `viridis` and `inferno` (by Nathaniel J. Smith, Stefan
/// van der Walt and Eric Firing, released under CC0) at 17 evenly spaced points, so 0 and 1 give
/// exactly their end colours; in between they stay within a few levels of the 256-entry tables.
public struct Colormap: Sendable, Equatable {
    /// A name for messages and file names.
    public let name: String
    /// Anchor colours for t = 0, 1/(n-1), ..., 1.
    public let anchors: [RGBColor]

    /// A map through `anchors` (at least 2); throws `.invalidImage` for fewer.
    public init(name: String, anchors: [RGBColor]) throws {
        guard anchors.count >= 2 else {
            throw ImageError.invalidImage(reason: "a colour map needs at least 2 anchors, got \(anchors.count)")
        }
        self.name = name
        self.anchors = anchors
    }

    private init(name: String, table: [(UInt8, UInt8, UInt8)]) {
        self.name = name
        self.anchors = table.map { RGBColor(red: $0.0, green: $0.1, blue: $0.2) }
    }

    /// The colour at `t`, clamped to [0, 1] (NaN reads as 0); channels are interpolated linearly
    /// between the two nearest anchors and rounded to nearest, ties away from zero.
    public func color(at t: Float) -> RGBColor {
        let clamped = t.isNaN ? 0 : min(max(t, 0), 1)
        let position = clamped * Float(anchors.count - 1)
        let lower = min(Int(position), anchors.count - 2)
        let fraction = position - Float(lower)
        let a = anchors[lower], b = anchors[lower + 1]
        func mix(_ x: UInt8, _ y: UInt8) -> UInt8 {
            let value = Float(x) + (Float(y) - Float(x)) * fraction
            return UInt8(clamping: Int(value.rounded(.toNearestOrAwayFromZero)))
        }
        return RGBColor(red: mix(a.red, b.red), green: mix(a.green, b.green), blue: mix(a.blue, b.blue))
    }

    /// matplotlib's viridis (dark purple → blue → green → yellow).
    public static let viridis = Colormap(name: "viridis", table: [
        (68, 1, 84), (72, 24, 106), (71, 45, 123), (66, 64, 134), (59, 82, 139), (51, 99, 141),
        (44, 114, 142), (38, 130, 142), (33, 145, 140), (31, 159, 136), (39, 173, 129),
        (61, 188, 116), (92, 200, 99), (129, 211, 77), (170, 220, 50), (213, 226, 26), (253, 231, 37),
    ])

    /// matplotlib's inferno (black → purple → orange → pale yellow).
    public static let inferno = Colormap(name: "inferno", table: [
        (0, 0, 4), (11, 7, 36), (33, 12, 74), (61, 9, 101), (87, 16, 110), (113, 25, 110),
        (138, 34, 106), (163, 44, 97), (188, 55, 84), (208, 69, 69), (227, 89, 51), (241, 113, 31),
        (249, 140, 10), (252, 170, 15), (249, 201, 50), (242, 232, 101), (252, 255, 164),
    ])
}
