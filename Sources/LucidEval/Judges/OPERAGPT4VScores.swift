/// The four scores of one OPERA GPT-4V comparison, read from the judge's reply exactly as
/// `gpt4v_eval.py` reads it.
///
/// The reference does, for each criterion:
/// `hal_1, hal_2 = reply.split("Accuracy: ")[-1].split("\n")[0].split(" ")` (likewise
/// `"Detailedness: "`), then `int()` of each value. So: the text after the **last** `Accuracy: `
/// (the whole reply when there is none), up to the first newline, split at every single space, must
/// be exactly two values, each what Python's `int()` accepts (surrounding whitespace such as a `\r`,
/// a sign, `_` between digits, any Unicode decimal digits). No range is checked: a 0 or an 11 is
/// counted, as the reference counts it (`outsideScale` says so).
///
/// Deviations, both where the reference has no answer: a reply whose values are not two (the
/// reference's `except: continue`) and a value `int()` refuses (the reference crashes: its `int()`
/// is outside the `try`) are both `.unparsableVerdict` here, recorded and left out of the means.
/// A value beyond ±(2⁶³−1) (Python would keep it) is unparsable too.
public struct OPERAGPT4VScores: Codable, Sendable, Equatable {
    /// Accuracy of assistants 1 and 2.
    public var accuracy: [Int]
    /// Detailedness of assistants 1 and 2.
    public var detailedness: [Int]

    public init(accuracy1: Int, accuracy2: Int, detailedness1: Int, detailedness2: Int) {
        accuracy = [accuracy1, accuracy2]
        detailedness = [detailedness1, detailedness2]
    }

    /// The scale the prompt asks for.
    public static let scale = 1...10

    /// Whether any score is outside 1…10 (counted all the same, as the reference counts it).
    public var outsideScale: Bool { !(accuracy + detailedness).allSatisfy(Self.scale.contains) }

    /// The scores in `reply`, or `.unparsableVerdict` saying which criterion could not be read.
    public static func parse(_ reply: String) throws(JudgeError) -> OPERAGPT4VScores {
        let accuracy = try pair(after: "Accuracy: ", in: reply)
        let detailedness = try pair(after: "Detailedness: ", in: reply)
        return OPERAGPT4VScores(accuracy1: accuracy.0, accuracy2: accuracy.1, detailedness1: detailedness.0, detailedness2: detailedness.1)
    }

    /// `int()` of the two values of `reply.split(label)[-1].split("\n")[0].split(" ")`.
    static func pair(after label: String, in reply: String) throws(JudgeError) -> (Int, Int) {
        let scalars = Array(reply.unicodeScalars)
        let tail = PythonText.split(scalars, on: Array(label.unicodeScalars)).last ?? []
        let line = PythonText.split(tail, on: ["\n"]).first ?? []
        let values = PythonText.split(line, on: [" "])
        let name = String(label.dropLast(2))  // "Accuracy" / "Detailedness"
        guard values.count == 2 else {
            throw .unparsableVerdict(reason: "has \(values.count) value(s) on its \(name) line, not the two scores (OPERA skips such a reply)",
                                     text: reply)
        }
        guard let first = PythonText.int(values[0]), let second = PythonText.int(values[1]) else {
            let shown = values.map { "'" + String(String.UnicodeScalarView($0)) + "'" }.joined(separator: " ")
            throw .unparsableVerdict(reason: "has \(name) values \(shown) that are not integers (OPERA's int() raises there)", text: reply)
        }
        return (first, second)
    }
}

/// The pieces of Python's `str.split(sep)` and `int(str)` that OPERA's reply parsing uses, on
/// Unicode scalars (Python strings are sequences of code points, so `"\r\n"` is two of them).
enum PythonText {
    /// `str.split(sep)` with a non-empty separator: every occurrence splits, empty pieces kept.
    static func split(_ text: [Unicode.Scalar], on separator: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        guard !separator.isEmpty else { return [text] }
        var pieces: [[Unicode.Scalar]] = []
        var start = 0
        var index = 0
        while index + separator.count <= text.count {
            if text[index..<(index + separator.count)].elementsEqual(separator) {
                pieces.append(Array(text[start..<index]))
                index += separator.count
                start = index
            } else {
                index += 1
            }
        }
        pieces.append(Array(text[start...]))
        return pieces
    }

    /// Python's `str.isspace()` for one code point: Unicode White_Space plus U+001C…U+001F.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }

    /// `int(text)` in base 10, or nil where Python raises `ValueError` (or the value overflows `Int`).
    static func int(_ text: [Unicode.Scalar]) -> Int? {
        var body = text[...]
        while let first = body.first, isSpace(first) { body = body.dropFirst() }
        while let last = body.last, isSpace(last) { body = body.dropLast() }
        var negative = false
        if let sign = body.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty else { return nil }
        var value = 0
        var previousWasDigit = false
        for scalar in body {
            if scalar == "_" {
                guard previousWasDigit else { return nil }  // no leading or doubled underscore
                previousWasDigit = false
                continue
            }
            guard scalar.properties.numericType == .decimal, let digit = scalar.properties.numericValue.map({ Int($0) }) else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
            previousWasDigit = true
        }
        guard previousWasDigit else { return nil }  // no trailing underscore
        return negative ? -value : value
    }
}
