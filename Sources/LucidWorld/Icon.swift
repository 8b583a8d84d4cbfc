/// One filled part of an icon.
struct IconLayer: Sendable {
    let shape: Shape
    let paint: IconPaint
    /// The shape's bounds (cached).
    let bounds: Rect2

    init(_ shape: Shape, _ paint: IconPaint = .body) {
        self.shape = shape
        self.paint = paint
        self.bounds = shape.bounds
    }
}

/// A category's picture: layers painted in order over an outline of their union, in icon
/// coordinates ([-1, 1]², y down).
struct Icon: Sendable {
    let layers: [IconLayer]
    /// The union of the layers' bounds.
    let bounds: Rect2

    init(_ layers: [IconLayer]) {
        self.layers = layers
        self.bounds = layers.reduce(Rect2.nothing) { $0.union($1.bounds) }
    }
}
