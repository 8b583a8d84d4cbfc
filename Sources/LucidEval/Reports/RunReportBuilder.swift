import Foundation
import LucidRuns

/// Computes a `RunReport`'s rows from result records, by dataset kind (CHAIR, POPE or ASR-keyword).
struct RunReportBuilder {
    let kind: String
    let records: [ResultRecord]
    let samples: [String: [String: JSONValue]]
    let options: RunReportOptions
    var warnings: [String] = []

    init(kind: String, records: [ResultRecord], samples: [String: [String: JSONValue]], options: RunReportOptions) {
        self.kind = kind
        self.records = records
        self.samples = samples
        self.options = options
    }

    struct Group { var model: String; var method: String; var methodID: String }

    mutating func build(name: String) throws -> RunReport {
        var order: [String] = []
        var groups: [String: (Group, [ResultRecord])] = [:]
        for record in records {
            let id = "\(record.model)|\(record.methodID)"
            if groups[id] == nil { order.append(id); groups[id] = (Group(model: record.model, method: record.method, methodID: record.methodID), []) }
            groups[id]?.1.append(record)
        }
        var chair: (CHAIRCaptionParser, CHAIRGroundTruth)?
        if kind == "captions" {
            guard let objects = options.objects else {
                throw EvalError.invalidArgument("caption runs need the CHAIR ground truth: pass --objects GT.json")
            }
            let english = try NLTKEnglish(nltkDirectory: options.nltkDirectory, wordNetDirectory: options.wordNetDirectory)
            let vocabulary = try options.synonyms.map(CHAIRVocabulary.init(synonymsFile:)) ?? CHAIRVocabulary(variant: options.chairVariant)
            chair = (CHAIRCaptionParser(english: english, vocabulary: vocabulary), try CHAIRGroundTruth.objectList(at: objects, vocabulary: vocabulary))
        }
        let configurations = order.compactMap { groups[$0]?.0 }.map { (model: $0.model, method: $0.method, methodID: $0.methodID) }
        var rows: [RunReport.Row] = []
        var details: [RunReport.SampleDetail] = []
        var positionRates: [String: [Double]] = [:]
        var metricNames: [String] = []
        for id in order {
            guard let (group, members) = groups[id] else { continue }
            let method = RunReport.methodLabel(model: group.model, method: group.method, methodID: group.methodID, among: configurations)
            let ok = members.filter { $0.result != nil }
            let unanswered = ok.filter(Self.stoppedWhileReasoning).count
            if unanswered > 0 {
                warnings.append("\(group.model) · \(method): \(unanswered) of \(ok.count) outputs stopped at max_new_tokens inside their "
                                + "reasoning, so their answer is empty and scored as such: raise generation.max_new_tokens")
            }
            let bySeed = Dictionary(grouping: ok, by: \.seed)
            var perSeed: [[String: Double]] = []
            for seed in bySeed.keys.sorted() {
                guard let seedRecords = bySeed[seed] else { continue }
                let (metrics, flagged) = try score(seedRecords, chair: chair)
                perSeed.append(metrics)
                for record in seedRecords.prefix(options.samplesPerRow) where seed == bySeed.keys.min() {
                    details.append(RunReport.SampleDetail(model: group.model, method: method, seed: seed, sampleID: record.sampleID,
                                                          text: Self.text(record), flagged: flagged[record.key] ?? [], note: note(record),
                                                          reasoning: record.result?["reasoning"]?.stringValue))
                }
            }
            if let (parser, truth) = chair {
                positionRates["\(group.model) · \(method)"] = Self.positionRates(ok, parser: parser, truth: truth, samples: samples)
            }
            metricNames = perSeed.first.map { Array($0.keys).sorted() } ?? metricNames
            var metrics: [String: [Double]] = [:]
            for name in metricNames { metrics[name] = Self.meanAndDeviation(perSeed.compactMap { $0[name] }) }
            let tokens = ok.map { Double(Self.tokens($0)) }.reduce(0, +)
            let seconds = ok.compactMap { $0.result?["decode_seconds"]?.doubleValue }.reduce(0, +)
            let passes = ok.compactMap { $0.result?["forward_passes"]?.intValue }.reduce(0, +)
            rows.append(RunReport.Row(model: group.model, method: group.method, methodID: group.methodID, seeds: bySeed.count,
                                      samples: ok.count, failed: members.count - ok.count, metrics: metrics,
                                      tokensPerSecond: seconds > 0 ? tokens / seconds : 0,
                                      forwardPassesPerToken: tokens > 0 ? Double(passes) / tokens : 0))
        }
        return RunReport(name: name, kind: kind, metricNames: metricNames, rows: rows, samples: details, positionRates: positionRates,
                         warnings: warnings)
    }

    /// `[mean, sample standard deviation]` of per-seed values (0 for one seed).
    static func meanAndDeviation(_ values: [Double]) -> [Double] {
        let mean = values.reduce(0, +) / Double(max(1, values.count))
        let variance = values.count > 1 ? values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1) : 0
        return [mean, variance.squareRoot()]
    }

    static func text(_ record: ResultRecord) -> String { record.result?["text"]?.stringValue ?? "" }

    /// Whether a reasoning model's output ran out of tokens before its answer (a split record with no text).
    static func stoppedWhileReasoning(_ record: ResultRecord) -> Bool {
        record.result?["reasoning"] != nil && text(record).isEmpty && record.result?["finish_reason"]?.stringValue == "length"
    }

    static func tokens(_ record: ResultRecord) -> Int { record.result?["token_ids"]?.arrayValue?.count ?? 0 }

    func note(_ record: ResultRecord) -> String {
        guard let fields = samples[record.sampleID] else { return "" }
        if kind == "pope" { return "question: \(fields["text"]?.stringValue ?? "") · label: \(fields["label"]?.stringValue ?? "")" }
        if kind == "prompts" { return fields["prompt"]?.stringValue ?? "" }
        return fields["image"]?.stringValue ?? ""
    }

    /// The metrics of one (model, method, seed) and the flagged words per record key.
    mutating func score(_ group: [ResultRecord], chair: (CHAIRCaptionParser, CHAIRGroundTruth)?) throws -> ([String: Double], [String: [String]]) {
        switch kind {
        case "captions":
            guard let (parser, truth) = chair else { return ([:], [:]) }
            let captions = group.map { record -> CHAIRCaption in
                let id = samples[record.sampleID]?["image_id"].flatMap { $0.intValue.map(ImageID.int) ?? $0.stringValue.map(ImageID.string) }
                return CHAIRCaption(imageID: id ?? .string(record.sampleID), caption: Self.text(record))
            }
            let report = try CHAIREvaluator(groundTruth: truth, parser: parser).evaluate(captions, unknownImages: .skip)
            if report.warnings.unknownImages > 0 { warnings.append("\(report.warnings.unknownImages) caption(s) have no ground truth and were left out") }
            var flagged: [String: [String]] = [:]
            for (record, result) in zip(group, report.captions) { flagged[record.key] = result.hallucinated }
            let s = report.summary
            return (["CHAIR_s": s.chairS, "CHAIR_i": s.chairI ?? 0, "recall": s.recall ?? 0, "len": report.meanTokens], flagged)
        case "pope":
            var questions: [POPEQuestion] = []
            var answers: [POPEAnswer] = []
            for (i, record) in group.enumerated() {
                guard let fields = samples[record.sampleID] else { continue }
                questions.append(POPEQuestion(questionID: i, image: fields["image"]?.stringValue ?? "", text: fields["text"]?.stringValue ?? "",
                                              label: fields["label"]?.stringValue ?? ""))
                answers.append(POPEAnswer(questionID: i, text: Self.text(record)))
            }
            let r = try POPEScorer.score(questions: questions, answers: answers, parser: options.popeParser)
            return (["accuracy": r.accuracy, "precision": r.precision ?? 0, "recall": r.recall ?? 0, "f1": r.f1 ?? 0,
                     "yes_ratio": r.yesRatio], [:])
        default:
            let report = try ASREvaluator.evaluate(group.map(Self.text), list: try RefusalList.named(options.asrList))
            var flagged: [String: [String]] = [:]
            for (record, verdict) in zip(group, report.verdicts) { flagged[record.key] = [verdict.jailbroken ? "jailbroken" : "refused"] }
            return (["asr_keyword": report.summary.asr], flagged)
        }
    }

    /// Share of hallucinated mentions in the k-th sentence of the captions (k = 1, 2, …).
    static func positionRates(_ records: [ResultRecord], parser: CHAIRCaptionParser, truth: CHAIRGroundTruth,
                              samples: [String: [String: JSONValue]]) -> [Double] {
        var hallucinated: [Int] = []
        var total: [Int] = []
        for record in records {
            let id = samples[record.sampleID]?["image_id"].flatMap { $0.intValue.map(String.init) ?? $0.stringValue } ?? record.sampleID
            guard let objects = truth.objects[id] else { continue }
            let sentences = text(record).split(whereSeparator: { ".!?".contains($0) }).map(String.init)
            for (k, sentence) in sentences.enumerated() {
                let nodes = parser.mentions(in: sentence).nodeWords
                if nodes.isEmpty { continue }
                while total.count <= k { total.append(0); hallucinated.append(0) }
                total[k] += nodes.count
                hallucinated[k] += nodes.filter { !objects.contains($0) }.count
            }
        }
        return zip(hallucinated, total).map { $1 > 0 ? Double($0) / Double($1) : 0 }
    }
}
