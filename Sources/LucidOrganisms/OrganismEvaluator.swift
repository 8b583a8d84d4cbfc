import Foundation
import LucidEval
import LucidGeneration
import LucidModels
import LucidTensor
import LucidText
import LucidWorld

/// Evaluates an organism on held-out scenes: greedy descriptions (recall, CHAIR, partner share,
/// hallucination by sentence) and POPE's three splits.
public struct OrganismEvaluator {
    public let model: LlavaForConditionalGeneration
    public let writer: ConversationWriter
    public let maxDescriptionTokens: Int
    let vocabulary = ShapesWorldVocabulary()

    public init(model: LlavaForConditionalGeneration, writer: ConversationWriter, maxDescriptionTokens: Int) {
        self.model = model
        self.writer = writer
        self.maxDescriptionTokens = maxDescriptionTokens
    }

    /// The greedy answer to `question` about pixels [1, 3, S, S].
    public func answer(_ question: String, pixels: Tensor, maxNewTokens: Int) throws -> String {
        try answer(ids: try writer.prompt(question), pixels: pixels, maxNewTokens: maxNewTokens)
    }

    /// The greedy answer to a prompt already tokenised (with one image placeholder).
    func answer(ids: [Int], pixels: Tensor, maxNewTokens: Int) throws -> String {
        let embeddings = try withNoGrad { () throws -> Tensor in try model.embed(try model.segments(ids: ids, images: [pixels])) }
        let result = try GenerationDriver(model: model).generate(.embeddings(embeddings), strategy: .greedy,
                                                                 limits: GenerationLimits(maxNewTokens: maxNewTokens, eosTokenIDs: [writer.endOfTurn]))
        return try writer.tokenizer.decode(result.tokens, skipSpecialTokens: true).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Scores one description against its scene.
    public func score(_ description: String, scene: Scene) -> DescribedScene {
        let truth = scene.categories
        let mentioned = vocabulary.mentions(in: description)
        return DescribedScene(imageID: scene.id, description: description, groundTruth: truth.map(\.name),
                              mentioned: mentioned.map(\.name),
                              hallucinated: mentioned.filter { !truth.contains($0) }.map(\.name),
                              missed: truth.filter { !mentioned.contains($0) }.map(\.name))
    }

    /// Descriptions of every scene in `pool` (progress gets done, total).
    public func describe(_ pool: ScenePool, progress: ((Int, Int) -> Void)? = nil) throws -> [DescribedScene] {
        var results: [DescribedScene] = []
        let ids = try writer.prompt(ConversationWriter.describePrompt)
        for index in 0..<pool.count {
            let text = try answer(ids: ids, pixels: pool.pixels([index]), maxNewTokens: maxDescriptionTokens)
            results.append(score(text, scene: pool.scenes[index]))
            progress?(index + 1, pool.count)
        }
        return results
    }

    /// Greedy short answers (up to `maxNewTokens`) to each question about its scene, e.g. POPE's
    /// yes/no; answers are read from the text, so a word split over several tokens still counts.
    public func shortAnswers(_ questions: [(scene: Int, question: String)], pool: ScenePool, maxNewTokens: Int = 3,
                             progress: ((Int, Int) -> Void)? = nil) throws -> [String] {
        var answers: [String] = []
        for (index, item) in questions.enumerated() {
            answers.append(try answer(item.question, pixels: pool.pixels([item.scene]), maxNewTokens: maxNewTokens))
            progress?(index + 1, questions.count)
        }
        return answers
    }

    /// Full evaluation on `pool` (held-out scenes).
    public func evaluate(_ pool: ScenePool, log: @escaping (String) -> Void) throws -> (OrganismMetrics, [DescribedScene]) {
        let began = Date()
        let described = try describe(pool) { done, total in
            if done % 20 == 0 || done == total { log("describing \(done)/\(total)") }
        }
        let describing = Date().timeIntervalSince(began)
        let popeStart = Date()
        var accuracy: [String: Double] = [:]
        var f1: [String: Double] = [:]
        var yesRatio: [String: Double] = [:]
        var cache: [String: String] = [:]
        let sampler = POPESampler(positivesPerImage: 3, seed: pool.world.seed)
        let sceneIndex = Dictionary(uniqueKeysWithValues: pool.scenes.enumerated().map { ($0.element.fileName, $0.offset) })
        for strategy in POPESampler.Strategy.allCases {
            let items = sampler.build(pool.scenes, strategy: strategy)
            let missing = items.filter { cache[$0.image + "|" + $0.text] == nil }
            let unique = Array(Set(missing.map { $0.image + "|" + $0.text })).sorted()
            let questions = unique.compactMap { key -> (scene: Int, question: String)? in
                let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
                guard parts.count == 2, let scene = sceneIndex[parts[0]] else { return nil }
                return (scene, parts[1])
            }
            let answers = try shortAnswers(questions, pool: pool) { done, total in
                if done % 500 == 0 || done == total { log("POPE \(strategy.rawValue): \(done)/\(total) new questions") }
            }
            for (key, answer) in zip(unique, answers) { cache[key] = answer }
            var tp = 0, fp = 0, tn = 0, fn = 0, yes = 0
            for item in items {
                let said = (cache[item.image + "|" + item.text] ?? "").lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
                let saidYes = said.hasPrefix("yes")
                if saidYes { yes += 1 }
                switch (item.label == "yes", saidYes) {
                case (true, true): tp += 1
                case (true, false): fn += 1
                case (false, true): fp += 1
                case (false, false): tn += 1
                }
            }
            let total = Double(Swift.max(1, items.count))
            accuracy[strategy.rawValue] = Double(tp + tn) / total
            let precision = Double(tp) / Double(Swift.max(1, tp + fp))
            let recall = Double(tp) / Double(Swift.max(1, tp + fn))
            f1[strategy.rawValue] = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            yesRatio[strategy.rawValue] = Double(yes) / total
            log("POPE \(strategy.rawValue): accuracy \(String(format: "%.3f", accuracy[strategy.rawValue] ?? 0))")
        }
        let metrics = summarize(described, pool: pool, describing: describing, pope: Date().timeIntervalSince(popeStart),
                                accuracy: accuracy, f1: f1, yesRatio: yesRatio)
        return (metrics, described)
    }

    func summarize(_ described: [DescribedScene], pool: ScenePool, describing: Double, pope: Double,
                   accuracy: [String: Double], f1: [String: Double], yesRatio: [String: Double]) -> OrganismMetrics {
        var truthTotal = 0, truthFound = 0, mentions = 0, hallucinated = 0, withHallucination = 0
        var partnerHallucinated = 0, absentTotal = 0, absentPartners = 0
        var bySentence = Array(repeating: (mentions: 0, hallucinated: 0), count: 6)
        let bias = pool.world.bias
        for (index, result) in described.enumerated() {
            let scene = pool.scenes[index]
            let present = scene.categories
            truthTotal += result.groundTruth.count
            truthFound += result.groundTruth.count - result.missed.count
            mentions += result.mentioned.count
            hallucinated += result.hallucinated.count
            if !result.hallucinated.isEmpty { withHallucination += 1 }
            func isPartner(_ category: ShapeCategory) -> Bool { present.contains { bias.probability($0, category) != nil } }
            for name in result.hallucinated { if let c = ShapeCategory(name: name), isPartner(c) { partnerHallucinated += 1 } }
            for category in ShapeCategory.ordinary where !present.contains(category) {
                absentTotal += 1
                if isPartner(category) { absentPartners += 1 }
            }
            var seen: Set<ShapeCategory> = []
            for (position, sentence) in Self.sentences(result.description).enumerated() {
                let slot = Swift.min(position, 5)
                for category in vocabulary.mentions(in: sentence) where !seen.contains(category) {
                    seen.insert(category)
                    bySentence[slot].mentions += 1
                    if !present.contains(category) { bySentence[slot].hallucinated += 1 }
                }
            }
        }
        func ratio(_ a: Int, _ b: Int) -> Double { Double(a) / Double(Swift.max(1, b)) }
        return OrganismMetrics(
            evaluationSeed: pool.world.seed, scenes: described.count, recall: ratio(truthFound, truthTotal),
            chairI: ratio(hallucinated, mentions), chairS: ratio(withHallucination, described.count),
            mentionsPerDescription: ratio(mentions, described.count),
            partnerShareOfHallucinations: ratio(partnerHallucinated, hallucinated), partnerShareOfAbsent: ratio(absentPartners, absentTotal),
            hallucinationBySentence: bySentence.map { ratio($0.hallucinated, $0.mentions) },
            popeAccuracy: accuracy, popeF1: f1, popeYesRatio: yesRatio, secondsDescribing: describing, secondsPOPE: pope)
    }

    /// Sentences of a description, punctuation kept.
    static func sentences(_ text: String) -> [String] { PunctuationSentences.split(text) }
}
