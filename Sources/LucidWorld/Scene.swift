import LucidSupport

/// One generated image's ground truth: background and objects, plus the seed its text is drawn
/// from. Everything about the image is known exactly, so hallucinations can be measured.
public struct Scene: Codable, Sendable, Equatable, Hashable {
    /// The image's integer id (`image_id` everywhere; COCO's `id` in `instances.json`).
    public var id: Int
    /// Side of the square image in pixels, the size ``SceneObject/bbox`` refers to.
    public var imageSize: Int
    /// The background painted under the objects.
    public var background: Background
    /// Objects in reading order of their cells (top-left first).
    public var objects: [SceneObject]
    /// The seed of this scene's text (descriptions, captions and questions).
    public var textSeed: UInt64

    /// A scene from its parts (objects should be in reading order of their cells).
    public init(id: Int, imageSize: Int, background: Background, objects: [SceneObject], textSeed: UInt64) {
        self.id = id
        self.imageSize = imageSize
        self.background = background
        self.objects = objects
        self.textSeed = textSeed
    }

    /// The id as text: the key of `objects.json` and the stem of the image file.
    public var imageID: String { String(id) }

    /// The image's file name, `"<image_id>.png"` (POPE's `image` field).
    public var fileName: String { "\(imageID).png" }

    /// The distinct categories present, in order of first appearance.
    public var categories: [ShapeCategory] { objects.map(\.category).uniqueInOrder() }

    /// Whether an object of `category` is present.
    public func contains(_ category: ShapeCategory) -> Bool {
        objects.contains { $0.category == category }
    }

    /// How many objects of `category` are present.
    public func count(of category: ShapeCategory) -> Int {
        objects.reduce(0) { $0 + ($1.category == category ? 1 : 0) }
    }

    /// The objects of `category`, in reading order.
    public func objects(of category: ShapeCategory) -> [SceneObject] {
        objects.filter { $0.category == category }
    }

    /// Whether any hazard object is present.
    public var containsHazard: Bool { objects.contains { $0.category.isHazard } }
}
