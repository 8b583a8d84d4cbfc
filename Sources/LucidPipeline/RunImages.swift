import Foundation
import LucidRuns

/// Where a run's relative image paths point, and the check that its samples' images are there.
///
/// Relative paths resolve against the dataset's folder, or against `generation.image_folder` (itself
/// relative to the dataset's folder, as POPE's `--image-folder`); absolute paths stand as written.
/// `lucid run` checks every sample's image before it opens a model or makes a run directory, so a
/// misplaced `image_folder` is one error naming where the paths pointed, not an error per item after
/// each has failed in turn.
public struct RunImages: Sendable, Equatable {
    /// The folder relative image paths resolve against.
    public let folder: URL

    /// The folder of a dataset file at `dataset` with the manifest's `image_folder` (nil: the dataset's folder).
    public init(dataset: URL, imageFolder: String?) {
        let base = dataset.deletingLastPathComponent()
        folder = imageFolder.map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : base.appendingPathComponent($0) } ?? base
    }

    /// The file an `image` field names.
    public func path(of image: String) -> String {
        image.hasPrefix("/") ? image : folder.appendingPathComponent(image).path
    }

    /// The samples whose `image` names no readable file (a directory counts as missing), in dataset order.
    public func missing(in samples: [Sample]) -> [(sample: String, path: String)] {
        samples.compactMap { sample in
            guard let image = sample.fields["image"]?.stringValue else { return nil }
            let path = path(of: image)
            var isDirectory: ObjCBool = false
            let present = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
                && FileManager.default.isReadableFile(atPath: path)
            return present ? nil : (sample.id, path)
        }
    }

    /// Refuses a manifest whose dataset names images that are not there: how many, the first three, where
    /// relative paths pointed, and, where the first resolves from the working directory instead, that
    /// `image_folder` is relative to the dataset's folder. A dataset that cannot be read (or has no samples) is a
    /// `ManifestError` at `dataset`; a bad line of it, its `DatasetError`.
    public static func validate(_ manifest: RunManifest,
                                workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws {
        let dataset: Dataset
        do { dataset = try Dataset.load(manifest.dataset) } catch {
            // A line of the dataset names itself; a file that cannot be read names the manifest's key that points at it.
            throw error.line == nil ? manifest.error(at: "dataset", error.description) : error
        }
        let generation = try ManifestGeneration(manifest)
        let images = RunImages(dataset: dataset.url, imageFolder: generation.imageFolder)
        let missing = images.missing(in: dataset.samples)
        guard let first = missing.first else { return }
        let withImages = dataset.samples.filter { $0.fields["image"] != nil }.count
        let listed = missing.prefix(3).map { "sample \($0.sample): \($0.path)" }.joined(separator: "; ")
        var reason = "\(missing.count) of \(withImages) samples' images are missing (\(listed)\(missing.count > 3 ? "; …" : "")); "
            + "relative image paths resolve against \(images.folder.path)"
        if let folder = generation.imageFolder, !folder.hasPrefix("/") {
            reason += ", the dataset's folder joined with image_folder '\(folder)'"
        }
        let image = dataset.samples.first { $0.id == first.sample }?.fields["image"]?.stringValue ?? ""
        let fromHere = workingDirectory.appendingPathComponent(generation.imageFolder ?? "").appendingPathComponent(image).standardized.path
        if !image.hasPrefix("/"), generation.imageFolder?.hasPrefix("/") != true, FileManager.default.fileExists(atPath: fromHere) {
            reason += " (\(fromHere) exists relative to the working directory, but relative paths do not start there: write "
                + "image_folder relative to \(dataset.url.deletingLastPathComponent().path), or as an absolute path)"
        }
        throw manifest.error(at: generation.imageFolder == nil ? "dataset" : "generation.image_folder", reason)
    }
}
