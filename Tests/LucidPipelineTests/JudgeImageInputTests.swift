import Foundation
import LucidEval
import LucidVision
import Testing
import LucidPipeline

/// The images `lucid eval opera-gpt4v` sends: read through LucidVision's validated reading, sent as
/// the file's bytes, and refused (naming the items file and item) when they are not images.
@Suite("Judge images from files")
struct JudgeImageInputTests {
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-judge-images-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aRelativePNGIsReadUnchangedAsAPNGDataURL() throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let png = try ImageEncoder.png(try RGBImage(width: 5, height: 3, pixels: (0..<45).map { UInt8($0 * 5) }))
        try Data(png).write(to: URL(fileURLWithPath: root + "/scene.png"))
        let input = JudgeImageInput(root: root)
        try input.check([("a", "scene.png")], source: "items.jsonl")
        let image = try input.read("scene.png", item: "a", source: "items.jsonl")
        #expect(image.bytes == png && image.mediaType == .png && image.source == root + "/scene.png")
        #expect(image.dataURL == "data:image/png;base64," + Data(png).base64EncodedString())
    }

    @Test func filesThatAreNotImagesAreRefusedBeforeAnyRequestNamingTheItem() throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("{\"secret\": 1}".utf8).write(to: URL(fileURLWithPath: root + "/notes.png"))
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0]).write(to: URL(fileURLWithPath: root + "/cut.png"))
        let input = JudgeImageInput(root: root)
        for (item, path) in [("n", "notes.png"), ("c", "cut.png"), ("m", "missing.png"), ("d", ".")] {
            #expect {
                try input.check([(item, path)], source: "items.jsonl")
            } throws: { error in
                "\(error)".hasPrefix("items.jsonl: item '\(item)': image ")
            }
            #expect(throws: (any Error).self) { _ = try input.read(path, item: item, source: "items.jsonl") }
        }
    }
}
