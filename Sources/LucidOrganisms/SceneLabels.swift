import LucidWorld

/// Per-cell targets of the vision pre-training stage: what occupies each of the 3×3 cells.
///
/// The vision tower sees 96-pixel images in 32-pixel patches, so patch i is grid cell i (reading
/// order) and each patch token can be trained to name its cell's object directly.
public struct SceneLabels: Sendable, Equatable {
    /// Category class per cell: 0 = empty, 1 + index in `SceneLabels.categories` otherwise.
    public var category: [Int]
    /// Colour index in `ShapeColor.allCases`, or −100 (ignored) for an empty cell.
    public var color: [Int]
    /// Size index in `ObjectSize.allCases`, or −100 for an empty cell.
    public var size: [Int]

    /// Every category a label can name (things, then hazards), in a fixed order.
    public static let categories: [ShapeCategory] = ShapeCategory.allCases

    public init(scene: Scene) {
        category = Array(repeating: 0, count: 9)
        color = Array(repeating: -100, count: 9)
        size = Array(repeating: -100, count: 9)
        for object in scene.objects {
            let cell = object.cell.index
            category[cell] = 1 + (Self.categories.firstIndex(of: object.category) ?? 0)
            color[cell] = ShapeColor.allCases.firstIndex(of: object.color) ?? 0
            size[cell] = ObjectSize.allCases.firstIndex(of: object.size) ?? 0
        }
    }
}
