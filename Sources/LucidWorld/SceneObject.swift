/// One object of a scene, with every attribute the text and annotations talk about.
public struct SceneObject: Codable, Sendable, Equatable, Hashable {
    /// What the object is.
    public var category: ShapeCategory
    /// The colour it is painted in.
    public var color: ShapeColor
    /// Small or large.
    public var size: ObjectSize
    /// The grid cell the object occupies (no other object of the scene shares it).
    public var cell: GridCell
    /// Where the icon is drawn, as fractions of the image side.
    public var frame: IconFrame
    /// The pixels the object covers (icon, outline and antialiasing) in the scene's
    /// ``Scene/imageSize`` image; nothing of the object is drawn outside it.
    public var bbox: BoundingBox

    /// An object from its attributes; `bbox` should be ``boundingBox(imageSize:)`` of the scene size.
    public init(category: ShapeCategory, color: ShapeColor, size: ObjectSize, cell: GridCell,
                frame: IconFrame, bbox: BoundingBox) {
        self.category = category
        self.color = color
        self.size = size
        self.cell = cell
        self.frame = frame
        self.bbox = bbox
    }

    /// The bounding box of this object's drawing in a `size`-pixel image (the stored ``bbox``
    /// is this for the scene's size). Exact to the antialiasing fringe: every pixel the renderer
    /// changes lies in it, and the icon's extreme points lie within a pixel of its edges.
    public func boundingBox(imageSize size: Int) -> BoundingBox {
        let bounds = IconLibrary.icon(for: category).bounds
        let scale = frame.scale(imageSize: size)
        let margin = frame.outlineWidth(imageSize: size) + 0.5
        let cx = frame.centerX * Double(size)
        let cy = frame.centerY * Double(size)
        let limit = Double(size)
        let x0 = min(max(cx + bounds.minX * scale - margin, 0), limit)
        let y0 = min(max(cy + bounds.minY * scale - margin, 0), limit)
        let x1 = min(max(cx + bounds.maxX * scale + margin, 0), limit)
        let y1 = min(max(cy + bounds.maxY * scale + margin, 0), limit)
        // Outward to 1/100 pixel, so the box still contains every changed pixel and JSON stays short.
        let left = (x0 * 100).rounded(.down)
        let top = (y0 * 100).rounded(.down)
        let right = (x1 * 100).rounded(.up)
        let bottom = (y1 * 100).rounded(.up)
        return BoundingBox(x: left / 100, y: top / 100, width: (right - left) / 100, height: (bottom - top) / 100)
    }
}
