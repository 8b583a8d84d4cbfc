import Foundation
import LucidFiles
import LucidSupport

/// What a dataset's samples are: decides the fields each sample must have and where its id comes from.
public enum DatasetKind: String, Sendable, CaseIterable {
    /// Image captioning (CHAIR-style): `image` required; id from `image_id`, `id` or `image`.
    case captions
    /// POPE yes/no object probing: `image`, `text`, `label` required; id from `question_id` or `id`.
    case pope
    /// Text prompts (jailbreaks, refusals): `prompt` required; id from `id`.
    case prompts

    /// Fields every sample must have.
    public var requiredFields: [String] {
        switch self {
        case .captions: return ["image"]
        case .pope: return ["image", "text", "label"]
        case .prompts: return ["prompt"]
        }
    }

    /// Fields that must be strings when present (a path, a question, a prompt): `image: 5` is an
    /// error naming the line, never a sample run without its image.
    public var textFields: [String] {
        switch self {
        case .captions: return ["image", "prompt"]
        case .pope: return ["image", "text", "label"]
        case .prompts: return ["prompt"]
        }
    }

    /// Fields tried in order for the sample id; without any, the id is the sample's 0-based position.
    public var idFields: [String] {
        switch self {
        case .captions: return ["image_id", "id", "image"]
        case .pope: return ["question_id", "id"]
        case .prompts: return ["id"]
        }
    }
}

/// One dataset sample: its id (unique in the dataset), position and fields.
public struct Sample: Sendable, Hashable {
    public let id: String
    /// 0-based position in the file.
    public let index: Int
    public let fields: [String: JSONValue]

    public init(id: String, index: Int, fields: [String: JSONValue]) {
        self.id = id
        self.index = index
        self.fields = fields
    }
}

/// A loaded dataset: its samples (after `limit`) and the SHA-256 of the whole file.
public struct Dataset: Sendable {
    public let url: URL
    public let kind: DatasetKind
    public let samples: [Sample]
    /// SHA-256 (hex) of the file's bytes: any change to the file changes it, even past `limit`.
    public let fileHash: String

    /// Reads a JSONL file (one object per line; blank lines skipped) or a JSON array of objects.
    public static func load(_ spec: DatasetSpec) throws(DatasetError) -> Dataset {
        let path = spec.url.path
        let bytes: [UInt8]
        do { bytes = try SafeFile.read(path) } catch {
            throw DatasetError(file: path, line: nil, reason: "cannot read the dataset: \(error.problem)")
        }
        var hasher = SHA256()
        hasher.update(bytes)
        let fileHash = hasher.finalizeHex()
        let objects = try parseObjects(bytes, path: path)
        var samples: [Sample] = []
        var seen: [String: Int] = [:]
        for (index, (line, fields)) in objects.enumerated() {
            if let limit = spec.limit, samples.count >= limit { break }
            for field in spec.kind.requiredFields where fields[field] == nil {
                throw DatasetError(file: path, line: line, reason: "a \(spec.kind.rawValue) sample needs `\(field)`")
            }
            for field in spec.kind.textFields {
                guard let value = fields[field] else { continue }
                guard case .string(let text) = value, !text.isEmpty else {
                    throw DatasetError(file: path, line: line, reason: "`\(field)` must be a non-empty string, found \(value.typeDescription)")
                }
            }
            let id = try sampleID(fields, kind: spec.kind, index: index, path: path, line: line)
            if let first = seen[id] {
                throw DatasetError(file: path, line: line, reason: "sample id `\(id)` already used on line \(first)")
            }
            seen[id] = line
            samples.append(Sample(id: id, index: index, fields: fields))
        }
        guard !samples.isEmpty else { throw DatasetError(file: path, line: nil, reason: "the dataset has no samples") }
        return Dataset(url: spec.url, kind: spec.kind, samples: samples, fileHash: fileHash)
    }

    init(url: URL, kind: DatasetKind, samples: [Sample], fileHash: String) {
        self.url = url
        self.kind = kind
        self.samples = samples
        self.fileHash = fileHash
    }

    /// (line, object) pairs; for a JSON array, the line is the array's element number (1-based).
    static func parseObjects(_ bytes: [UInt8], path: String) throws(DatasetError) -> [(Int, [String: JSONValue])] {
        let firstByte = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        if firstByte == UInt8(ascii: "[") {
            let value: JSONValue
            do { value = try JSONValue.parse(utf8: bytes) } catch {
                throw DatasetError(file: path, line: error.line, reason: error.reason)
            }
            var objects: [(Int, [String: JSONValue])] = []
            for (index, element) in (value.arrayValue ?? []).enumerated() {
                guard let fields = element.objectValue else {
                    throw DatasetError(file: path, line: nil, reason: "element \(index) is \(element.typeDescription), not an object")
                }
                objects.append((index + 1, fields))
            }
            return objects
        }
        var objects: [(Int, [String: JSONValue])] = []
        for (offset, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            guard line.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) else { continue }
            let value: JSONValue
            do { value = try JSONValue.parse(utf8: line) } catch {
                throw DatasetError(file: path, line: offset + 1, reason: "column \(error.column): \(error.reason)")
            }
            guard let fields = value.objectValue else {
                throw DatasetError(file: path, line: offset + 1, reason: "expected an object, found \(value.typeDescription)")
            }
            objects.append((offset + 1, fields))
        }
        return objects
    }

    static func sampleID(_ fields: [String: JSONValue], kind: DatasetKind, index: Int, path: String, line: Int) throws(DatasetError) -> String {
        for field in kind.idFields {
            guard let value = fields[field] else { continue }
            switch value {
            case .string(let text) where !text.isEmpty && !text.contains("\n"): return text
            case .int(let number): return String(number)
            default:
                throw DatasetError(file: path, line: line, reason: "`\(field)` must be a non-empty one-line string or an integer to serve as the sample id")
            }
        }
        return String(index)
    }
}

/// A dataset file that cannot be used, with the file and (when known) the line.
public struct DatasetError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let reason: String
    public var description: String { line.map { "\(file):\($0): \(reason)" } ?? "\(file): \(reason)" }
}
