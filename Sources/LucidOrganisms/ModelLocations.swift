import Foundation
import LucidFiles

/// Where the models Lucid knows by name live: SmolLM2 from set-up and the bundled organisms.
public enum ModelLocations {
    /// Names of the bundled organisms (directories under `Models/`).
    public static let organismNames = ["shapes-tiny", "shapes-smol", "shapes-smol-hazard", "smol-aligned", "shapes-smol-q"]

    /// The SmolLM2 GGUF set-up installs (LUCID_SMOLLM2_GGUF, or under LUCID_CACHE / ~/.cache/lucid).
    public static var smolLM2: String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["LUCID_SMOLLM2_GGUF"], !explicit.isEmpty { return explicit }
        return cacheDirectory + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    /// Lucid's cache directory: LUCID_CACHE, else ~/.cache/lucid.
    public static var cacheDirectory: String {
        ProcessInfo.processInfo.environment["LUCID_CACHE"] ?? (NSHomeDirectory() + "/.cache/lucid")
    }

    /// The directory holding bundled models: LUCID_MODELS, else the first `Models/` found walking up
    /// from the executable (a build inside the repository) or the working directory.
    public static var bundledDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["LUCID_MODELS"], !explicit.isEmpty { return explicit }
        let fm = FileManager.default
        var starts = [fm.currentDirectoryPath]
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        starts.insert(executable.deletingLastPathComponent().path, at: 0)
        if let bundle = Bundle.main.executablePath { starts.append((bundle as NSString).deletingLastPathComponent) }
        for start in starts {
            var url = URL(fileURLWithPath: start)
            for _ in 0..<8 {
                let candidate = url.appendingPathComponent("Models")
                if fm.fileExists(atPath: candidate.appendingPathComponent("shapes-tiny").path)
                    || fm.fileExists(atPath: candidate.appendingPathComponent("shapes-smol").path) {
                    return candidate.path
                }
                let parent = url.deletingLastPathComponent()
                if parent.path == url.path { break }
                url = parent
            }
        }
        return fm.currentDirectoryPath + "/Models"
    }

    /// Why the bundled organism `name` did not open from `path`, and how to point Lucid at it.
    public static func bundledModelMissing(_ name: String, at path: String) -> String {
        let train = name == "shapes-smol-q" ? "lucid defend qmllm train" : "lucid train \(name)"
        return "the bundled model '\(name)' is not at \(path): set LUCID_MODELS to the repository's Models/ directory, or train it with `\(train)`"
    }

    /// Expands the names Lucid knows (`smollm2` and `organismNames`) and Hugging Face repository ids
    /// (`org/name`, `org/name@revision`) that are not paths here but are in the local hub cache
    /// (`HubCache`, no network); other paths are returned unchanged.
    public static func resolve(_ path: String, hub: HubCache = .fromEnvironment()) -> String {
        if path == "smollm2" { return smolLM2 }
        if organismNames.contains(path) { return (bundledDirectory as NSString).appendingPathComponent(path) }
        if !FileManager.default.fileExists(atPath: path), let reference = HubCache.Reference(path),
           case .success(let snapshot) = hub.snapshot(reference) {
            return snapshot
        }
        return path
    }

    /// Why `name` opened nothing: a path that is not there, and, where it reads as a Hugging Face
    /// repository id, why the hub cache does not have it either.
    public static func notFound(_ name: String, hub: HubCache = .fromEnvironment()) -> String {
        guard let reference = HubCache.Reference(name), case .failure(let miss) = hub.snapshot(reference) else {
            return "\(name): no such file or directory"
        }
        return "\(name): no such file or directory, and \(miss.description)"
    }
}
