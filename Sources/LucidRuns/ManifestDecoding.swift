import Foundation

extension RunManifest {
    /// Top-level keys of a manifest.
    public static let topLevelKeys = ["name", "models", "dataset", "methods", "seeds", "output", "generation", "judges"]
    /// Keys of `dataset`.
    public static let datasetKeys = ["path", "kind", "limit"]

    /// Reads and validates a manifest file (`.json`: JSON; otherwise YAML).
    ///
    /// Relative `dataset.path` and `output` are resolved against the manifest's folder, so a run
    /// does not depend on the working directory (array jobs often start elsewhere). Every error
    /// names the file, the line (YAML) and the key path; unknown keys are errors with a suggestion
    /// for near misses.
    public static func load(from url: URL) throws(ManifestError) -> RunManifest {
        let document = try ManifestDocument.read(url)
        var manifest = try ManifestReader(document: document, baseDirectory: url.deletingLastPathComponent()).manifest()
        manifest.source = url
        return manifest
    }

    /// Parses manifest text; `file` names it in errors, relative paths resolve against `baseDirectory`.
    public static func parse(_ text: String, json: Bool = false, file: String = "<manifest>",
                             baseDirectory: URL) throws(ManifestError) -> RunManifest {
        let document = try json ? ManifestDocument.parseJSON(text, file: file) : ManifestDocument.parseYAML(text, file: file)
        return try ManifestReader(document: document, baseDirectory: baseDirectory).manifest()
    }
}

/// Turns a manifest's JSON tree into a `RunManifest`, checking every key.
struct ManifestReader {
    let document: ManifestDocument
    let baseDirectory: URL

    func fail(_ path: String, _ reason: String) -> ManifestError {
        ManifestError(file: document.file, line: document.line(of: path), keyPath: path, reason: reason)
    }

    func object(_ value: JSONValue, at path: String, allowed: [String]?, required: [String]) throws(ManifestError) -> [String: JSONValue] {
        guard let fields = value.objectValue else { throw fail(path, "expected an object, found \(value.typeDescription)") }
        if let allowed {
            for key in fields.keys.sorted() where !allowed.contains(key) {
                let child = path.isEmpty ? key : "\(path).\(key)"
                let known = allowed.map { "`\($0)`" }.joined(separator: ", ")
                throw fail(child, "unknown key\(KeySuggestion.hint(for: key, among: allowed)); known keys: \(known)")
            }
        }
        for key in required where fields[key] == nil {
            throw fail(path, "missing key `\(key)`")
        }
        return fields
    }

    func string(_ value: JSONValue, at path: String) throws(ManifestError) -> String {
        guard let text = value.stringValue, !text.isEmpty else {
            throw fail(path, "expected a non-empty string, found \(value.typeDescription)")
        }
        return text
    }

    func int(_ value: JSONValue, at path: String, minimum: Int) throws(ManifestError) -> Int {
        guard case .int(let number) = value else { throw fail(path, "expected an integer, found \(value.typeDescription)") }
        guard number >= minimum else { throw fail(path, "must be ≥ \(minimum), found \(number)") }
        return number
    }

    func list(_ value: JSONValue, at path: String) throws(ManifestError) -> [JSONValue] {
        guard let elements = value.arrayValue else { throw fail(path, "expected a list, found \(value.typeDescription)") }
        guard !elements.isEmpty else { throw fail(path, "must not be empty") }
        return elements
    }

    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0) }
    }

    func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : baseDirectory.appendingPathComponent(path)
    }

    func manifest() throws(ManifestError) -> RunManifest {
        let root = try object(document.root, at: "", allowed: RunManifest.topLevelKeys, required: ["name", "models", "dataset", "methods"])
        let name = try string(root["name"] ?? .null, at: "name")
        guard Self.isName(name) else { throw fail("name", "use letters, digits, `.`, `_` and `-` only, found `\(name)`") }
        let models = try readModels(root["models"] ?? .null)
        let dataset = try readDataset(root["dataset"] ?? .null)
        let methods = try readMethods(root["methods"] ?? .null)
        let seeds = try readSeeds(root["seeds"])
        let output = try root["output"].map { value throws(ManifestError) in resolve(try string(value, at: "output")) } ?? resolve("runs/\(name)")
        var generation: [String: JSONValue] = [:]
        if let value = root["generation"] {
            generation = try object(value, at: "generation", allowed: nil, required: [])
        }
        var manifest = RunManifest(name: name, models: models, dataset: dataset, methods: methods, seeds: seeds,
                                   output: output.standardizedFileURL, generation: generation)
        manifest.judges = try readJudges(root["judges"], dataset: dataset, methods: methods)
        manifest.locations = document.locations
        return manifest
    }

    func readModels(_ value: JSONValue) throws(ManifestError) -> [ModelSpec] {
        var models: [ModelSpec] = []
        var firstIndex: [String: Int] = [:]
        for (index, element) in try list(value, at: "models").enumerated() {
            let path = "models[\(index)]"
            let model: ModelSpec
            if case .string = element {
                let location = try string(element, at: path)
                model = ModelSpec(label: defaultLabel(location), path: location)
            } else {
                var fields = try object(element, at: path, allowed: nil, required: ["path"])
                let location = try string(fields.removeValue(forKey: "path") ?? .null, at: "\(path).path")
                let label = try fields.removeValue(forKey: "name").map { value throws(ManifestError) in try string(value, at: "\(path).name") }
                model = ModelSpec(label: label ?? defaultLabel(location), path: location, options: fields)
            }
            guard !model.label.contains("|"), !model.label.contains(where: \.isWhitespace) else {
                throw fail(path, "model name `\(model.label)` must not contain `|` or spaces: give it a `name:`")
            }
            if let first = firstIndex[model.label] {
                throw fail(path, "model name `\(model.label)` is already used by models[\(first)]: give one of them a distinct `name:`")
            }
            firstIndex[model.label] = index
            models.append(model)
        }
        return models
    }

    /// The last path component, without a trailing slash.
    func defaultLabel(_ location: String) -> String {
        let trimmed = location.hasSuffix("/") ? String(location.dropLast()) : location
        return trimmed.split(separator: "/").last.map(String.init) ?? trimmed
    }

    func readDataset(_ value: JSONValue) throws(ManifestError) -> DatasetSpec {
        let fields = try object(value, at: "dataset", allowed: RunManifest.datasetKeys, required: ["path", "kind"])
        let path = try string(fields["path"] ?? .null, at: "dataset.path")
        let kindName = try string(fields["kind"] ?? .null, at: "dataset.kind")
        guard let kind = DatasetKind(rawValue: kindName) else {
            let kinds = DatasetKind.allCases.map(\.rawValue)
            throw fail("dataset.kind", "unknown kind `\(kindName)`\(KeySuggestion.hint(for: kindName, among: kinds)); known kinds: \(kinds.joined(separator: ", "))")
        }
        let limit = try fields["limit"].map { value throws(ManifestError) in try int(value, at: "dataset.limit", minimum: 1) }
        return DatasetSpec(url: resolve(path).standardizedFileURL, kind: kind, limit: limit)
    }

    func readMethods(_ value: JSONValue) throws(ManifestError) -> [MethodSpec] {
        var methods: [MethodSpec] = []
        var firstIndex: [String: Int] = [:]
        for (index, element) in try list(value, at: "methods").enumerated() {
            let path = "methods[\(index)]"
            let method: MethodSpec
            if case .string = element {
                method = MethodSpec(name: try string(element, at: path))
            } else {
                var fields = try object(element, at: path, allowed: nil, required: [])
                guard let nameValue = fields.removeValue(forKey: "name") else {
                    let near = fields.keys.sorted().first { KeySuggestion.closest(to: $0, among: ["name"]) != nil }
                    throw fail(path, "missing key `name`" + (near.map { " (found `\($0)`: did you mean `name`?)" } ?? ""))
                }
                method = MethodSpec(name: try string(nameValue, at: "\(path).name"), options: fields)
            }
            guard Self.isName(method.name) else {
                throw fail(path, "method name `\(method.name)`: use letters, digits, `.`, `_` and `-` only")
            }
            if let first = firstIndex[method.id] {
                throw fail(path, "same method and options as methods[\(first)]")
            }
            firstIndex[method.id] = index
            methods.append(method)
        }
        return methods
    }

    func readSeeds(_ value: JSONValue?) throws(ManifestError) -> [Int] {
        guard let value else { return [0] }
        var seeds: [Int] = []
        for (index, element) in try list(value, at: "seeds").enumerated() {
            let seed = try int(element, at: "seeds[\(index)]", minimum: 0)
            guard !seeds.contains(seed) else { throw fail("seeds[\(index)]", "seed \(seed) appears twice") }
            seeds.append(seed)
        }
        return seeds
    }
}
