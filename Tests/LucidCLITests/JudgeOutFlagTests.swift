import Foundation
import Testing
@testable import LucidVision

/// A judging command whose `--out` cannot hold records says so naming the flag, before any request.
@Suite("judge commands' --out")
struct JudgeOutFlagTests {
    @Test func anOutThatIsADirectoryIsRefusedNamingTheFlag() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-judge-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let responses = folder.appendingPathComponent("responses.jsonl")
        try Data("{\"prompt\": \"p\", \"response\": \"r\"}\n".utf8).write(to: responses)
        let image = folder.appendingPathComponent("a.png")
        try Data(try ImageEncoder.png(try RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 90, count: 48)))).write(to: image)
        let items = folder.appendingPathComponent("items.jsonl")
        try Data("{\"image\": \"a.png\", \"assistant_1\": \"x\", \"assistant_2\": \"y\"}\n".utf8).write(to: items)
        // Port 1 on loopback: a request would fail, so only a check made before any request can pass this.
        let endpoint = ["--endpoint", "http://127.0.0.1:1/v1", "--judge-model", "m"]
        for arguments in [["eval", "strongreject", "--responses", responses.path, "--out", folder.path],
                          ["eval", "opera-gpt4v", "--items", items.path, "--out", folder.path]] {
            let result = try LucidProcess.run(arguments + endpoint)
            #expect(result.status != 0)
            #expect(result.err.contains("--out \(folder.path)"), "\(arguments[1]): \(result.err)")
        }
    }
}
