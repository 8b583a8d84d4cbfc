import Foundation

extension RunManifest {
    /// An error about `keyPath` (e.g. `models[1].dtype`) of this manifest, found after decoding (a
    /// workload's own option checks): it names the file and, for YAML, the line, as decoding errors do.
    ///
    /// The lines are those recorded when the manifest was read or parsed (`locations`), so a manifest
    /// parsed from text names its lines too. Only a manifest built in code with a `source` and no
    /// locations has that file re-read for them.
    public func error(at keyPath: String, _ reason: String) -> ManifestError {
        if locations.lines.isEmpty, locations.file == ManifestLocations().file, let source {
            let line = (try? ManifestDocument.read(source))?.line(of: keyPath)
            return ManifestError(file: source.path, line: line, keyPath: keyPath, reason: reason)
        }
        return locations.error(at: keyPath, reason)
    }
}
