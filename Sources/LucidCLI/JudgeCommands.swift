import ArgumentParser
import Foundation
import LucidFiles
import LucidEval

/// Options of the LLM-judge commands: an OpenAI-compatible endpoint, contacted only when asked.
struct JudgeEndpointOptions: ParsableArguments {
    @Option(help: "Base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1.")
    var endpoint: String

    @Option(help: "Judge model name.")
    var judgeModel: String

    @Option(help: "Environment variable holding the API key (never pass keys on the command line).")
    var apiKeyEnv: String = "OPENAI_API_KEY"

    func client() throws -> ChatCompletionClient {
        guard let url = URL(string: endpoint), url.scheme == "http" || url.scheme == "https" else {
            throw CLIError("--endpoint '\(endpoint)' is not an http(s) URL")
        }
        return ChatCompletionClient(baseURL: url, model: judgeModel, apiKey: ProcessInfo.processInfo.environment[apiKeyEnv])
    }
}

/// Reads JSONL objects with the given string fields, with line numbers in errors.
func readJSONL(_ path: String, fields: [String]) throws -> [[String: String]] {
    let text = try SafeFile.readText(path)
    var rows: [[String: String]] = []
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw CLIError("\(path):\(number + 1): not a JSON object")
        }
        var row: [String: String] = [:]
        for field in fields {
            guard let value = object[field] as? String else { throw CLIError("\(path):\(number + 1): missing string field '\(field)'") }
            row[field] = value
        }
        rows.append(row)
    }
    return rows
}

/// `lucid eval strongreject`: StrongREJECT rubric scores from an LLM judge.
struct EvalStrongREJECTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strongreject",
        abstract: "Score jailbreak responses with the StrongREJECT rubric through an OpenAI-compatible judge.",
        discussion: "Input: JSONL with {\"prompt\", \"response\"}. Output: one JSON line per response, then the mean score."
    )
    @Option(help: "Responses JSONL.") var responses: String
    @OptionGroup var endpoint: JudgeEndpointOptions
    @Option(help: "Write per-response verdicts (JSONL) here.") var out: String?

    func run() async throws {
        let rows = try readJSONL(responses, fields: ["prompt", "response"])
        let judge = StrongREJECTJudge(client: try endpoint.client())
        var lines: [String] = []
        var total = 0.0
        for (i, row) in rows.enumerated() {
            let verdict: StrongREJECTJudge.Verdict
            do { verdict = try await judge.judge(prompt: row["prompt"] ?? "", response: row["response"] ?? "") } catch {
                throw CLIError("response \(i + 1): \(error.description)")
            }
            total += verdict.score
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            lines.append(String(decoding: try encoder.encode(verdict), as: UTF8.self))
            FileHandle.standardError.write(Data("judged \(i + 1)/\(rows.count)\n".utf8))
        }
        if let out { try SafeFile.writeText(lines.joined(separator: "\n") + "\n", to: out) }
        print(String(format: "{\"responses\":%d,\"mean_score\":%.6f}", rows.count, rows.isEmpty ? 0 : total / Double(rows.count)))
    }
}

/// `lucid eval hallucination-judge`: sentence-level hallucination labels from an LLM judge.
struct EvalHallucinationJudgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hallucination-judge",
        abstract: "Label each sentence of image descriptions correct / hallucinated / unverifiable against annotations.",
        discussion: "Input: JSONL with {\"description\", \"ground_truth\"} (e.g. an object list or reference captions as text)."
    )
    @Option(help: "Descriptions JSONL.") var descriptions: String
    @OptionGroup var endpoint: JudgeEndpointOptions

    func run() async throws {
        let rows = try readJSONL(descriptions, fields: ["description", "ground_truth"])
        let judge = HallucinationJudge(client: try endpoint.client())
        var rates: [Double] = []
        for (i, row) in rows.enumerated() {
            do {
                let verdict = try await judge.judge(description: row["description"] ?? "", groundTruth: row["ground_truth"] ?? "")
                rates.append(verdict.hallucinationRate)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(verdict), as: UTF8.self))
            } catch { throw CLIError("description \(i + 1): \(error)") }
        }
        FileHandle.standardError.write(Data(String(format: "mean hallucination rate %.4f over %d descriptions\n",
                                                   rates.isEmpty ? 0 : rates.reduce(0, +) / Double(rates.count), rates.count).utf8))
    }
}
