import Foundation
import LucidEval
import LucidGeneration
import LucidOrganisms

/// One decoding run of `lucid demo`: a method name and, for sampled methods, the seed.
struct DemoMethod: Equatable {
    static let names = ["greedy", "sample", "beam", "opera", "vcd", "damro", "vcd-sample", "damro-sample"]

    static func sampled(_ name: String) -> Bool { name == "sample" || name.hasSuffix("-sample") }

    let name: String
    let seed: UInt64?

    /// The key of this run in descriptions.jsonl and the report ("sample#2" for seed 2).
    var label: String { seed.map { "\(name)#\($0)" } ?? name }

    /// The method whose time per token this one is compared with (OPERA: beam; contrastive: the
    /// same decoding without the contrastive branch).
    static func baseline(of name: String) -> String? {
        switch name {
        case "opera": return "beam"
        case "vcd", "damro": return "greedy"
        case "vcd-sample", "damro-sample": return "sample"
        default: return nil
        }
    }

    /// The decoding method with the official defaults (VCD α 1 with warpers, DAMRO α 2 without,
    /// β 0.1, DAMRO k = 10 of LLaVA-1.5's 576 patches scaled to `patchCount`). Sampled runs use a
    /// seed per (run seed, scene) so that scenes are independent draws.
    func method(patchCount: Int, beams: Int, temperature: Double, scene: Int) throws -> DecodingMethod {
        let base = name.hasSuffix("-sample") ? String(name.dropLast("-sample".count)) : name
        let sampling = seed.map { SamplingParameters(temperature: temperature, topK: 0, topP: 1, seed: $0 &* 1_000_003 &+ UInt64(scene)) }
        let damro = base == "damro"
        let contrastive = ContrastiveParameters(alpha: damro ? 2 : 1, beta: 0.1, sampling: sampling, applyWarpers: !damro)
        switch base {
        case "sample":
            guard let sampling else { throw CLIError("sampling needs a seed") }
            return .sample(sampling)
        case "beam": return .beam(BeamSearchParameters(beams: beams))
        case "opera":
            var opera = OPERAParameters()
            opera.beams = beams
            return .opera(opera)
        case "vcd": return .vcd(contrastive, noiseStep: 500, noiseSeed: 0)
        case "damro": return .damro(contrastive, outliers: Swift.max(1, Int((Double(patchCount) * 10 / 576).rounded())), attention: .singleHead)
        default: return .greedy
        }
    }
}

/// The demo's table: each method's runs, their mean and standard deviation over seeds, and its
/// time per token relative to its baseline.
struct DemoTable {
    struct Row: Codable {
        var method: String
        var runs: [DemoPage.MethodSummary]
        var mean: DemoPage.MethodSummary
        var sd: DemoPage.MethodSummary?
        var baseline: String?
        /// Seconds per generated token of this method ÷ its baseline's (nil without a baseline run).
        var timePerTokenVersusBaseline: Double?
        /// Forward passes per token of this method ÷ its baseline's.
        var passesPerTokenVersusBaseline: Double?
    }

    let rows: [Row]

    init(runs: [DemoMethod], summaries: [DemoPage.MethodSummary]) {
        var order: [String] = []
        for run in runs where !order.contains(run.name) { order.append(run.name) }
        var built: [Row] = []
        for name in order {
            let labels = Set(runs.filter { $0.name == name }.map(\.label))
            let mine = summaries.filter { labels.contains($0.method) }
            guard !mine.isEmpty else { continue }
            built.append(Row(method: name, runs: mine, mean: Self.combine(mine, name: name, by: Self.mean),
                             sd: mine.count > 1 ? Self.combine(mine, name: name, by: Self.standardDeviation) : nil,
                             baseline: DemoMethod.baseline(of: name)))
        }
        for index in built.indices {
            guard let baseline = built[index].baseline, let reference = built.first(where: { $0.method == baseline }) else { continue }
            let mine = built[index].mean, theirs = reference.mean
            if mine.tokensPerSecond > 0, theirs.tokensPerSecond > 0 {
                built[index].timePerTokenVersusBaseline = theirs.tokensPerSecond / mine.tokensPerSecond
            }
            if theirs.forwardPassesPerToken > 0 {
                built[index].passesPerTokenVersusBaseline = mine.forwardPassesPerToken / theirs.forwardPassesPerToken
            }
        }
        rows = built
    }

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(Swift.max(1, values.count)) }

    /// Sample standard deviation (n − 1).
    static func standardDeviation(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let m = mean(values)
        return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
    }

    static func combine(_ runs: [DemoPage.MethodSummary], name: String, by reduce: ([Double]) -> Double) -> DemoPage.MethodSummary {
        func optional(_ key: (DemoPage.MethodSummary) -> Double?) -> Double? {
            let values = runs.compactMap(key)
            return values.count == runs.count ? reduce(values) : nil
        }
        return DemoPage.MethodSummary(method: name, recall: reduce(runs.map(\.recall)), chairI: reduce(runs.map(\.chairI)),
                                      chairS: reduce(runs.map(\.chairS)), nltkCHAIRi: optional(\.nltkCHAIRi), nltkCHAIRs: optional(\.nltkCHAIRs),
                                      tokensPerSecond: reduce(runs.map(\.tokensPerSecond)), meanTokens: reduce(runs.map(\.meanTokens)),
                                      forwardPassesPerToken: reduce(runs.map(\.forwardPassesPerToken)))
    }

    /// The table as aligned text lines (percentages; "± sd" over seeds where there are several).
    func lines() -> [String] {
        var out = ["method        runs  CHAIR_s        CHAIR_i        recall         tokens  tok/s   passes/tok  time/token vs baseline"]
        for row in rows {
            func cell(_ key: (DemoPage.MethodSummary) -> Double, percent: Bool = true) -> String {
                let scale = percent ? 100.0 : 1.0
                let value = String(format: "%.1f", scale * key(row.mean))
                guard let sd = row.sd else { return value.padding(toLength: 15, withPad: " ", startingAt: 0) }
                return (value + String(format: " ± %.1f", scale * key(sd))).padding(toLength: 15, withPad: " ", startingAt: 0)
            }
            let versus = row.timePerTokenVersusBaseline.map { String(format: "%.2f× %@", $0, row.baseline ?? "") } ?? "–"
            out.append(row.method.padding(toLength: 14, withPad: " ", startingAt: 0) + String(row.runs.count).padding(toLength: 6, withPad: " ", startingAt: 0)
                + cell(\.chairS) + cell(\.chairI) + cell(\.recall)
                + String(format: "%-8.1f%-8.1f%-12.2f", row.mean.meanTokens, row.mean.tokensPerSecond, row.mean.forwardPassesPerToken) + versus)
        }
        return out
    }

    /// summary.json: the options, the rows and POPE.
    func json(model: String, scenes: Int, seed: UInt64, prompt: String, pope: [(split: String, accuracy: Double, questions: Int)]) throws -> Data {
        struct POPEEntry: Codable { var split: String; var accuracy: Double; var questions: Int }
        struct Document: Codable {
            var model: String
            var scenes: Int
            var worldSeed: UInt64
            var prompt: String
            var methods: [Row]
            var pope: [POPEEntry]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase  // docs/json.md; the metric rows carry explicit keys
        return try encoder.encode(Document(model: model, scenes: scenes, worldSeed: seed, prompt: prompt, methods: rows,
                                           pope: pope.map { POPEEntry(split: $0.split, accuracy: $0.accuracy, questions: $0.questions) }))
    }
}
