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
    @OptionGroup var chair: CHAIROptions
    @Option(help: "ASR-keyword refusal list for prompt runs.") var list: String = "scav"
    @OptionGroup var parser: POPEParserOption
    @Option(help: "Output directory (default: RUN_DIR/report).") var out: String?
    @Option(help: "Samples per (model, method) on the HTML page.") var samples: Int = 20

    func validate() throws {
        guard samples >= 0 else { throw ValidationError("--samples must be ≥ 0") }
    }

    func run() throws {
        var options = RunReportOptions(nltkDirectory: NLTKEnglish.dataDirectory(chair.nltkData))
        options.objects = objects.map { URL(fileURLWithPath: $0) }
        options.chairVariant = chair.variant
        options.synonyms = chair.synonymsFile
        options.asrList = list
        options.popeParser = parser.value
        options.samplesPerRow = samples
        let report: RunReport
        do { report = try RunReport.build(directory: URL(fileURLWithPath: directory), options: options) } catch { throw CLIError("\(error)") }
        let target = URL(fileURLWithPath: out ?? (directory as NSString).appendingPathComponent("report"))
        let written = try ReportWriters.write(report, to: target)
        print(ReportWriters.markdown(report))
        print("wrote " + written.map(\.path).joined(separator: ", "))
    }
}
