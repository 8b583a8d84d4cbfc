import ArgumentParser
import Foundation
import LucidEval

/// `lucid report RUN_DIR`: metric tables and a self-contained HTML page for a finished run.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write report.md, report.csv, report.json and report.html for a run directory.",
        discussion: """
        Caption runs are scored with CHAIR (needs --objects), POPE runs with the chosen answer parser, prompt \
        runs with ASR-keyword. Rows are (model, method) with means ± standard deviations over seeds, tokens/s \
        and forward passes per token. The HTML page marks hallucinated objects in the outputs and plots the \
        metrics and, for captions, the hallucination rate by sentence position. Merge sharded runs first.
        """
    )

    @Argument(help: "The run directory.") var directory: String
    @Option(help: "CHAIR ground truth (object-list JSON) for caption runs.") var objects: String?
    @Flag(help: "CHAIR: repair the synonym-list quirks.") var fixed = false
    @Option(help: "CHAIR: a synonyms file for another world (default: the dataset's vocabulary.txt when it has one, as a ShapesWorld export; else COCO's).")
    var synonyms: String?
    @Option(help: "ASR-keyword refusal list for prompt runs.") var list: String = "scav"
    @Option(help: "POPE answer parser: pope, opera or vcd.") var parser: String = "pope"
    @Option(help: "Output directory (default: RUN_DIR/report).") var out: String?
    @Option(help: "Directory of the NLTK models (default: $LUCID_NLTK_DATA, ./Data/nltk, or next to the lucid binary).") var nltkData: String?
    @Option(help: "Samples per (model, method) on the HTML page.") var samples: Int = 20

    func validate() throws {
        guard POPEAnswerParser(rawValue: parser) != nil else { throw ValidationError("--parser must be pope, opera or vcd") }
        guard samples >= 0 else { throw ValidationError("--samples must be ≥ 0") }
    }

    func run() throws {
        var options = RunReportOptions(nltkDirectory: NLTKData.directory(nltkData))
        options.objects = objects.map { URL(fileURLWithPath: $0) }
        options.chairVariant = fixed ? .fixed : .opera
        options.synonyms = synonyms.map { URL(fileURLWithPath: $0) }
        options.asrList = list
        options.popeParser = POPEAnswerParser(rawValue: parser) ?? .pope
        options.samplesPerRow = samples
        let report: RunReport
        do { report = try RunReport.build(directory: URL(fileURLWithPath: directory), options: options) } catch { throw CLIError("\(error)") }
        let target = URL(fileURLWithPath: out ?? (directory as NSString).appendingPathComponent("report"))
        let written = try ReportWriters.write(report, to: target)
        print(ReportWriters.markdown(report))
        print("wrote " + written.map(\.path).joined(separator: ", "))
    }
}
