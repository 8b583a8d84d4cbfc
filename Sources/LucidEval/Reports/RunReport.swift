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
        /// A reasoning model's reasoning, which the metrics do not score (docs/runs.md); nil otherwise.
        public var reasoning: String? = nil
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

    /// What the tables, the charts, the samples and `positionRates` call a row's method: its name, or its id
    /// (`beam@3ff4e435`, as results.jsonl and report.csv name it) where the run has another configuration of that
    /// method for the model (two beam searches that differ in an option).
    public func methodLabel(of row: Row) -> String {
        Self.methodLabel(model: row.model, method: row.method, methodID: row.methodID, among: rows.map { ($0.model, $0.method, $0.methodID) })
    }

    static func methodLabel(model: String, method: String, methodID: String, among all: [(model: String, method: String, methodID: String)]) -> String {
        all.contains { $0.model == model && $0.method == method && $0.methodID != methodID } ? methodID : method
    }
}

/// Inputs a report needs besides the run directory.
public struct RunReportOptions: Sendable {
    /// CHAIR ground truth (object list) for caption runs.
    public var objects: URL?
    public var chairVariant: CHAIRVocabulary.Variant = .opera
    /// CHAIR's vocabulary for a caption run of another world: a synonyms file (`CHAIRVocabulary(synonymsText:)`,
    /// e.g. ShapesWorld's `vocabulary.txt`). Nil: the vocabulary the run's dataset declares — a
    /// `vocabulary.txt` beside the dataset file, as a ShapesWorld export has — else COCO's (`chairVariant`).
    public var synonyms: URL?
    public var nltkDirectory: URL
    public var wordNetDirectory: URL = WordNetLemmatizer.defaultDirectory
    public var asrList = "scav"
    public var popeParser = POPEAnswerParser.pope
    /// Per-sample details kept per (model, method), to keep the page small.
    public var samplesPerRow = 20

    public init(nltkDirectory: URL) { self.nltkDirectory = nltkDirectory }
}

extension RunReport {
    /// The file beside a dataset that declares its CHAIR vocabulary (ShapesWorld exports write it).
    public static let vocabularyFileName = "vocabulary.txt"

    /// Reads `results.jsonl` of `directory` (merge shards first; `RunResults`) and computes the metrics of its
    /// dataset kind. A dataset that is unreadable or changed since the run started is a warning of the report.
    public static func build(directory url: URL, options: RunReportOptions) throws -> RunReport {
        let results = try RunResults.read(run: url)
        let dataset = results.samples()
        let warnings = dataset.problem.map { ["\($0)"] } ?? []
        var options = options
        let declared = dataset.url.deletingLastPathComponent().appendingPathComponent(Self.vocabularyFileName)
        if options.synonyms == nil, FileManager.default.fileExists(atPath: declared.path) { options.synonyms = declared }
        var builder = RunReportBuilder(kind: results.kind, records: results.records, samples: dataset.fields, options: options)
        let built = try builder.build(name: results.directory.metadata.name)
        var report = RunReport(name: built.name, kind: results.kind, metricNames: built.metricNames, rows: built.rows, samples: built.samples,
                               positionRates: built.positionRates, warnings: warnings + built.warnings)
        try report.addJudgeMetrics(from: url.appendingPathComponent("judges"))
        return report
    }
}
