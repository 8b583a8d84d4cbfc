/// An axis-aligned box in pixels, COCO's `[x, y, width, height]` with (x, y) the top-left corner.
public struct BoundingBox: Codable, Sendable, Equatable, Hashable {
    /// Left edge in pixels.
    public var x: Double
    /// Top edge in pixels.
    public var y: Double
    /// Width in pixels.
    public var width: Double
    /// Height in pixels.
    public var height: Double

    /// A box with top-left corner (`x`, `y`).
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// `width * height`.
    public var area: Double { width * height }

    /// The right edge, `x + width`.
    public var maxX: Double { x + width }

    /// The bottom edge, `y + height`.
    public var maxY: Double { y + height }

    /// Whether the box lies within a `size` × `size` image.
    public func isInside(imageSize size: Int) -> Bool {
        x >= 0 && y >= 0 && maxX <= Double(size) && maxY <= Double(size) && width > 0 && height > 0
    }

    /// Whether pixel (`px`, `py`) (its square `[px, px+1) × [py, py+1)`) meets the box.
    public func touches(pixelX px: Int, y py: Int) -> Bool {
        Double(px + 1) > x && Double(px) < maxX && Double(py + 1) > y && Double(py) < maxY
    }
}
