import LucidVision

/// Draws scenes into 8-bit RGB images with a small antialiased vector rasteriser.
///
/// Each object is its category's ``Icon`` scaled into its ``IconFrame``: first the outline (the
/// union of the icon's layers grown by ``IconFrame/outlineWidth(imageSize:)``, in a dark shade of
/// the object's colour), then the layers in order. Coverage of a pixel is
/// `clamp(0.5 − d, 0, 1)` where `d` is the signed distance in pixels from the pixel's centre to
/// the shape. Rendering is a pure function of the scene and the size: the same scene always
/// gives the same bytes on one platform.
public enum SceneRenderer {
    /// The smallest image side accepted.
    public static let minimumSize = 16
    /// The largest image side accepted.
    public static let maximumSize = 4096

    /// The image of `scene` at `size` × `size` pixels (default: the scene's own size).
    /// Object layout is stored as fractions of the image, so any size draws the same picture.
    /// Throws ``ShapesWorldError/invalidConfig(_:)`` for a size outside
    /// ``minimumSize`` ... ``maximumSize``.
    public static func render(_ scene: Scene, size: Int? = nil) throws(ShapesWorldError) -> RGBImage {
        let side = size ?? scene.imageSize
        guard (minimumSize ... maximumSize).contains(side) else {
            throw .invalidConfig("image size \(side) is outside \(minimumSize)...\(maximumSize)")
        }
        var canvas = Canvas(size: side)
        BackgroundPainter.paint(scene.background, on: &canvas)
        for object in scene.objects {
            draw(object, on: &canvas)
        }
        do {
            return try RGBImage(width: side, height: side, pixels: canvas.bytes())
        } catch {
            throw .invalidConfig("cannot make a \(side)x\(side) image: \(error)")
        }
    }

    /// The icon of `category` alone in `color`, filling most of a `size`-pixel image on a plain
    /// background (for galleries and the distinctness tests).
    public static func renderIcon(_ category: ShapeCategory, color: ShapeColor, size: Int,
                                  background: BackgroundColor = .white) throws(ShapesWorldError) -> RGBImage {
        let frame = IconFrame(centerX: 0.5, centerY: 0.5, side: 0.9)
        let object = SceneObject(category: category, color: color, size: .large, cell: .center, frame: frame,
                                 bbox: BoundingBox(x: 0, y: 0, width: Double(size), height: Double(size)))
        let scene = Scene(id: 0, imageSize: size, background: .solid(background), objects: [object], textSeed: 0)
        return try render(scene, size: size)
    }

    /// Draws one object on the canvas, touching only pixels that meet its bounding box.
    static func draw(_ object: SceneObject, on canvas: inout Canvas) {
        let icon = IconLibrary.icon(for: object.category)
        let palette = IconPalette(object.color)
        let frame = object.frame
        let size = canvas.size
        let scale = frame.scale(imageSize: size)
        guard scale > 0 else { return }
        let outline = frame.outlineWidth(imageSize: size)
        let cx = frame.centerX * Double(size)
        let cy = frame.centerY * Double(size)
        let margin = (outline + 1) / scale
        let reach = icon.layers.map { $0.bounds.expanded(by: margin) }
        let colors = icon.layers.map { palette.color($0.paint) }
        let box = object.boundingBox(imageSize: size)
        let x0 = max(0, Int(box.x.rounded(.down)))
        let x1 = min(size - 1, Int(box.maxX.rounded(.up)) - 1)
        let y0 = max(0, Int(box.y.rounded(.down)))
        let y1 = min(size - 1, Int(box.maxY.rounded(.up)) - 1)
        guard x0 <= x1, y0 <= y1 else { return }
        var distances = [Double](repeating: .infinity, count: icon.layers.count)
        for y in y0 ... y1 {
            let v = (Double(y) + 0.5 - cy) / scale
            for x in x0 ... x1 {
                let point = Vec2((Double(x) + 0.5 - cx) / scale, v)
                var nearest = Double.infinity
                for index in icon.layers.indices {
                    if reach[index].contains(point) {
                        let d = icon.layers[index].shape.distance(point) * scale
                        distances[index] = d
                        nearest = min(nearest, d)
                    } else {
                        distances[index] = .infinity
                    }
                }
                let edge = Float(min(max(0.5 - (nearest - outline), 0), 1))
                guard edge > 0 else { continue }
                canvas.blend(x, y, palette.outline, edge)
                for index in icon.layers.indices where distances[index] < 0.5 {
                    let alpha = Float(min(0.5 - distances[index], 1))
                    canvas.blend(x, y, colors[index], alpha)
                }
            }
        }
    }
}
