/// An error from ShapesWorld: an invalid configuration, or a file that could not be written.
public enum ShapesWorldError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A configuration value is out of range or inconsistent; the text says which and why.
    case invalidConfig(String)
    /// An export file or directory could not be created or written.
    case cannotWrite(path: String, reason: String)

    /// One sentence saying what is wrong.
    public var description: String {
        switch self {
        case let .invalidConfig(reason): return "invalid ShapesWorld configuration: \(reason)"
        case let .cannotWrite(path, reason): return "\(path): cannot write: \(reason)"
        }
    }
}
