import Foundation

/// Why a metric could not be computed: bad input files, missing resources or impossible requests.
///
/// Every reader in CHAIR, POPE and ASR-keyword throws one of these instead of crashing or
/// silently producing a number; `line` values are 1-based line numbers of the input file.
public enum EvalError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file or directory could not be read.
    case unreadable(path: String, reason: String)
    /// A model or dictionary file the text pipeline needs is absent; `hint` says how to get it.
    case missingResource(name: String, path: String, hint: String)
    /// A line (or the whole file when `line` is nil) is not valid JSON or not valid UTF-8.
    case malformedJSON(path: String, line: Int?, reason: String)
    /// A line cannot be used, for `reason` (a judging command's input: not JSON, a missing, unknown or
    /// ill-typed field, a repeated id).
    case invalidLine(path: String, line: Int, reason: String)
    /// A required key is absent from a JSON object.
    case missingField(path: String, line: Int?, field: String)
    /// A key is present but its value has the wrong type or an unusable value.
    case invalidField(path: String, line: Int?, field: String, reason: String)
    /// The same key (image id, question id …) appears twice where it must be unique.
    case duplicateKey(path: String, line: Int?, key: String)
    /// A caption refers to an image that has no ground truth.
    case unknownImage(path: String, line: Int, imageID: String)
    /// An object name is neither a category (node word) nor a synonym of one.
    case unknownObject(name: String, source: String)
    /// A file holds no usable records.
    case emptyInput(path: String)
    /// Two inputs that must correspond (questions and answers …) do not.
    case mismatch(String)
    /// A sampling request cannot be satisfied (too few images, no admissible negative object …).
    case samplingImpossible(String)
    /// An argument is out of range or unknown (e.g. an unknown refusal-list name).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .missingResource(name, path, hint):
            return "missing \(name) at \(path). \(hint)"
        case let .malformedJSON(path, line, reason):
            return "\(Self.place(path, line)): malformed JSON: \(reason)"
        case let .invalidLine(path, line, reason):
            return "\(path):\(line): \(reason)"
        case let .missingField(path, line, field):
            return "\(Self.place(path, line)): missing field \"\(field)\""
        case let .invalidField(path, line, field, reason):
            return "\(Self.place(path, line)): field \"\(field)\" \(reason)"
        case let .duplicateKey(path, line, key):
            return "\(Self.place(path, line)): duplicate \(key)"
        case let .unknownImage(path, line, imageID):
            return "\(Self.place(path, line)): image \(imageID) has no ground-truth objects"
        case let .unknownObject(name, source):
            return "\(source): \"\(name)\" is not a CHAIR object (neither a COCO category nor a synonym)"
        case let .emptyInput(path):
            return "\(path): no records"
        case let .mismatch(message), let .samplingImpossible(message), let .invalidArgument(message):
            return message
        }
    }

    private static func place(_ path: String, _ line: Int?) -> String {
        if let line { return "\(path):\(line)" }
        return path
    }
}
