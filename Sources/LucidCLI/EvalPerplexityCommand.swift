import ArgumentParser
import Foundation
import LucidFiles
import LucidModels
import LucidPipeline

/// `lucid eval perplexity`: fluency of generated texts under a language model.
struct EvalPerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of texts (e.g. adversarial outputs) under a language model, overall and per group.",
        discussion: """
        Reads JSONL (run results, demo descriptions, attack outputs); the text is --field, a dotted path \
        (default: text, else result.text). Each text is tokenised without special tokens and scored in one \
        pass: perplexity = exp(summed next-token negative log-likelihood / scored tokens), the first token \
        being context only; texts of fewer than two tokens are skipped and counted. Reports the corpus \
        perplexity (over all scored tokens) and the mean and median of per-text perplexities, overall and for \
        each value of --group-by (dotted paths joined, e.g. model,method for `lucid run` results).
        """
    )

    @Option(help: "The scoring model (default: the base LLM, smollm2).") var model = "smollm2"
    @OptionGroup var runtime: ModelRuntimeOptions
    @Option(help: "JSONL file of texts.") var input: String
    @Option(help: "Dotted path of the text field (default: text, else result.text).") var field: String?
    @Option(help: "Dotted paths whose values group the texts, comma-separated (e.g. model,method).") var groupBy: String?
    @Option(help: "Write per-text perplexities (JSONL) here.") var perText: String?
    @Flag(help: "Print JSON.") var json = false

    struct Group: Encodable {
        var group: String
        var texts: Int
        var skipped: Int
        var tokens: Int
        var perplexity: Double?
        var meanPerplexity: Double?
        var medianPerplexity: Double?
        enum CodingKeys: String, CodingKey {
            case group, texts, skipped, tokens, perplexity, meanPerplexity = "mean_perplexity", medianPerplexity = "median_perplexity"
        }
    }

    static func value(_ object: [String: Any], path: String) -> Any? {
        var current: Any? = object
        for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
        return current
    }

    func run() throws {
        let loaded = try openModel(model, runtime: runtime)
        let tokenizer = try openTokenizer(model)
        let lm = loaded.model
        guard let data = FileManager.default.contents(atPath: input), let text = String(data: data, encoding: .utf8) else {
            throw CLIError("\(input): cannot read the file as UTF-8 text")
        }
        let groups = groupBy.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? []
        var scores: [String: [(nats: Double, tokens: Int)]] = [:]
        var skipped: [String: Int] = [:]
        var order: [String] = []
        var lines: [String] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                throw CLIError("\(input):\(number + 1): not a JSON object")
            }
            let body: String?
            if let field { body = Self.value(object, path: field) as? String } else {
                body = (object["text"] as? String) ?? (Self.value(object, path: "result.text") as? String)
            }
            guard let body else { throw CLIError("\(input):\(number + 1): no text at \(field ?? "text or result.text")") }
            let key = groups.map { path in Self.value(object, path: path).map { "\($0)" } ?? "–" }.joined(separator: " · ")
            if scores[key] == nil, skipped[key] == nil { order.append(key) }
            let ids = tokenizer.encode(body, addSpecialTokens: false)
            let score = lm.negativeLogLikelihood(of: ids)
            if score.tokens == 0 { skipped[key, default: 0] += 1 } else { scores[key, default: []].append(score) }
            let perplexity = score.tokens == 0 ? "null" : String(Foundation.exp(score.nats / Double(score.tokens)))
            lines.append("{\"line\": \(number + 1), \"tokens\": \(score.tokens), \"perplexity\": \(perplexity)}")
        }
        if let perText { try SafeFile.writeText(lines.joined(separator: "\n") + "\n", to: perText) }
        func summary(_ name: String, _ list: [(nats: Double, tokens: Int)], skipped: Int) -> Group {
            let tokens = list.reduce(0) { $0 + $1.tokens }
            let each = list.map { Foundation.exp($0.nats / Double($0.tokens)) }.sorted()
            let median = each.isEmpty ? nil : (each.count % 2 == 1 ? each[each.count / 2] : (each[each.count / 2 - 1] + each[each.count / 2]) / 2)
            return Group(group: name, texts: list.count, skipped: skipped, tokens: tokens,
                         perplexity: tokens == 0 ? nil : Foundation.exp(list.reduce(0) { $0 + $1.nats } / Double(tokens)),
                         meanPerplexity: each.isEmpty ? nil : each.reduce(0, +) / Double(each.count), medianPerplexity: median)
        }
        var report = [summary("all", scores.values.flatMap { $0 }, skipped: skipped.values.reduce(0, +))]
        if !groups.isEmpty { report += order.map { summary($0, scores[$0] ?? [], skipped: skipped[$0] ?? 0) } }
        if json { try printJSON(report) } else {
            for group in report {
                print(String(format: "%@: %d texts (%d skipped), %d tokens, perplexity %@ (mean %@, median %@)", group.group, group.texts, group.skipped,
                             group.tokens, group.perplexity.map { String(format: "%.2f", $0) } ?? "–",
                             group.meanPerplexity.map { String(format: "%.2f", $0) } ?? "–", group.medianPerplexity.map { String(format: "%.2f", $0) } ?? "–"))
            }
        }
    }
}
