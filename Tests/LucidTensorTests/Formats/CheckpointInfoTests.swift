import Foundation
import LucidFiles
import Testing
@testable import LucidTensor

/// `CheckpointInfo`: what `lucid info` reports about a checkpoint, read from headers only.
@Suite("checkpoint info")
struct CheckpointInfoTests {
    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lucid-info-\(UUID().uuidString)-\(name)").path
    }

    @Test func safetensorsReportListsTensorsAndCounts() throws {
        let path = temporaryPath("m.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafetensorsWriter.write([
            .init(name: "w", dtype: .float32, shape: [2, 3], bytes: [UInt8](repeating: 0, count: 24)),
            .init(name: "b", dtype: .bfloat16, shape: [3], bytes: [UInt8](repeating: 0, count: 6)),
        ], metadata: ["format": "pt"], to: path)
        let info = try CheckpointInfo.load(path: path, arrayLimit: 64)
        #expect(info.format == "safetensors")
        #expect(info.tensorCount == 2)
        #expect(info.parameterCount == 9)
        #expect(info.tensors.map(\.name).sorted() == ["b", "w"])
        let json = String(decoding: try JSONEncoder().encode(info), as: UTF8.self)
        #expect(json.contains("\"tensor_count\":2"))
        #expect(json.contains("\"format\":\"pt\""))
        let text = info.text(showTensors: true)
        #expect(text.contains("BF16 1, F32 1"))
        #expect(text.contains("[2, 3]"))
    }

    @Test func corruptFilesGiveOneLineErrors() throws {
        let path = temporaryPath("bad.gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var bytes = Array("GGUF".utf8) + [3, 0, 0, 0]
        bytes += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F] + [UInt8](repeating: 0, count: 8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: CheckpointError.self) { try CheckpointInfo.load(path: path, arrayLimit: 64) }
        #expect(throws: FileAccessError(path: path + ".missing", problem: "no such file or directory")) {
            try CheckpointInfo.load(path: path + ".missing", arrayLimit: 64)
        }
        do {
            _ = try CheckpointInfo.load(path: path, arrayLimit: 64)
        } catch {
            #expect("\(error)".hasPrefix(path))
            #expect(!"\(error)".contains("\n"))
        }
    }

    @Test func nonFiniteMetadataNumbersAreWrittenAsTheirNames() throws {
        let values: [MetadataJSON] = [.double(.nan), .double(.infinity), .float(-.infinity), .double(1.5)]
        let text = String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
        #expect(text == "[\"NaN\",\"Infinity\",\"-Infinity\",1.5]")
    }

    @Test func longGGUFArraysAreSummarisedWithTheirFirstValues() {
        let long = GGUFValue.array(.uint32, (0..<100).map { GGUFValue.uint32(UInt32($0)) })
        guard case .object(let summary) = CheckpointInfo.json(long, arrayLimit: 10) else {
            Issue.record("a 100-item array over a limit of 10 was not summarised")
            return
        }
        #expect(summary["count"] == .int(100))
        #expect(summary["first"] == .array((0..<8).map { .uint(UInt64($0)) }))
        #expect(CheckpointInfo.json(long, arrayLimit: nil) == .array((0..<100).map { .uint(UInt64($0)) }))
    }
}
