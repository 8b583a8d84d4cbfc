import ArgumentParser
import Foundation
import Testing
@testable import LucidCLI
@testable import LucidTensor

@Suite("lucid info")
struct InfoCommandTests {
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

    /// Training has one thread count whatever the machine (the bundled weights' count), so retraining
    /// reproduces them; LUCID_THREADS still overrides it.
    @Test func trainingHasAFixedThreadCountTheEnvironmentOverrides() throws {
        let training = ThreadPolicy.trainingPolicy(openBLAS: false)
        #expect(training == ThreadPolicy(intraOp: ThreadPolicy.trainingThreads, blas: ThreadPolicy.trainingThreads))
        #expect(ThreadPolicy.trainingThreads == 2)
        #expect(ThreadPolicy.trainingPolicy(openBLAS: true) == ThreadPolicy(intraOp: 1, blas: 2))
        #expect(try ThreadPolicy.fromEnvironment([:], base: training) == training)
        #expect(try ThreadPolicy.fromEnvironment(["LUCID_THREADS": "8"], base: training) == ThreadPolicy(intraOp: 8, blas: 2))
    }
}
