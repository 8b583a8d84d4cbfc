/// A cell of the 3×3 layout grid, in reading order (top-left first). Each object of a scene
/// occupies its own cell, so positions in text are unambiguous.
public enum GridCell: String, CaseIterable, Codable, Sendable, Comparable {
    case topLeft = "top-left", top = "top", topRight = "top-right"
    case left = "left", center = "center", right = "right"
    case bottomLeft = "bottom-left", bottom = "bottom", bottomRight = "bottom-right"

    /// The cell's name, e.g. `"top-left"`, `"center"` (the answer of a position question).
    public var name: String { rawValue }

    /// Row 0 (top) to 2 (bottom).
    public var row: Int { index / 3 }

    /// Column 0 (left) to 2 (right).
    public var column: Int { index % 3 }

    /// 0 (top-left) to 8 (bottom-right).
    public var index: Int { GridCell.allCases.firstIndex(of: self) ?? 0 }

    /// The cell at `row`, `column` (each 0...2); nil outside the grid.
    public init?(row: Int, column: Int) {
        guard (0 ... 2).contains(row), (0 ... 2).contains(column) else { return nil }
        self = GridCell.allCases[row * 3 + column]
    }

    /// A prepositional phrase locating something in this cell, e.g. `"in the top-left corner"`.
    public var phrase: String {
        switch self {
        case .topLeft, .topRight, .bottomLeft, .bottomRight: return "in the \(rawValue) corner"
        case .top: return "at the top"
        case .bottom: return "at the bottom"
        case .left: return "on the left"
        case .right: return "on the right"
        case .center: return "in the center"
        }
    }

    /// Orders cells in reading order.
    public static func < (lhs: GridCell, rhs: GridCell) -> Bool { lhs.index < rhs.index }
}
