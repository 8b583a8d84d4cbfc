import Foundation

/// Python 3 `str` semantics that the reference implementations rely on, on Unicode scalars.
///
/// Python indexes strings by code point and defines `isspace`, `lower`, `upper`, `isupper`,
/// `isdigit` through Unicode properties that differ in small ways from Swift's `Character`
/// APIs (e.g. U+001C…U+001F are whitespace to Python, final sigma in `lower`). These helpers
/// follow CPython 3.11's definitions so that tokenisation and matching agree with it.
enum PythonString {
    /// `ch.isspace()`: bidirectional class WS/B/S or category Zs.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }

    /// The characters of Python's `string.whitespace` (ASCII only).
    static func isASCIIWhitespace(_ unit: UInt16) -> Bool {
        unit == 0x20 || (0x09...0x0D).contains(unit)
    }

    /// `ch.isdigit()`: Numeric_Type Decimal or Digit.
    static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        let type = scalar.properties.numericType
        return type == .decimal || type == .digit
    }

    /// `ch.isdecimal()`, the meaning of `\d` in Python's `re`.
    static func isDecimal(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.numericType == .decimal
    }

    /// `\w` in Python's `re` for `str` patterns: alphanumeric (letters, numbers) or `_`.
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "_" { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }

    /// `ch.isupper()` for a single code point (Unicode property Uppercase).
    static func isUpper(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isUppercase }

    /// `ch.islower()` for a single code point (Unicode property Lowercase).
    static func isLower(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isLowercase }

    /// `s.isupper()`: at least one cased character and no lower-case or title-case one.
    static func isUpper(_ text: String) -> Bool {
        var cased = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isLowercase || scalar.properties.generalCategory == .titlecaseLetter { return false }
            if scalar.properties.isUppercase { cased = true }
        }
        return cased
    }

    /// `s.isdigit()`: non-empty and every code point a digit.
    static func isDigit(_ text: String) -> Bool {
        !text.unicodeScalars.isEmpty && text.unicodeScalars.allSatisfy(isDigit)
    }

    /// `s.lower()`: full lower-case mappings, with Greek capital sigma becoming final sigma
    /// at the end of a cased word.
    static func lower(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return asciiLower(text) }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (i, scalar) in scalars.enumerated() {
            if scalar.value == 0x3A3 {
                out.append(finalSigma(scalars, at: i) ? "\u{3C2}" : "\u{3C3}")
            } else {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }

    /// `s.upper()`: full upper-case mappings.
    static func upper(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            out.append(contentsOf: scalar.properties.uppercaseMapping.unicodeScalars)
        }
        return String(out)
    }

    /// `s.strip()` with no argument.
    static func strip(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[first...last])
        return String(out)
    }

    /// `s.split()` with no argument: runs of whitespace separate, no empty fields.
    static func splitWhitespace(_ text: String) -> [String] {
        var fields: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isSpace(scalar) {
                if !current.isEmpty { fields.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { fields.append(String(current)) }
        return fields
    }

    /// The lines of a text file as Python's text mode yields them with the final `\n` removed
    /// (`\r\n` and `\r` count as `\n`; a final newline does not start another line).
    static func textLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var previousCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" && previousCR { previousCR = false; continue }
            previousCR = scalar == "\r"
            if scalar == "\n" || scalar == "\r" {
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    /// The last `count` code points (`s[-count:]`).
    static func suffix(_ text: String, _ count: Int) -> String {
        let scalars = text.unicodeScalars
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars.suffix(count))
        return String(view)
    }

    /// `s.endswith(suffix)`, comparing code points.
    static func hasSuffix(_ text: String, _ suffix: String) -> Bool {
        let a = Array(text.unicodeScalars), b = Array(suffix.unicodeScalars)
        return a.count >= b.count && Array(a.suffix(b.count)) == b
    }

    /// `s.startswith(prefix)`, comparing code points.
    static func hasPrefix(_ text: String, _ prefix: String) -> Bool {
        text.unicodeScalars.starts(with: prefix.unicodeScalars)
    }

    /// `s.find(needle) != -1` (`needle in s`), comparing code points (Swift's `contains`
    /// compares canonically equivalent characters, Python does not).
    static func contains(_ text: String, _ needle: String) -> Bool {
        let hay = Array(text.utf8), pin = Array(needle.utf8)
        if pin.isEmpty { return true }
        guard hay.count >= pin.count else { return false }
        let first = pin[0]
        var i = 0
        let last = hay.count - pin.count
        while i <= last {
            if hay[i] == first {
                var j = 1
                while j < pin.count && hay[i + j] == pin[j] { j += 1 }
                if j == pin.count { return true }
            }
            i += 1
        }
        return false
    }

    /// `s.replace(old, new)`, matching code points (non-empty `old`).
    static func replace(_ text: String, _ old: String, _ new: String) -> String {
        let source = Array(text.unicodeScalars), pattern = Array(old.unicodeScalars)
        guard !pattern.isEmpty, source.count >= pattern.count else { return text }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < source.count {
            if i + pattern.count <= source.count, source[i] == pattern[0], Array(source[i..<i + pattern.count]) == pattern {
                out.append(contentsOf: new.unicodeScalars)
                i += pattern.count
            } else {
                out.append(source[i])
                i += 1
            }
        }
        return String(out)
    }

    /// `s.split(separator)` with a one-code-point separator (empty fields kept).
    static func split(_ text: String, _ separator: Unicode.Scalar) -> [String] {
        text.unicodeScalars.split(separator: separator, omittingEmptySubsequences: false).map { String(String.UnicodeScalarView($0)) }
    }

    /// All but the last `count` code points (`s[:-count]`).
    static func dropLast(_ text: String, _ count: Int) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.dropLast(count)))
    }

    /// The first code point as a string, or "" (`s[0] if s else ""`).
    static func first(_ text: String) -> String {
        guard let scalar = text.unicodeScalars.first else { return "" }
        return String(scalar)
    }

    private static func asciiLower(_ text: String) -> String {
        var bytes = Array(text.utf8)
        for i in bytes.indices where bytes[i] >= 0x41 && bytes[i] <= 0x5A { bytes[i] += 0x20 }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func finalSigma(_ scalars: [Unicode.Scalar], at i: Int) -> Bool {
        var j = i - 1
        while j >= 0, scalars[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0, scalars[j].properties.isCased else { return false }
        j = i + 1
        while j < scalars.count, scalars[j].properties.isCaseIgnorable { j += 1 }
        return j == scalars.count || !scalars[j].properties.isCased
    }
}
