import ArgumentParser
import Foundation
import Testing
@testable import LucidCLI
@testable import LucidTensor

@Suite("lucid info")
struct InfoCommandTests {
    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lucid-cli-\(UUID().uuidString)-\(name)").path
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

    @Test func smolLM2ReportHasTheModelsShape() throws {
        let path = ModelPaths.smolLM2
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("SmolLM2 GGUF missing at \(path): run scripts/setup.sh")
            return
        }
        #expect(ModelPaths.resolve("smollm2") == path)
        let info = try CheckpointInfo.load(path: path, arrayLimit: 16)
        #expect(info.format == "gguf")
        #expect(info.tensorCount == 272)
        guard case .uint(let layers)? = info.metadata["llama.block_count"] else {
            Issue.record("llama.block_count missing or not unsigned")
            return
        }
        #expect(layers == 30)
        guard case .object(let vocab)? = info.metadata["tokenizer.ggml.tokens"], case .int(let count)? = vocab["count"] else {
            Issue.record("vocabulary was not summarised")
            return
        }
        #expect(count == 49152)
    }

    @Test func corruptFilesGiveOneLineErrors() throws {
        let path = temporaryPath("bad.gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var bytes = Array("GGUF".utf8) + [3, 0, 0, 0]
        bytes += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F] + [UInt8](repeating: 0, count: 8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: CheckpointError.self) { try CheckpointInfo.load(path: path, arrayLimit: 64) }
        #expect(throws: CLIError.self) { try CheckpointInfo.load(path: path + ".missing", arrayLimit: 64) }
        do {
            _ = try CheckpointInfo.load(path: path, arrayLimit: 64)
        } catch {
            #expect("\(error)".hasPrefix(path))
            #expect(!"\(error)".contains("\n"))
        }
    }

    @Test func optionsAreValidated() {
        #expect(throws: (any Error).self) { try LucidCommand.parseAsRoot(["info", "x", "--array-limit", "-1"]) }
        #expect(throws: (any Error).self) { try LucidCommand.parseAsRoot(["bench", "ops", "--threads", "0:1"]) }
        #expect(throws: (any Error).self) { try LucidCommand.parseAsRoot(["bench", "ops", "--threads", "two"]) }
        #expect(throws: (any Error).self) { try LucidCommand.parseAsRoot(["info"]) }
        #expect((try? LucidCommand.parseAsRoot(["bench", "ops", "--threads", "1:2", "--seconds", "0.5"])) != nil)
    }

    @Test func threadPolicyReadsTheEnvironment() throws {
        #expect(try ThreadPolicy.fromEnvironment([:]) == ThreadPolicy.defaultPolicy())
        #expect(try ThreadPolicy.fromEnvironment(["LUCID_THREADS": "3", "LUCID_BLAS_THREADS": "1"]) == ThreadPolicy(intraOp: 3, blas: 1))
        #expect(throws: ThreadPolicyError.self) { try ThreadPolicy.fromEnvironment(["LUCID_THREADS": "0"]) }
        #expect(throws: ThreadPolicyError.self) { try ThreadPolicy.fromEnvironment(["LUCID_BLAS_THREADS": "many"]) }
        #expect(ThreadPolicy.defaultPolicy(cores: 8, openBLAS: true) == ThreadPolicy(intraOp: 1, blas: 8))
        // Serving leaves a core to the HTTP side; the environment still decides when set.
        #expect(ThreadPolicy.servingPolicy(cores: 2, openBLAS: false) == ThreadPolicy(intraOp: 1, blas: 1))
        #expect(ThreadPolicy.servingPolicy(cores: 16, openBLAS: false) == ThreadPolicy(intraOp: 15, blas: 15))
        #expect(ThreadPolicy.servingPolicy(cores: 1, openBLAS: false) == ThreadPolicy(intraOp: 1, blas: 1))
        #expect(ThreadPolicy.servingPolicy(cores: 8, openBLAS: true) == ThreadPolicy(intraOp: 1, blas: 7))
        let serving = ThreadPolicy.servingPolicy(cores: 4, openBLAS: false)
        #expect(try ThreadPolicy.fromEnvironment([:], base: serving) == serving)
        #expect(try ThreadPolicy.fromEnvironment(["LUCID_THREADS": "4"], base: serving) == ThreadPolicy(intraOp: 4, blas: 3))
        #expect(ThreadPolicy.defaultPolicy(cores: 8, openBLAS: false) == ThreadPolicy(intraOp: 8, blas: 8))
    }
}
