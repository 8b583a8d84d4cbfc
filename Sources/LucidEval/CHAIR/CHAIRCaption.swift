import Foundation
import LucidSupport

/// An image identifier as it appears in a caption or annotation file: a JSON integer (COCO)
/// or a string; both match ground truth by their decimal text (`415672` ≡ `"415672"`).
public enum ImageID: Hashable, Sendable, Codable, CustomStringConvertible {
    case int(Int)
    case string(String)

    /// The text used to look the image up.
    public var key: String {
        switch self {
        case let .int(value): return String(value)
        case let .string(value): return value
        }
    }

    public var description: String { key }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .int(value): try container.encode(value)
        case let .string(value): try container.encode(value)
        }
    }

    /// Reads an id from a JSON value (integer or string), nil for anything else.
    init?(json: OrderedJSON) {
        if let value = json.intValue {
            self = .int(value)
        } else if let value = json.stringValue {
            self = .string(value)
        } else {
            return nil
        }
    }

    var pythonJSON: PythonJSON {
        switch self {
        case let .int(value): return .int(value)
        case let .string(value): return .string(value)
        }
    }
}

/// One generated caption to score with CHAIR (a line `{"image_id": …, "caption": …}` of
/// OPERA's caption files).
public struct CHAIRCaption: Sendable, Equatable {
    public var imageID: ImageID
    public var caption: String
    /// 1-based line of the caption file (0 when built in memory).
    public var line: Int

    public init(imageID: ImageID, caption: String, line: Int = 0) {
        self.imageID = imageID
        self.caption = caption
        self.line = line
    }

    /// Reads a caption file: JSON Lines, or (for a `.json` extension) one JSON array of objects,
    /// as OPERA's `load_generated_captions` accepts.
    ///
    /// Errors: unreadable file, malformed JSON (with line), a missing or mistyped `imageIDKey`
    /// (integer or string) or `captionKey` (string), no captions at all. Blank lines are skipped
    /// and counted in `blankLines`.
    public static func load(from url: URL, imageIDKey: String = "image_id", captionKey: String = "caption")
        throws(EvalError) -> (captions: [CHAIRCaption], blankLines: Int) {
        var records: [JSONLines.Record]
        var blank = 0
        if url.pathExtension.lowercased() == "json" {
            guard let items = try JSONLines.readDocument(url).arrayValue else {
                throw .invalidField(path: url.path, line: nil, field: "(document)", reason: "is not an array of caption objects")
            }
            records = items.map { JSONLines.Record(line: 0, value: $0) }
        } else {
            (records, blank) = try JSONLines.read(url)
        }
        var captions: [CHAIRCaption] = []
        captions.reserveCapacity(records.count)
        for record in records {
            guard case .object = record.value else {
                throw .invalidField(path: url.path, line: record.errorLine, field: "(record)", reason: "is \(record.value.typeName), not an object")
            }
            let idValue = try record.field(imageIDKey, path: url.path)
            guard let imageID = ImageID(json: idValue) else {
                throw .invalidField(path: url.path, line: record.errorLine, field: imageIDKey, reason: "is \(idValue.typeName), not an integer or a string")
            }
            captions.append(CHAIRCaption(imageID: imageID, caption: try record.string(captionKey, path: url.path), line: record.line))
        }
        guard !captions.isEmpty else { throw .emptyInput(path: url.path) }
        return (captions, blank)
    }
}
