/// A JSON value with ordered object members, written byte-for-byte as Python's `json.dumps(obj)` with
/// default arguments.
///
/// Separators `", "` and `": "`, members in the given order, strings with ``JSONString/Escaping/ascii``,
/// doubles as Python's `repr` (Swift's shortest round-trip form: `0.5`, `224.0`, `1e-05`; `NaN`, `Infinity`,
/// `-Infinity` as Python's encoder writes them). Used for the JSON Lines files that must equal the
/// reference implementations' output (CHAIR, POPE, ASR) and for ShapesWorld's exports.
public indirect enum PythonJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([PythonJSON])
    case object([(String, PythonJSON)])

    /// A list of strings.
    public static func strings(_ items: [String]) -> PythonJSON { .array(items.map { .string($0) }) }

    /// Two values are equal when they are written alike.
    public static func == (lhs: PythonJSON, rhs: PythonJSON) -> Bool { lhs.text == rhs.text }

    /// The one-line text `json.dumps` writes.
    public var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    /// Appends ``text`` to `out`.
    public func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(flag): out += flag ? "true" : "false"
        case let .int(number): out += String(number)
        case let .double(number): out += Self.repr(number)
        case let .string(text): JSONString.append(text, to: &out, escaping: .ascii)
        case let .array(items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += ", " }
                item.write(into: &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out += ", " }
                JSONString.append(key, to: &out, escaping: .ascii)
                out += ": "
                value.write(into: &out)
            }
            out += "}"
        }
    }

    /// Python's `float.__repr__` for finite values (shortest round-trip digits); `NaN`/`Infinity`
    /// as Python's encoder writes them.
    public static func repr(_ number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number > 0 ? "Infinity" : "-Infinity" }
        return number.description
    }
}
