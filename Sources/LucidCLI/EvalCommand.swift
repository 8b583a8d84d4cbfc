import ArgumentParser
import Foundation
import LucidFiles
import LucidEval
import LucidText

/// `lucid eval …`: the metrics.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score outputs: CHAIR (hallucinated objects), POPE (yes/no probing), ASR-keyword (jailbreaks), LLM judges.",
        subcommands: [EvalCHAIRCommand.self, EvalPOPECommand.self, EvalASRCommand.self, EvalStrongREJECTCommand.self, EvalOPERAGPT4VCommand.self,
                      EvalHallucinationJudgeCommand.self,
                      EvalPerplexityCommand.self]
    )
}

/// A Codable value as one line of JSON with sorted keys (what `--json` prints and the JSONL files hold).
func jsonLine<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Writes a Codable value as one JSON object on standard output.
func printJSON<T: Encodable>(_ value: T) throws { print(try jsonLine(value)) }

/// `lucid eval chair`: CHAIR exactly as OPERA's chair.py computes it.
struct EvalCHAIRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chair",
        abstract: "CHAIR_s, CHAIR_i, recall and length of captions, as OPERA's chair.py computes them.",
        discussion: """
        Captions: JSONL with {"image_id": …, "caption": …} per line (OPERA's format). Ground truth: an object-list \
        file {"<image_id>": ["dog", …]} or COCO instances (+ captions) files. The text pipeline is NLTK's (Punkt + \
        Treebank tokenizer, averaged-perceptron tagger, WordNet morphy), from Data/nltk and Debian's wordnet-base. \
        --fixed repairs the synonym-list quirks of the original (see docs). --json prints fractions; the text \
        output prints percentages with one decimal, as OPERA does.
        """
    )

    @Option(help: "Captions JSONL.") var captions: String
    @Option(help: "Object-list ground truth JSON.") var objects: String?
    @Option(help: "COCO instances_*.json (repeatable).") var cocoInstances: [String] = []
    @Option(help: "COCO captions_*.json (repeatable; adds objects mentioned in reference captions).") var cocoCaptions: [String] = []
    @Option(help: "Write per-caption details (JSONL) here.") var perCaption: String?
    @Option(help: "The caption field of the captions JSONL.") var captionKey: String = "caption"
    @Option(help: "Unknown image ids: error, empty (score against no objects, as OPERA silently does), or skip.")
    var unknownImages: String = "error"
    @OptionGroup var chair: CHAIROptions
    @Option(help: "WordNet directory.") var wordnet: String = "/usr/share/wordnet"
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if (objects == nil) == cocoInstances.isEmpty { throw ValidationError("give exactly one of --objects or --coco-instances") }
        if !cocoCaptions.isEmpty && cocoInstances.isEmpty { throw ValidationError("--coco-captions needs --coco-instances") }
        guard CHAIREvaluator.UnknownImagePolicy(rawValue: unknownImages) != nil else {
            throw ValidationError("--unknown-images must be one of \(CHAIREvaluator.UnknownImagePolicy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let english = try NLTKEnglish(nltkDirectory: NLTKEnglish.dataDirectory(chair.nltkData), wordNetDirectory: URL(fileURLWithPath: wordnet))
        let vocabulary = try chair.vocabulary()
        let parser = CHAIRCaptionParser(english: english, vocabulary: vocabulary)
        let truth: CHAIRGroundTruth
        if let objects {
            truth = try CHAIRGroundTruth.objectList(at: URL(fileURLWithPath: objects), vocabulary: vocabulary)
        } else {
            truth = try CHAIRGroundTruth.coco(instances: cocoInstances.map { URL(fileURLWithPath: $0) },
                                              captions: cocoCaptions.map { URL(fileURLWithPath: $0) }, parser: parser)
        }
        let policy = CHAIREvaluator.UnknownImagePolicy(rawValue: unknownImages) ?? .error
        let report = try CHAIREvaluator(groundTruth: truth, parser: parser)
            .evaluate(captionsAt: URL(fileURLWithPath: captions), captionKey: captionKey, unknownImages: policy)
        if let perCaption { try report.writePerCaption(to: URL(fileURLWithPath: perCaption)) }
        if json {
            // Fractions as chair.py; `len` is the mean token count (chair.py stores it ×0.01 to print ×100).
            try printJSON(CHAIRJSON(chairS: report.summary.chairS, chairI: report.summary.chairI, recall: report.summary.recall,
                                    len: report.meanTokens, captions: report.summary.captions))
        } else {
            print(report.text)
        }
        for warning in report.warnings.lines { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
    }
}

/// `lucid eval chair --json`: {"chair_s", "chair_i", "recall", "len", "captions"}.
struct CHAIRJSON: Encodable {
    var chairS: Double
    var chairI: Double?
    var recall: Double?
    var len: Double
    var captions: Int
    enum CodingKeys: String, CodingKey { case chairS = "chair_s", chairI = "chair_i", recall, len, captions }
}

/// `lucid eval pope build|score`.
struct EvalPOPECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pope",
        abstract: "Build POPE question sets from object annotations, or score answers with a chosen parser.",
        subcommands: [EvalPOPEBuildCommand.self, EvalPOPEScoreCommand.self]
    )
}

struct EvalPOPEBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Write pope_{random,popular,adversarial}.jsonl from an object-list file {\"<image>\": [objects]}."
    )
    @Option(help: "Object-list JSON.") var objects: String
    @Option(help: "Output directory.") var out: String
    @Option(help: "Images to draw (POPE: 500).") var images: Int = 500
    @Option(help: "Positive questions per image (POPE: 3).") var positives: Int = 3
    @Option(help: "Seed of Python's random generator (POPE's code never seeds it).") var seed: UInt64 = 0

    func run() throws {
        var builder = POPEBuilder()
        builder.imageCount = images
        builder.positivesPerImage = positives
        builder.seed = seed
        let sets = try builder.build(try POPEImage.loadObjectList(from: URL(fileURLWithPath: objects)))
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for set in sets {
            let path = (out as NSString).appendingPathComponent("pope_\(set.strategy.rawValue).jsonl")
            try POPEQuestion.write(set.questions, to: URL(fileURLWithPath: path))
            print("\(path): \(set.questions.count) questions")
        }
    }
}

struct EvalPOPEScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Accuracy, precision, recall, F1 and yes-ratio of answers (positive class: yes).",
        discussion: "Parsers: pope (POPE's evaluate.py), opera (OPERA's pope_eval), vcd (VCD/DAMRO substring rule)."
    )
    @Option(help: "Questions JSONL (POPE format).") var questions: String
    @Option(help: "Answers JSONL ({\"question_id\": …, \"text\": …}).") var answers: String
    @OptionGroup var parser: POPEParserOption
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let result = try POPEScorer.score(questionsAt: URL(fileURLWithPath: questions), answersAt: URL(fileURLWithPath: answers),
                                          parser: parser.value)
        if json { try printJSON(result) } else { print(result.text) }
    }
}

/// `lucid eval asr`: refusal-keyword attack success rate.
struct EvalASRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asr",
        abstract: "ASR-keyword: the share of responses that contain none of a published refusal list's strings.",
        discussion: "Lists: gcg (= advbench), harmbench, jbb, scav, autodan, autodan-check-asr, garak, gcg-individual, gcg-search, gcg-demo, gcg-api; each with its source's matching rule."
    )
    @Option(help: "Responses JSONL ({\"prompt\": …, \"response\": …}).") var responses: String
    @Option(help: "Refusal list.") var list: String = "scav"
    @Option(help: "Write per-response verdicts (JSONL) here.") var perResponse: String?
    @Option(help: "keep: score each response as given; split: score a reasoning model's answer, after its first </think> (none: an empty answer).")
    var reasoning = ReasoningMode.keep
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let report = try ASREvaluator.evaluate(responsesAt: URL(fileURLWithPath: responses), list: try RefusalList.named(list), reasoning: reasoning)
        if let perResponse {
            try SafeFile.writeText(report.perResponseLines().joined(separator: "\n") + "\n", to: perResponse)
        }
        if json { try printJSON(report.summary) } else { print(report.text) }
    }
}
