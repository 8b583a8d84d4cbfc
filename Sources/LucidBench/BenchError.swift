import LucidSupport

/// Why a benchmark could not run: an unreadable or foreign reference, inputs of the wrong shape, a
/// reference measured in another dtype. `description` is one line naming the file at fault.
public enum BenchError: LucidError, Equatable, Sendable {
    /// The reference (or inputs) file could not be read.
    case unreadable(path: String, reason: String)
    /// The file is not the output of `script` (the reason is the decoder's).
    case notReferenceOutput(path: String, script: String, reason: String)
    /// The reference was measured in another dtype than Lucid would run in.
    case dtypeMismatch(reference: String, lucid: String)
    /// The reference ran on another device than Lucid would.
    case deviceMismatch(reference: String, lucid: String)
    /// A thread setting is not `INTRA:BLAS` with two counts in 1…1024.
    case badThreadSetting(String)
    /// An inputs file's tensor has the wrong shape.
    case badInputs(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read reference '\(path)': \(reason)"
        case let .notReferenceOutput(path, script, reason): return "'\(path)' is not \(script) output: \(reason)"
        case let .dtypeMismatch(reference, lucid):
            return "the reference was measured in \(reference) but Lucid would run in \(lucid): give --dtype \(reference) or a reference of that dtype"
        case let .deviceMismatch(reference, lucid):
            return "the reference was measured on \(reference) but Lucid would run on \(lucid): give --device \(reference) or a reference of that device"
        case let .badThreadSetting(text): return "bad thread setting '\(text)'"
        case let .badInputs(path, reason): return "\(path): \(reason)"
        }
    }
}
