import Foundation
import LucidSupport

/// CHAIR's ground truth: the set of node words (COCO categories) present in each image.
///
/// Two sources: (a) an object-list file `{"<image_id>": ["dog", …]}` (the shape of Lucid's
/// `gt_objects_*.json`, e.g. DAMRO's cached evaluator converted to JSON), and (b) COCO
/// annotations as OPERA's `get_annotations` combines them — the categories of every instance
/// annotation plus the objects mentioned in every reference caption (parsed with the same
/// `CHAIRCaptionParser`). Images are keyed by the decimal text of their id.
public struct CHAIRGroundTruth: Sendable {
    /// Image key → node words.
    public var objects: [String: Set<String>]
    /// Object-list entries that were synonyms and were replaced by their node word.
    public var synonymsMapped: Int

    public init(objects: [String: Set<String>], synonymsMapped: Int = 0) {
        self.objects = objects
        self.synonymsMapped = synonymsMapped
    }

    /// The node words of an image, nil when the image is unknown.
    public func objects(for image: ImageID) -> Set<String>? {
        objects[image.key]
    }

    /// Reads an object-list file `{"<image_id>": [names…]}`.
    ///
    /// Each name must be a node word or a synonym of one (`vocabulary.category(of:)`); a synonym
    /// is replaced by its node word and counted in `synonymsMapped`; anything else throws
    /// `EvalError.unknownObject`. A repeated image id throws `EvalError.duplicateKey`.
    public static func objectList(at url: URL, vocabulary: CHAIRVocabulary = CHAIRVocabulary()) throws(EvalError) -> CHAIRGroundTruth {
        guard let members = try JSONLines.readDocument(url).objectValue else {
            throw .invalidField(path: url.path, line: nil, field: "(document)", reason: "is not an object of image id → object names")
        }
        var objects: [String: Set<String>] = [:]
        var mapped = 0
        for (image, value) in members {
            guard objects[image] == nil else { throw .duplicateKey(path: url.path, line: nil, key: "image id \(image)") }
            guard let names = value.arrayValue else {
                throw .invalidField(path: url.path, line: nil, field: image, reason: "is \(value.typeName), not an array of object names")
            }
            var set = Set<String>()
            for item in names {
                guard let name = item.stringValue else {
                    throw .invalidField(path: url.path, line: nil, field: image, reason: "holds \(item.typeName), not an object name")
                }
                guard let node = vocabulary.category(of: name) else {
                    throw .unknownObject(name: name, source: "\(url.path), image \(image)")
                }
                if node != name { mapped += 1 }
                set.insert(node)
            }
            objects[image] = set
        }
        guard !objects.isEmpty else { throw .emptyInput(path: url.path) }
        return CHAIRGroundTruth(objects: objects, synonymsMapped: mapped)
    }

    /// Builds ground truth from COCO `instances_*.json` files and optional `captions_*.json`
    /// files (OPERA combines train2014 and val2014 of both).
    ///
    /// Every image listed in an `images` array is known (with an empty set when nothing is
    /// annotated). Errors: unreadable or malformed files, an annotation whose `category_id` is not
    /// among the `categories`, a category name that is not a CHAIR node word or synonym.
    public static func coco(instances: [URL], captions: [URL] = [], parser: CHAIRCaptionParser) throws(EvalError) -> CHAIRGroundTruth {
        var objects: [String: Set<String>] = [:]
        for url in instances {
            let file: COCOInstancesFile = try decode(url)
            var names: [Int: String] = [:]
            for category in file.categories {
                guard let node = parser.vocabulary.category(of: category.name) else {
                    throw .unknownObject(name: category.name, source: "\(url.path), category \(category.id)")
                }
                names[category.id] = node
            }
            for image in file.images ?? [] { objects[String(image.id), default: []].formUnion([]) }
            for annotation in file.annotations {
                guard let node = names[annotation.categoryID] else {
                    throw .invalidField(path: url.path, line: nil, field: "category_id",
                                        reason: "\(annotation.categoryID) of an annotation of image \(annotation.imageID) is not among the categories")
                }
                objects[String(annotation.imageID), default: []].insert(node)
            }
        }
        for url in captions {
            let file: COCOCaptionsFile = try decode(url)
            for image in file.images ?? [] { objects[String(image.id), default: []].formUnion([]) }
            for annotation in file.annotations {
                let nodes = parser.mentions(in: annotation.caption).nodeWords
                objects[String(annotation.imageID), default: []].formUnion(nodes)
            }
        }
        return CHAIRGroundTruth(objects: objects)
    }

    /// The object-list JSON of this ground truth (ids in numeric-then-text order, names sorted),
    /// to cache a COCO-built ground truth as OPERA caches its evaluator.
    public func objectListJSON() -> String {
        let keys = objects.keys.sorted { a, b in
            switch (Int(a), Int(b)) {
            case let (x?, y?): return x < y
            case (_?, nil): return true
            case (nil, _?): return false
            case (nil, nil): return a < b
            }
        }
        return PythonJSON.object(keys.map { ($0, PythonJSON.strings((objects[$0] ?? []).sorted())) }).text
    }

    private static func decode<T: Decodable>(_ url: URL) throws(EvalError) -> T {
        let data = Data(try JSONLines.readBytes(url))
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw .missingField(path: url.path, line: nil, field: (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: "."))
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalidField(path: url.path, line: nil, field: context.codingPath.map(\.stringValue).joined(separator: "."), reason: "has the wrong type")
        } catch {
            throw .malformedJSON(path: url.path, line: nil, reason: JSONLines.reason(error))
        }
    }
}

/// An entry of a COCO file's `images`: CHAIR reads only its id.
private struct COCOImage: Decodable { var id: Int }

/// The parts of a COCO `instances_*.json` file CHAIR reads.
private struct COCOInstancesFile: Decodable {
    struct Annotation: Decodable {
        var imageID: Int
        var categoryID: Int
        enum CodingKeys: String, CodingKey {
            case imageID = "image_id", categoryID = "category_id"
        }
    }
    struct Category: Decodable {
        var id: Int
        var name: String
    }
    var images: [COCOImage]?
    var annotations: [Annotation]
    var categories: [Category]
}

/// The parts of a COCO `captions_*.json` file CHAIR reads.
private struct COCOCaptionsFile: Decodable {
    struct Annotation: Decodable {
        var imageID: Int
        var caption: String
        enum CodingKeys: String, CodingKey {
            case imageID = "image_id", caption
        }
    }
    var images: [COCOImage]?
    var annotations: [Annotation]
}
