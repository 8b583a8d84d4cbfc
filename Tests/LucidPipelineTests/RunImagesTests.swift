import Foundation
import Testing
import LucidPipeline
import LucidRuns

/// `RunImages`: where a run's image paths point, and the check that refuses a run whose images are not
/// there before any model opens.
@Suite("run images")
struct RunImagesTests {
    /// A folder with `world/data.jsonl` naming `names`, and the images `present` under `world/images/`.
    private func world(names: [String], present: [String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("images-\(UUID().uuidString)")
        let images = root.appendingPathComponent("world/images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for name in present { try Data([1, 2, 3]).write(to: images.appendingPathComponent(name)) }
        let lines = names.enumerated().map { "{\"image\": \"\($0.element)\", \"image_id\": \($0.offset)}" }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: root.appendingPathComponent("world/data.jsonl"))
        return root
    }

    private func manifest(_ root: URL, imageFolder: String?) throws -> RunManifest {
        let generation = imageFolder.map { "generation: {image_folder: \($0)}\n" } ?? ""
        let text = "name: t\nmodels: [shapes-tiny]\ndataset: {path: world/data.jsonl, kind: captions}\nmethods: [greedy]\n" + generation
        let url = root.appendingPathComponent("sweep.yaml")
        try Data(text.utf8).write(to: url)
        return try RunManifest.load(from: url)
    }

    @Test func imagesResolveAgainstTheDatasetsFolderJoinedWithImageFolder() throws {
        let images = RunImages(dataset: URL(fileURLWithPath: "/data/world/data.jsonl"), imageFolder: "images")
        #expect(images.path(of: "1.png") == "/data/world/images/1.png")
        #expect(images.path(of: "/elsewhere/1.png") == "/elsewhere/1.png")
        #expect(RunImages(dataset: URL(fileURLWithPath: "/data/world/data.jsonl"), imageFolder: nil).path(of: "1.png") == "/data/world/1.png")
        #expect(RunImages(dataset: URL(fileURLWithPath: "/data/world/data.jsonl"), imageFolder: "/coco/val2014").path(of: "1.png")
                == "/coco/val2014/1.png")
    }

    @Test func aManifestWhoseImagesAreAllThereValidates() throws {
        let root = try world(names: ["1.png", "2.png"], present: ["1.png", "2.png"])
        defer { try? FileManager.default.removeItem(at: root) }
        try RunImages.validate(try manifest(root, imageFolder: "images"))
        try RunImages.validate(try manifest(root, imageFolder: root.appendingPathComponent("world/images").path))
    }

    @Test func missingImagesAreCountedAndTheFirstNamedAtTheImageFolderLine() throws {
        let root = try world(names: ["1.png", "2.png", "3.png", "4.png", "5.png"], present: ["2.png"])
        defer { try? FileManager.default.removeItem(at: root) }
        let error = try #require(throws: ManifestError.self) { try RunImages.validate(try manifest(root, imageFolder: "images")) }
        #expect(error.keyPath == "generation.image_folder" && error.line == 5)
        #expect(error.reason.contains("4 of 5 samples' images are missing"))
        #expect(error.reason.contains("sample 0: \(root.path)/world/images/1.png"))
        #expect(error.reason.contains("sample 4") == false, "three are listed, then an ellipsis")
        #expect(error.reason.contains("image_folder 'images'"))
    }

    @Test func anImageFolderWrittenFromTheWorkingDirectoryIsToldSo() throws {
        let root = try world(names: ["1.png"], present: ["1.png"])
        defer { try? FileManager.default.removeItem(at: root) }
        // `world/images` from the root (the working directory) is right; from the dataset's folder it is world/world/images.
        let error = try #require(throws: ManifestError.self) {
            try RunImages.validate(try manifest(root, imageFolder: "world/images"), workingDirectory: root)
        }
        #expect(error.reason.contains("\(root.path)/world/world/images/1.png"))
        #expect(error.reason.contains("\(root.path)/world/images/1.png exists relative to the working directory"))
        // From any other working directory the hint is not given.
        let elsewhere = try #require(throws: ManifestError.self) {
            try RunImages.validate(try manifest(root, imageFolder: "world/images"), workingDirectory: root.appendingPathComponent("world"))
        }
        #expect(!elsewhere.reason.contains("working directory"))
    }

    @Test func aDirectoryWhereAnImageShouldBeCountsAsMissing() throws {
        let root = try world(names: ["1.png"], present: [])
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("world/images/1.png"), withIntermediateDirectories: true)
        let error = try #require(throws: ManifestError.self) { try RunImages.validate(try manifest(root, imageFolder: "images")) }
        #expect(error.reason.contains("1 of 1 samples' images are missing"))
    }

    @Test func withoutImageFolderTheErrorPointsAtTheDataset() throws {
        let root = try world(names: ["1.png"], present: ["1.png"])
        defer { try? FileManager.default.removeItem(at: root) }
        let error = try #require(throws: ManifestError.self) { try RunImages.validate(try manifest(root, imageFolder: nil)) }
        #expect(error.keyPath == "dataset" && error.line == 3)
        #expect(error.reason.contains("resolve against \(root.path)/world"))
    }

    @Test func aDatasetThatCannotBeReadIsAnErrorAtTheManifestsDatasetLine() throws {
        let root = try world(names: ["1.png"], present: ["1.png"])
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.removeItem(at: root.appendingPathComponent("world/data.jsonl"))
        let error = try #require(throws: ManifestError.self) { try RunImages.validate(try manifest(root, imageFolder: nil)) }
        #expect(error.file.hasSuffix("sweep.yaml") && error.keyPath == "dataset" && error.line == 3)
        #expect(error.reason.contains("world/data.jsonl: cannot read the dataset"))
    }
}
