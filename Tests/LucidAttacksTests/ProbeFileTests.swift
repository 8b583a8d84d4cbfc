import Foundation
import Testing
@testable import LucidAttacks

/// `probes.json`: snake_case keys, a schema version, and the training image stored relative to the file.
@Suite("SCAV probe files")
struct ProbeFileTests {
    func folder(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-probe-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func set(image: String?) -> SafetyProbeSet {
        SafetyProbeSet(model: "m", template: "chatml", image: image, maliciousTrain: 3, safeTrain: 4, maliciousTest: 1, safeTest: 2,
                       inverseRegularization: 1, probes: [SafetyProbe(hiddenState: 2, weight: [0.5, -1], bias: 0.25, trainAccuracy: 1, testAccuracy: 0.9)])
    }

    @Test func theImageTravelsWithTheProbeFile() throws {
        let root = try folder("move")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("a/images"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("a/probes"), withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: root.appendingPathComponent("a/images/scene.png"))
        try set(image: root.appendingPathComponent("a/images/scene.png").path).write(root.appendingPathComponent("a/probes/probes.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("a/probes/probes.json"))) as? [String: Any])
        #expect(object["image"] as? String == "../images/scene.png")
        // The whole folder moves: the probes still find their image.
        try FileManager.default.moveItem(at: root.appendingPathComponent("a"), to: root.appendingPathComponent("b"))
        let loaded = try SafetyProbeSet.load(root.appendingPathComponent("b/probes/probes.json"))
        #expect(loaded.image == root.appendingPathComponent("b/images/scene.png").standardizedFileURL.path)
        #expect(try loaded.recordedImage(probeFile: "probes.json") == loaded.image)
        #expect(loaded.probes == set(image: nil).probes && loaded.maliciousTrain == 3 && loaded.inverseRegularization == 1)
        // The image alone moves: a clear error naming where it was looked for.
        try FileManager.default.moveItem(at: root.appendingPathComponent("b/images"), to: root.appendingPathComponent("elsewhere"))
        let moved = try SafetyProbeSet.load(root.appendingPathComponent("b/probes/probes.json"))
        #expect(throws: AttackError.self) { try moved.recordedImage(probeFile: "probes.json") }
        do { _ = try moved.recordedImage(probeFile: "probes.json") } catch let error as AttackError {
            #expect(error.description.contains("b/images/scene.png") && error.description.contains("does not exist"))
        }
    }

    @Test func theFileUsesSnakeCaseKeysAndAVersion() throws {
        let root = try folder("keys")
        defer { try? FileManager.default.removeItem(at: root) }
        try set(image: nil).write(root.appendingPathComponent("probes.json"))
        let text = try String(contentsOf: root.appendingPathComponent("probes.json"), encoding: .utf8)
        for key in ["\"schema_version\":1", "\"malicious_train\":3", "\"inverse_regularization\":1", "\"hidden_state\":2", "\"test_accuracy\":0.9"] {
            #expect(text.contains(key), "\(key) in \(text)")
        }
        #expect(text.range(of: #""[a-z]+[A-Z][A-Za-z]*":"#, options: .regularExpression) == nil, "camelCase key in \(text)")
    }

    @Test func filesWrittenBeforeVersionsStillLoadWithTheirImageAsGiven() throws {
        let root = try folder("old")
        defer { try? FileManager.default.removeItem(at: root) }
        let old = #"{"bias":0,"feature":"f","image":"scene.png","inverseRegularization":1,"maliciousTest":1,"maliciousTrain":3,"model":"m","#
            + #""probes":[{"bias":0.25,"hiddenState":2,"testAccuracy":0.9,"trainAccuracy":1,"weight":[0.5,-1]}],"safeTest":2,"safeTrain":4,"template":"chatml"}"#
        try Data(old.utf8).write(to: root.appendingPathComponent("probes.json"))
        let loaded = try SafetyProbeSet.load(root.appendingPathComponent("probes.json"))
        #expect(loaded.schemaVersion == nil && loaded.image == "scene.png")
        #expect(loaded.probes.first?.hiddenState == 2 && loaded.probes.first?.testAccuracy == 0.9 && loaded.safeTrain == 4)
    }

    @Test func relativePathsClimbOutOfTheFolderWhenNeeded() {
        #expect(FileReference.relative("/x/y/z.png", to: URL(fileURLWithPath: "/x/y")) == "z.png")
        #expect(FileReference.relative("/x/q/z.png", to: URL(fileURLWithPath: "/x/y/w")) == "../../q/z.png")
        #expect(FileReference.resolve("../q/z.png", from: URL(fileURLWithPath: "/x/y")) == "/x/q/z.png")
        #expect(FileReference.resolve("/abs.png", from: URL(fileURLWithPath: "/x/y")) == "/abs.png")
    }
}
