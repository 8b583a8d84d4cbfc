import Foundation
import LucidFiles

/// Reading JSON files and JSON Lines files into `OrderedJSON`, with typed errors.
///
/// Lines are split as Python's text mode does (`\n`, `\r\n` and `\r` all end a line); a UTF-8
/// byte-order mark is ignored. Blank lines are skipped and counted (Python's `json.loads` would
/// raise on them); any other unparsable line is an `EvalError.malformedJSON` with its line number.
enum JSONLines {
    /// One parsed line: its 1-based line number in the file (0: an element of a JSON array document) and its value.
    struct Record {
        var line: Int
        var value: OrderedJSON

        /// The line errors name: nil for an element of a JSON array document.
        var errorLine: Int? { line > 0 ? line : nil }

        /// The field `key`, or `.missingField` naming it (`path` labels errors).
        func field(_ key: String, path: String) throws(EvalError) -> OrderedJSON {
            guard let field = value.value(forKey: key) else { throw .missingField(path: path, line: errorLine, field: key) }
            return field
        }

        /// `field` (the record's `key`) as a string, or `.invalidField` naming its type.
        func string(_ field: OrderedJSON, key: String, path: String) throws(EvalError) -> String {
            guard let text = field.stringValue else {
                throw .invalidField(path: path, line: errorLine, field: key, reason: "is \(field.typeName), not a string")
            }
            return text
        }

        /// The string field `key`, or `.missingField` / `.invalidField` naming it.
        func string(_ key: String, path: String) throws(EvalError) -> String {
            try string(try field(key, path: path), key: key, path: path)
        }

        /// `field` (the record's `key`) as an integer, or `.invalidField` naming its type.
        func int(_ field: OrderedJSON, key: String, path: String) throws(EvalError) -> Int {
            guard let number = field.intValue else {
                throw .invalidField(path: path, line: errorLine, field: key, reason: "is \(field.typeName), not an integer")
            }
            return number
        }
    }

    /// Reads `url` as bytes, as a typed error when it cannot be read.
    static func readBytes(_ url: URL) throws(EvalError) -> [UInt8] {
        do {
            var bytes = try SafeFile.read(url.path)
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
            return bytes
        } catch {
            throw .unreadable(path: url.path, reason: error.problem)
        }
    }

    /// Parses a whole-file JSON document.
    static func readDocument(_ url: URL) throws(EvalError) -> OrderedJSON {
        let bytes = try readBytes(url)
        do {
            return try OrderedJSON.parse(bytes)
        } catch {
            throw .malformedJSON(path: url.path, line: nil, reason: error.description)
        }
    }

    /// Parses every non-blank line of a JSON Lines file; returns the records and the number of
    /// blank lines skipped.
    static func read(_ url: URL) throws(EvalError) -> (records: [Record], blankLines: Int) {
        try parse(bytes: try readBytes(url), path: url.path)
    }

    /// Parses JSON Lines text already in memory (`path` only labels errors).
    static func parse(bytes: [UInt8], path: String) throws(EvalError) -> (records: [Record], blankLines: Int) {
        var records: [Record] = []
        var blank = 0
        var lineNumber = 0
        var start = 0
        var index = 0
        func flush(_ end: Int) throws(EvalError) {
            lineNumber += 1
            let slice = Array(bytes[start..<end])
            if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                blank += 1
                return
            }
            do {
                records.append(Record(line: lineNumber, value: try OrderedJSON.parse(slice)))
            } catch {
                throw .malformedJSON(path: path, line: lineNumber, reason: error.description)
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A || byte == 0x0D {
                try flush(index)
                if byte == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
                index += 1
                start = index
            } else {
                index += 1
            }
        }
        if start < bytes.count { try flush(bytes.count) }
        return (records, blank)
    }

    /// Writes `lines` joined by `\n` (with a final newline) to `url`.
    static func write(_ lines: [String], to url: URL) throws(EvalError) {
        let text = lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
        do {
            try SafeFile.writeText(text, to: url.path)
        } catch {
            throw .unreadable(path: url.path, reason: "cannot write: \(error.problem)")
        }
    }

    /// A Foundation error in words, without `NSCocoaErrorDomain` codes: JSON syntax errors give
    /// the parser's own message (`Unexpected character 'x' around line 1, column 1.`).
    static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = context.underlyingError as NSError?
            let detail = underlying?.userInfo["NSDebugDescription"] as? String ?? context.debugDescription
            return "not valid JSON: \(detail)"
        }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return nsError.localizedDescription
    }
}
