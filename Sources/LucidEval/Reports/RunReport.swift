import Foundation
import LucidRuns

/// Metric tables of a finished run: one row per (model, method) with means and standard deviations
/// over seeds, plus per-sample detail for the HTML page.
public struct RunReport: Codable, Sendable {
    /// One table row.
    public struct Row: Codable, Sendable {
        public var model: String
        public var method: String
        public var methodID: String
        public var seeds: Int
        public var samples: Int
        public var failed: Int
        /// Metric name → (mean over seeds, standard deviation over seeds; 0 for one seed).
        public var metrics: [String: [Double]]
        public var tokensPerSecond: Double
        public var forwardPassesPerToken: Double
    }

    /// One output, for the per-sample section.
    public struct SampleDetail: Codable, Sendable {
        public var model: String
        public var method: String
        public var seed: Int
        public var sampleID: String
        public var text: String
        /// Object words the caption hallucinated (CHAIR), or the refusal/yes-no verdict.
        public var flagged: [String]
        public var note: String
    }

    public var name: String
    public var kind: String
    /// Metric columns in display order.
    public var metricNames: [String]
    public var rows: [Row]
    public var samples: [SampleDetail]
    /// CHAIR: hallucination rate of mentions by sentence position (1-based), per row label.
    public var positionRates: [String: [Double]]
    public var warnings: [String]
    /// The layout of `report.json`: 1 = snake_case keys (`ReportWriters` encodes with them), nil in memory-only reports.
    public var schemaVersion: Int? = RunReport.currentSchemaVersion

    /// The `report.json` layout `ReportWriters` writes.
    public static let currentSchemaVersion = 1
}

/// Inputs a report needs besides the run directory.
public struct RunReportOptions: Sendable {
    /// CHAIR ground truth (object list) for caption runs.
    public var objects: URL?
    public var chairVariant: CHAIRVocabulary.Variant = .opera
    public var nltkDirectory: URL
    public var wordNetDirectory: URL = WordNetLemmatizer.defaultDirectory
    public var asrList = "scav"
    public var popeParser = POPEAnswerParser.pope
    /// Per-sample details kept per (model, method), to keep the page small.
    public var samplesPerRow = 20

    public init(nltkDirectory: URL) { self.nltkDirectory = nltkDirectory }
}

extension RunReport {
    /// Reads `results.jsonl` of `directory` (merge shards first) and computes the metrics of its dataset kind.
    public static func build(directory url: URL, options: RunReportOptions) throws -> RunReport {
        let directory = try RunDirectory.open(url)
        let resultsURL = url.appendingPathComponent(RunDirectory.resultsFileName)
        guard FileManager.default.fileExists(atPath: resultsURL.path) else {
            throw EvalError.missingResource(name: "results", path: resultsURL.path, hint: "For a sharded run, run `lucid run merge \(url.path)` first.")
        }
        var records: [ResultRecord] = []
        let text = try String(contentsOf: resultsURL, encoding: .utf8)
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            do { records.append(try ResultRecord.parse(line: Array(line.utf8))) } catch {
                throw EvalError.malformedJSON(path: resultsURL.path, line: number + 1, reason: "\(error)")
            }
        }
        let manifest = directory.metadata.manifest
        let kind = manifest["dataset"]?["kind"]?.stringValue ?? "prompts"
        var warnings: [String] = []
        var samples: [String: [String: JSONValue]] = [:]
        if let datasetKind = DatasetKind(rawValue: kind) {
            let spec = DatasetSpec(url: URL(fileURLWithPath: directory.metadata.datasetPath), kind: datasetKind)
            if let dataset = try? Dataset.load(spec) {
                if dataset.fileHash != directory.metadata.datasetHash { warnings.append("the dataset file changed since the run started") }
                for sample in dataset.samples { samples[sample.id] = sample.fields }
            } else {
                warnings.append("dataset \(directory.metadata.datasetPath) is not readable: sample fields are unavailable")
            }
        }
        var builder = RunReportBuilder(kind: kind, records: records, samples: samples, options: options)
        let built = try builder.build(name: directory.metadata.name)
        var report = RunReport(name: built.name, kind: kind, metricNames: built.metricNames, rows: built.rows, samples: built.samples,
                               positionRates: built.positionRates, warnings: warnings + built.warnings)
        try report.addJudgeMetrics(from: url.appendingPathComponent("judges"))
        return report
    }
}
