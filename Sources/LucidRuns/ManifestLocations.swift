/// Where a manifest's keys were written (file, and line per key path for YAML), so that checks
/// made after reading — a workload's method and generation options — still report
/// `sweep.yaml:17: methods[1].beams: …` as docs/runs.md promises.
///
/// Locations are not content: two manifests that differ only in where keys sit are equal.
public struct ManifestLocations: Sendable, Equatable {
    public var file: String
    /// Key path (`methods[1].beams`) → 1-based line, where known (YAML only).
    public var lines: [String: Int]

    public init(file: String = "<manifest>", lines: [String: Int] = [:]) {
        self.file = file
        self.lines = lines
    }

    public static func == (lhs: ManifestLocations, rhs: ManifestLocations) -> Bool { true }

    /// The line of `keyPath` or of its nearest ancestor that has one.
    public func line(of keyPath: String) -> Int? {
        var path = keyPath
        while !path.isEmpty {
            if let line = lines[path] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            path = String(path[..<cut])
        }
        return nil
    }

    /// An error at `keyPath` with the file and line.
    public func error(at keyPath: String, _ reason: String) -> ManifestError {
        ManifestError(file: file, line: line(of: keyPath), keyPath: keyPath, reason: reason)
    }
}
