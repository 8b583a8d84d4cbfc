import Foundation

extension RunManifest {
    /// An error about `keyPath` (e.g. `models[1].dtype`) of this manifest, found after decoding (a
    /// workload's own option checks): it names the file and, for YAML, the line, as decoding errors do.
    ///
    /// The line is looked up by re-reading `source`; a manifest parsed from text has no line.
    public func error(at keyPath: String, _ reason: String) -> ManifestError {
        guard let source else { return ManifestError(file: "<manifest>", line: nil, keyPath: keyPath, reason: reason) }
        let line = (try? ManifestDocument.read(source))?.line(of: keyPath)
        return ManifestError(file: source.path, line: line, keyPath: keyPath, reason: reason)
    }
}
