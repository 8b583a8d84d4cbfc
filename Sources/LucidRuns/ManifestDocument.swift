import Foundation
import LucidFiles
import Yams

/// A manifest file read into a `JSONValue` tree, with the line of every key for error messages.
///
/// `.json` files are parsed as strict JSON; anything else as YAML. YAML plain scalars follow the
/// YAML 1.2 core schema: `true`/`false` are booleans, but `yes`, `no`, `on` and `off` stay strings;
/// dates stay strings; `.inf` and `.nan` are refused. Duplicate keys are errors in both formats.
struct ManifestDocument {
    let file: String
    let root: JSONValue
    /// Key path (`methods[1].beams`) → 1-based line, where known (YAML only).
    let lines: [String: Int]

    static func read(_ url: URL) throws(ManifestError) -> ManifestDocument {
        let text: String
        do { text = try SafeFile.readText(url.path, maxBytes: YAMLLimits.maxBytes) } catch {
            throw ManifestError(file: url.path, line: nil, keyPath: "", reason: "cannot read the manifest: \(error.problem)")
        }
        let isJSON = url.pathExtension.lowercased() == "json"
        return try isJSON ? parseJSON(text, file: url.path) : parseYAML(text, file: url.path)
    }

    static func parseJSON(_ text: String, file: String) throws(ManifestError) -> ManifestDocument {
        do {
            return ManifestDocument(file: file, root: try JSONValue.parse(text), lines: [:])
        } catch {
            throw ManifestError(file: file, line: error.line, keyPath: "", reason: "invalid JSON (column \(error.column)): \(error.reason)")
        }
    }

    static func parseYAML(_ text: String, file: String) throws(ManifestError) -> ManifestDocument {
        try YAMLLimits.check(text, file: file)
        let node: Node?
        do {
            node = try Yams.compose(yaml: text, Resolver.basic)
        } catch let error as YamlError {
            throw ManifestError(file: file, line: yamlErrorLine(error), keyPath: "", reason: "invalid YAML: \(yamlErrorSummary(error))")
        } catch {
            throw ManifestError(file: file, line: nil, keyPath: "", reason: "invalid YAML: \(error)")
        }
        guard let node else { throw ManifestError(file: file, line: nil, keyPath: "", reason: "the manifest is empty") }
        var lines: [String: Int] = [:]
        var budget = YAMLLimits.maxNodes
        let root = try convert(node, path: "", file: file, lines: &lines, budget: &budget, depth: 0)
        return ManifestDocument(file: file, root: root, lines: lines)
    }

    /// The node as JSON; `budget` counts values down (aliases are expanded here), `depth` the nesting.
    static func convert(_ node: Node, path: String, file: String, lines: inout [String: Int],
                        budget: inout Int, depth: Int) throws(ManifestError) -> JSONValue {
        budget -= 1
        guard budget >= 0 else {
            throw ManifestError(file: file, line: node.mark?.line, keyPath: path,
                                reason: "more than \(YAMLLimits.maxNodes) values after expanding aliases")
        }
        guard depth <= YAMLLimits.maxDepth else {
            throw ManifestError(file: file, line: node.mark?.line, keyPath: path, reason: "nesting deeper than \(YAMLLimits.maxDepth) levels")
        }
        switch node {
        case .scalar(let scalar):
            return try scalarValue(scalar, path: path, file: file)
        case .sequence(let sequence):
            var elements: [JSONValue] = []
            for (index, element) in sequence.enumerated() {
                let elementPath = "\(path)[\(index)]"
                if let mark = element.mark { lines[elementPath] = mark.line }
                elements.append(try convert(element, path: elementPath, file: file, lines: &lines, budget: &budget, depth: depth + 1))
            }
            return .array(elements)
        case .mapping(let mapping):
            var fields: [String: JSONValue] = [:]
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let keyScalar) = keyNode else {
                    throw ManifestError(file: file, line: keyNode.mark?.line, keyPath: path, reason: "keys must be plain strings")
                }
                let key = keyScalar.string
                let keyPath = path.isEmpty ? key : "\(path).\(key)"
                if fields[key] != nil {
                    throw ManifestError(file: file, line: keyNode.mark?.line, keyPath: keyPath, reason: "duplicate key")
                }
                if let mark = keyNode.mark { lines[keyPath] = mark.line }
                fields[key] = try convert(valueNode, path: keyPath, file: file, lines: &lines, budget: &budget, depth: depth + 1)
            }
            return .object(fields)
        }
    }

    /// YAML 1.2 core schema for plain scalars; quoted and block scalars are strings.
    static func scalarValue(_ scalar: Node.Scalar, path: String, file: String) throws(ManifestError) -> JSONValue {
        let text = scalar.string
        guard scalar.style == .plain || scalar.style == .any, scalar.tag.description != Tag.Name.str.rawValue else {
            return .string(text)
        }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "-.inf", "-.Inf", "+.Inf", "-.INF", "+.INF", ".nan", ".NaN", ".NAN":
            throw ManifestError(file: file, line: scalar.mark?.line, keyPath: path, reason: "`\(text)` is not a finite number")
        default: break
        }
        let numeric = text.unicodeScalars.allSatisfy { "0123456789+-.eE".unicodeScalars.contains($0) }
        guard numeric, text.unicodeScalars.contains(where: { CharacterSet.decimalDigits.contains($0) }) else { return .string(text) }
        let isInteger = text.unicodeScalars.allSatisfy { "0123456789+-".unicodeScalars.contains($0) }
        if isInteger, let integer = Int(text) { return .int(integer) }
        if let number = Double(text), number.isFinite { return .double(number) }
        return .string(text)
    }

    static func yamlErrorLine(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    static func yamlErrorSummary(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.joined(separator: " ")
        default: return "\(error)"
        }
    }

    /// The line of `keyPath` or of its nearest ancestor that has one.
    func line(of keyPath: String) -> Int? {
        locations.line(of: keyPath)
    }

    var locations: ManifestLocations { ManifestLocations(file: file, lines: lines) }
}
