import Foundation
import LucidSupport

/// A SHA-256 over what an organism directory computes with: the bytes of every file in it that can
/// change the model (weights, configuration, adapters, tokenizer; plots, notes, logs and JSONL
/// caches are left out) and, for a directory that references its language model
/// (`config.json` `lucid.language_model`, e.g. SmolLM2's GGUF), that model's bytes too. Keys
/// caches of a model's answers (`ImageAnswerCache`): a retrained, recalibrated or replaced model
/// hashes differently.
public enum ModelFingerprint {
    /// Extensions of files that do not change what the model computes.
    static let ignoredExtensions: Set<String> = ["svg", "png", "jpg", "jpeg", "md", "log", "csv", "jsonl"]

    /// The fingerprint of a model directory (or of a single model file, e.g. a GGUF).
    public static func of(_ path: String) throws -> String {
        var hasher = SHA256()
        hasher.update(Array(try contents(path).utf8))
        return hasher.finalizeHex()
    }

    /// One line per file ("relative path\tSHA-256"), then the referenced language model's line.
    static func contents(_ path: String) throws -> String {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ModelFingerprintError("\(path): no such model file or directory") }
        let root = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        guard isDirectory.boolValue else { return "\(root.lastPathComponent)\t\(try hash(root))\n" }
        guard let enumerator = fm.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else {
            throw ModelFingerprintError("\(path): cannot list the directory")
        }
        var files: [(name: String, url: URL)] = []
        let prefix = root.path.hasSuffix("/") ? root.path : root.path + "/"
        for case let url as URL in enumerator {
            let resolved = url.resolvingSymlinksInPath()
            guard (try? resolved.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  !ignoredExtensions.contains(url.pathExtension.lowercased()) else { continue }
            let name = url.path.hasPrefix(prefix) ? String(url.path.dropFirst(prefix.count)) : url.lastPathComponent
            files.append((name, resolved))
        }
        var lines = try files.sorted { $0.name < $1.name }.map { "\($0.name)\t\(try hash($0.url))\n" }.joined()
        if let reference = try languageModelReference(root) {
            let resolved = ModelLocations.resolve(reference)
            lines += "language_model \(reference)\t\(try of(resolved))\n"
        }
        return lines
    }

    /// `lucid.language_model` of a directory's `config.json`, if any.
    static func languageModelReference(_ directory: URL) throws -> String? {
        let config = directory.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: config.path) else { return nil }
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        return (object?["lucid"] as? [String: Any])?["language_model"] as? String
    }

    static func hash(_ url: URL) throws -> String {
        do { return try SHA256.hex(fileAt: url) } catch { throw ModelFingerprintError("\(url.path): cannot read: \(error.localizedDescription)") }
    }
}

/// A model that cannot be fingerprinted: names the path.
public struct ModelFingerprintError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
