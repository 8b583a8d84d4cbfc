import Foundation
import Testing
@testable import LucidCLI
@testable import LucidTensor

/// Runs the built `lucid` executable (next to the test bundle) as a user would.
struct LucidProcess {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lucid")
    }

    /// Runs `lucid arguments…`; returns exit status, standard output and standard error.
    static func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    static func json(_ text: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw CLIError("not a JSON object: \(text)")
        }
        return object
    }
}

@Suite("lucid command line", .serialized)
struct CommandLineTests {
    var smolInstalled: Bool {
        let ok = FileManager.default.fileExists(atPath: ModelPaths.smolLM2)
        if !ok { Issue.record("SmolLM2 GGUF missing at \(ModelPaths.smolLM2): run scripts/setup.sh") }
        return ok
    }

    @Test func versionNamesLibtorch() throws {
        let result = try LucidProcess.run(["--version"])
        #expect(result.status == 0)
        #expect(result.out.contains("libtorch"))
    }

    @Test func generateAnswersParisAsJSON() throws {
        guard smolInstalled else { return }
        let result = try LucidProcess.run(["generate", "--prompt", "What is the capital of France?", "--json", "--max-new-tokens", "24"])
        #expect(result.status == 0, "\(result.err)")
        let object = try LucidProcess.json(result.out)
        #expect((object["text"] as? String)?.contains("Paris") == true)
        #expect(object["finish_reason"] as? String == "eos")
        #expect((object["token_ids"] as? [Int])?.last == 2)
        #expect((object["stats"] as? [String: Any])?["prefill_tokens"] as? Int == object["prompt_tokens"] as? Int)
    }

    @Test func tokenizePrintsIdsWithoutSpecialTokens() throws {
        guard smolInstalled else { return }
        let result = try LucidProcess.run(["tokenize", "--text", "Hello world 123", "--json"])
        #expect(result.status == 0, "\(result.err)")
        let object = try LucidProcess.json(result.out)
        #expect(object["tokens"] as? [String] == ["Hello", "Ġworld", "Ġ", "1", "2", "3"])
    }

    @Test func inspectWritesNamedCapturesWithoutTheBatchDimension() throws {
        guard smolInstalled else { return }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-inspect-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try LucidProcess.run(["inspect", "--model", "smollm2", "--input-ids", "1,9690,198",
                                           "--capture", "logits,attentions:-1,hidden:10", "--out", out])
        #expect(result.status == 0, "\(result.err)")
        let file = try SafetensorsFile(path: out)
        #expect(file.entry(named: "logits")?.shape == [3, 49152])
        #expect(file.entry(named: "attentions.29")?.shape == [9, 3, 3])
        #expect(file.entry(named: "hidden_states.10")?.shape == [3, 576])
        #expect(file.names.count == 3)
    }

    @Test func badInputIsOneClearLineAndAFailureStatus() throws {
        let cases: [([String], String)] = [
            (["generate", "--prompt", "x", "--temperature", "0"], "temperature"),
            (["generate", "--prompt", "x", "--input-ids", "1"], "exactly one of --prompt or --input-ids"),
            (["generate", "--model", "/nonexistent/model.gguf", "--input-ids", "1"], "/nonexistent/model.gguf"),
            (["inspect", "--model", "smollm2", "--input-ids", "1,x", "--out", "/tmp/x.safetensors"], "not an integer"),
            (["info", "/nonexistent"], "no such file"),
            (["tokenize", "--model", "/nonexistent", "--text", "a"], "/nonexistent"),
        ]
        for (arguments, expected) in cases {
            let result = try LucidProcess.run(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.err.contains(expected), "\(arguments): \(result.err)")
        }
    }
}
