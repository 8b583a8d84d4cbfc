/// Where an object's icon is drawn, independent of the image size: the centre and the side of
/// the icon's square box ([-1, 1]² in icon units), as fractions of the image's side.
public struct IconFrame: Codable, Sendable, Equatable, Hashable {
    /// Centre, 0 (left edge) to 1 (right edge).
    public var centerX: Double
    /// Centre, 0 (top edge) to 1 (bottom edge).
    public var centerY: Double
    /// Side of the icon box.
    public var side: Double

    /// Pixels per icon unit in a `size`-pixel image (half the box side in pixels).
    func scale(imageSize size: Int) -> Double { side * Double(size) / 2 }

    /// Width of the outline drawn around the icon, in pixels, for a `size`-pixel image.
    func outlineWidth(imageSize size: Int) -> Double { max(1.0, side * Double(size) * 0.028) }
}
