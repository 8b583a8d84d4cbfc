/// Bounds a YAML manifest must meet, checked by a linear scan *before* Yams parses it (Yams
/// composes nodes recursively, so deep nesting would overflow the stack) and while its nodes are
/// converted (aliases are shared by Yams but expanded by the conversion: a "billion laughs" document
/// would never finish).
///
/// The scan over-estimates nesting (every indentation step and every `- `/`? ` on a line counts as
/// a level; so does every open `[`/`{`), so a legal document is refused only far beyond what a
/// manifest needs.
public enum YAMLLimits {
    /// Largest manifest file, in bytes.
    public static let maxBytes = 4 << 20
    /// Deepest nesting (estimated by the scan, exact during conversion).
    public static let maxDepth = 64
    /// Most values (scalars, lists, objects) after alias expansion.
    public static let maxNodes = 20_000
    /// Most anchors plus aliases.
    public static let maxAliases = 1_000

    /// A scan result: the estimated deepest nesting, and the anchors and aliases seen.
    struct Scan: Equatable {
        var depth = 0
        var depthLine = 0
        var anchorsAndAliases = 0
    }

    /// Checks `text` against the limits; the error names the line where the nesting gets too deep.
    static func check(_ text: String, file: String) throws(ManifestError) {
        guard text.utf8.count <= maxBytes else {
            throw ManifestError(file: file, line: nil, keyPath: "", reason: "the manifest is \(text.utf8.count) bytes, over the limit of \(maxBytes)")
        }
        let scan = Self.scan(text)
        if scan.depth > maxDepth {
            throw ManifestError(file: file, line: scan.depthLine, keyPath: "", reason: "nesting deeper than \(maxDepth) levels")
        }
        if scan.anchorsAndAliases > maxAliases {
            throw ManifestError(file: file, line: nil, keyPath: "", reason: "more than \(maxAliases) anchors and aliases")
        }
    }

    /// One pass over the text: O(length), constant memory besides the indentation stack (≤ depth + 1).
    static func scan(_ text: String) -> Scan {
        var result = Scan()
        var flow = 0
        var quote: UInt8? = nil
        var indents: [Int] = []
        var blockScalarIndent: Int? = nil
        var lineNumber = 0
        let space = UInt8(ascii: " ")
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let bytes = Array(line)
            var i = 0
            while i < bytes.count, bytes[i] == space { i += 1 }
            let indent = i
            let blank = i == bytes.count || bytes[i] == UInt8(ascii: "#") || bytes[i] == UInt8(ascii: "\r")
            if let scalarIndent = blockScalarIndent {
                if blank || indent > scalarIndent { continue }  // the literal text of a `|` or `>` scalar
                blockScalarIndent = nil
            }
            if blank, quote == nil { continue }
            var level = 0
            if quote == nil, flow == 0 {
                while let top = indents.last, top > indent { indents.removeLast() }
                if indents.last != indent { indents.append(indent) }
                // `- - x` and `? x` open a level each on one line.
                var j = i
                while j + 1 < bytes.count, bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "?"), bytes[j + 1] == space {
                    level += 1
                    j += 2
                    while j < bytes.count, bytes[j] == space { j += 1 }
                }
            }
            var previous = space
            while i < bytes.count {
                let byte = bytes[i]
                let tokenStart = previous == space || previous == UInt8(ascii: "\t") || previous == UInt8(ascii: "[")
                    || previous == UInt8(ascii: "{") || previous == UInt8(ascii: ",")
                if let open = quote {
                    if open == UInt8(ascii: "\"") && byte == UInt8(ascii: "\\") { i += 2; previous = space; continue }
                    if byte == open {
                        if open == UInt8(ascii: "'"), i + 1 < bytes.count, bytes[i + 1] == open { i += 2; continue }
                        quote = nil
                    }
                } else {
                    switch byte {
                    case UInt8(ascii: "#") where tokenStart:
                        i = bytes.count
                        continue
                    case UInt8(ascii: "\""), UInt8(ascii: "'"):
                        if tokenStart { quote = byte }
                    case UInt8(ascii: "["), UInt8(ascii: "{"):
                        if tokenStart || previous == UInt8(ascii: ":") { flow += 1 }
                    case UInt8(ascii: "]"), UInt8(ascii: "}"):
                        if flow > 0 { flow -= 1 }
                    case UInt8(ascii: "&"), UInt8(ascii: "*"):
                        if tokenStart { result.anchorsAndAliases += 1 }
                    default: break
                    }
                }
                previous = byte
                i += 1
                let depth = 2 * indents.count + level + flow
                if depth > result.depth { result.depth = depth; result.depthLine = lineNumber }
            }
            let depth = 2 * indents.count + level + flow
            if depth > result.depth { result.depth = depth; result.depthLine = lineNumber }
            // A line ending in `|` or `>` (with optional chomping/indent indicators) starts a block scalar.
            if quote == nil, flow == 0, endsWithBlockScalarHeader(bytes) { blockScalarIndent = indent }
        }
        return result
    }

    /// Whether the line ends with a block scalar header (`key: |`, `- >-`, `|2+`).
    static func endsWithBlockScalarHeader(_ bytes: [UInt8]) -> Bool {
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        var start = end
        while start > 0, "|>+-123456789".utf8.contains(bytes[start - 1]) { start -= 1 }
        guard start < end, bytes[start] == UInt8(ascii: "|") || bytes[start] == UInt8(ascii: ">") else { return false }
        return start == 0 || bytes[start - 1] == UInt8(ascii: " ")
    }
}
