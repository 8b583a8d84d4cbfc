import Foundation

/// A path one file stores to another: written relative to the storing file's folder, so the pair can move
/// together; read back as an absolute path, and checked before use so a moved target fails with both paths.
public enum FileReference {
    /// `target` (absolute, or relative to the current directory) as a path relative to `folder`.
    ///
    /// `folder/../x` style paths are produced when the target is outside `folder`; a target on no common
    /// root with `folder` comes back absolute.
    public static func relative(_ target: String, to folder: URL) -> String {
        let targetParts = absolute(target).standardizedFileURL.pathComponents
        let folderParts = folder.standardizedFileURL.pathComponents
        var common = 0
        while common < min(targetParts.count, folderParts.count), targetParts[common] == folderParts[common] { common += 1 }
        guard common > 0 else { return absolute(target).path }
        let ups = Array(repeating: "..", count: folderParts.count - common)
        let rest = Array(targetParts[common...])
        return (ups + rest).joined(separator: "/")
    }

    /// `stored` read from a file in `folder`: absolute paths stay, relative ones are taken from `folder`.
    public static func resolve(_ stored: String, from folder: URL) -> String {
        stored.hasPrefix("/") ? stored : folder.appendingPathComponent(stored).standardizedFileURL.path
    }

    /// `path` as an absolute URL (relative paths are taken from the current directory).
    public static func absolute(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path).standardizedFileURL
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path).standardizedFileURL
    }

    /// Whether two paths (absolute or relative to the current directory) name the same file location.
    public static func same(_ a: String, _ b: String) -> Bool { absolute(a).path == absolute(b).path }
}
