/// The size class of an object: a large icon nearly fills its grid cell, a small one about half.
public enum ObjectSize: String, CaseIterable, Codable, Sendable {
    case small, large

    /// The word used in text.
    public var name: String { rawValue }

    /// The range of the icon's side as a fraction of the cell's side.
    var sideFraction: ClosedRange<Double> {
        switch self {
        case .small: return 0.46 ... 0.56
        case .large: return 0.80 ... 0.92
        }
    }
}
