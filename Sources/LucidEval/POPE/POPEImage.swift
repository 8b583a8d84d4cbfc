import Foundation

/// An annotated image POPE questions are built from: its file name and its objects in order
/// (the first `positivesPerImage` objects become the "yes" questions).
public struct POPEImage: Sendable, Equatable {
    public var image: String
    public var objects: [String]

    public init(image: String, objects: [String]) {
        self.image = image
        self.objects = objects
    }

    /// How to turn an image id of an object-list file into the `image` field of a question.
    public enum Naming: Sendable, Equatable {
        /// The id itself.
        case identity
        /// COCO file names: `COCO_<split>_<id padded to 12 digits>.jpg` (ids must be integers).
        case coco(split: String)

        func name(for id: String) -> String? {
            switch self {
            case .identity:
                return id
            case let .coco(split):
                guard let number = Int(id), number >= 0 else { return nil }
                let digits = String(number)
                return "COCO_\(split)_" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits + ".jpg"
            }
        }
    }

    /// Reads an object-list file `{"<image_id>": ["dog", …]}`, keeping the file's order of images
    /// and of objects (POPE's sampling depends on both).
    public static func loadObjectList(from url: URL, naming: Naming = .identity) throws(EvalError) -> [POPEImage] {
        guard let members = try JSONLines.readDocument(url).objectValue else {
            throw .invalidField(path: url.path, line: nil, field: "(document)", reason: "is not an object of image id → object names")
        }
        var seen = Set<String>()
        var images: [POPEImage] = []
        for (id, value) in members {
            guard seen.insert(id).inserted else { throw .duplicateKey(path: url.path, line: nil, key: "image id \(id)") }
            guard let name = naming.name(for: id) else {
                throw .invalidField(path: url.path, line: nil, field: id, reason: "is not a non-negative integer id, as COCO naming needs")
            }
            images.append(POPEImage(image: name, objects: try objectNames(value, path: url.path, line: nil, field: id)))
        }
        guard !images.isEmpty else { throw .emptyInput(path: url.path) }
        return images
    }

    /// Reads POPE's own segmentation format: JSON Lines `{"image": …, "objects": […]}`.
    public static func loadSegmentation(from url: URL) throws(EvalError) -> [POPEImage] {
        let (records, _) = try JSONLines.read(url)
        var images: [POPEImage] = []
        for record in records {
            let image = try record.string("image", path: url.path)
            let objects = try record.field("objects", path: url.path)
            images.append(POPEImage(image: image, objects: try objectNames(objects, path: url.path, line: record.line, field: "objects")))
        }
        guard !images.isEmpty else { throw .emptyInput(path: url.path) }
        return images
    }

    private static func objectNames(_ value: OrderedJSON, path: String, line: Int?, field: String) throws(EvalError) -> [String] {
        guard let items = value.arrayValue else {
            throw .invalidField(path: path, line: line, field: field, reason: "is \(value.typeName), not an array of object names")
        }
        var names: [String] = []
        for item in items {
            guard let name = item.stringValue, !name.isEmpty else {
                throw .invalidField(path: path, line: line, field: field, reason: "holds \(item.typeName == "a string" ? "an empty name" : item.typeName), not an object name")
            }
            names.append(name)
        }
        return names
    }
}
