import Foundation

/// Builds POPE question sets (random, popular, adversarial) as POPE's `main.py` and `utils.py` do.
///
/// Procedure (RUCAIBox/POPE @3df3ba1): keep images with at least `positivesPerImage` objects (in
/// input order); draw `imageCount` of them with Python's `random.sample`; count, over the drawn
/// images, how often each object occurs (`generate_ground_truth_objects`, repeats counted) and
/// how often each pair co-occurs (`compute_co_occurrence`). Then per strategy, per image, for
/// `i` in 0..<positivesPerImage: a "yes" question on `objects[i]`, then one "no" question on a
/// negative never in the image and not yet asked for it —
/// - random: `random.choice` over all drawn objects (first-seen order) until admissible;
/// - popular: the most frequent admissible object (stable sort, ties in first-seen order);
/// - adversarial: the admissible object co-occurring most often with the positive (same ties);
/// popular and adversarial fall back to random when nothing qualifies. One generator seeded once
/// serves all strategies in the order given, as in `main.py`, so with the same seed and input
/// order the output equals POPE's (`random.seed(seed)` before `main()`).
///
/// Complexity: O(N·Q) for N object mentions over the drawn images and Q ≤ `imageCount` ×
/// `positivesPerImage` distinct positive objects: linear in the input for fixed parameters
/// (`POPEBuilderScalingTests`). Co-occurrences are counted
/// only for objects that are some image's positive (the only ones the adversarial strategy asks
/// about), with per-image multiplicities (`m_a·m_b` per image, what POPE's nested loops over
/// repeated objects count), so one image with a long object list costs O(k·Q), not O(k²); an
/// image's objects are looked up in a set.
///
/// Differences from POPE's code: where POPE would loop forever (no admissible negative exists)
/// or assert (too few images), this throws `EvalError.samplingImpossible`. POPE's article code
/// `template.replace("a", "an")` also turns "image" into "imange"; `.popeCode` reproduces that,
/// `.fixed` (the default, as in POPE's current released files) only changes the article before
/// the placeholder.
public struct POPEBuilder: Sendable {
    /// Negative-sampling strategy.
    public enum Strategy: String, Codable, Sendable, CaseIterable {
        case random, popular, adversarial
    }

    /// How the article before a vowel-initial object is written.
    public enum ArticleRule: String, Codable, Sendable, CaseIterable {
        /// `a {}` → `an {}` only (POPE's released question files).
        case fixed
        /// POPE's code: every `a` of the template becomes `an` (`… in the imange?`).
        case popeCode
    }

    /// A built question set.
    public struct QuestionSet: Sendable, Equatable {
        public var strategy: Strategy
        public var questions: [POPEQuestion]
    }

    /// Images drawn (`img_num`, 500 in POPE).
    public var imageCount = 500
    /// Positive (and negative) questions per image (`sample_num`, 3 in POPE).
    public var positivesPerImage = 3
    /// Question template with one `{}` placeholder.
    public var template = "Is there a {} in the image?"
    public var articleRule = ArticleRule.fixed
    /// Seed of Python's `random` (`random.seed(seed)`).
    public var seed: UInt64 = 0
    /// When set, every object of every image must belong to it (e.g. `cocoCategories`).
    public var vocabulary: Set<String>?

    /// The 80 COCO category names.
    public static var cocoCategories: Set<String> { Set(CHAIRVocabulary().categories) }

    public init() {}

    /// Reads a category vocabulary: a JSON array of names, or plain text with one name per line
    /// (blank lines ignored).
    public static func loadVocabulary(from url: URL) throws(EvalError) -> Set<String> {
        let bytes = try JSONLines.readBytes(url)
        guard let text = String(bytes: bytes, encoding: .utf8) else { throw .unreadable(path: url.path, reason: "not UTF-8") }
        let names: [String]
        if PythonString.strip(text).hasPrefix("[") {
            guard let items = (try? OrderedJSON.parse(bytes))?.arrayValue else {
                throw .malformedJSON(path: url.path, line: nil, reason: "expected a JSON array of category names")
            }
            names = items.compactMap(\.stringValue)
            guard names.count == items.count else {
                throw .invalidField(path: url.path, line: nil, field: "(document)", reason: "holds a value that is not a category name")
            }
        } else {
            names = PythonString.textLines(text).map(PythonString.strip).filter { !$0.isEmpty }
        }
        guard !names.isEmpty else { throw .emptyInput(path: url.path) }
        return Set(names)
    }

    /// Builds the question sets for `strategies`, in that order, from one seeded generator.
    public func build(_ images: [POPEImage], strategies: [Strategy] = Strategy.allCases) throws(EvalError) -> [QuestionSet] {
        guard positivesPerImage > 0, imageCount > 0 else {
            throw .invalidArgument("imageCount and positivesPerImage must be positive")
        }
        guard template.components(separatedBy: "{}").count == 2 else {
            throw .invalidArgument("the template must contain exactly one {} placeholder: \(template)")
        }
        if let vocabulary {
            for image in images {
                for object in image.objects where !vocabulary.contains(object) {
                    throw .unknownObject(name: object, source: "image \(image.image)")
                }
            }
        }
        let eligible = images.filter { $0.objects.count >= positivesPerImage }
        var random = PythonRandom(seed: seed)
        guard let sampled = random.sample(eligible, imageCount) else {
            throw .samplingImpossible("only \(eligible.count) images have at least \(positivesPerImage) objects; \(imageCount) were asked for")
        }
        let statistics = Statistics(sampled, positivesPerImage: positivesPerImage)
        var sets: [QuestionSet] = []
        for strategy in strategies {
            sets.append(QuestionSet(strategy: strategy, questions: try questions(sampled, strategy, statistics, &random)))
        }
        return sets
    }

    /// Object frequencies and co-occurrences over the drawn images, in first-seen order.
    struct Statistics {
        var objects: [String] = []
        var byFrequency: [String] = []
        /// Partners of each positive object, most frequent first (POPE's `compute_co_occurrence`, sorted).
        var coOccurring: [String: [String]] = [:]
        /// Pair-count updates made: the work of the co-occurrence count (for scaling tests).
        var pairUpdates = 0

        init(_ images: [POPEImage], positivesPerImage: Int) {
            var counts: [String: Int] = [:]
            let positives = Set(images.flatMap { $0.objects.prefix(positivesPerImage) })
            var pairCounts: [String: [String: Int]] = [:]
            var partnerOrder: [String: [String]] = [:]
            for image in images {
                // Distinct objects in first-seen order, with multiplicities.
                var multiplicity: [String: Int] = [:]
                var distinct: [String] = []
                for object in image.objects {
                    if counts[object] == nil { objects.append(object) }
                    counts[object, default: 0] += 1
                    if multiplicity[object] == nil { distinct.append(object) }
                    multiplicity[object, default: 0] += 1
                }
                for object in distinct where positives.contains(object) {
                    let m = multiplicity[object] ?? 0
                    if pairCounts[object] == nil { pairCounts[object] = [:]; partnerOrder[object] = [] }
                    for other in distinct where other != object {
                        if pairCounts[object]?[other] == nil { partnerOrder[object]?.append(other) }
                        pairCounts[object]?[other, default: 0] += m * (multiplicity[other] ?? 0)
                        pairUpdates += 1
                    }
                }
            }
            byFrequency = Self.stableDescending(objects) { counts[$0] ?? 0 }
            for (object, partners) in partnerOrder {
                coOccurring[object] = Self.stableDescending(partners) { pairCounts[object]?[$0] ?? 0 }
            }
        }

        /// Python's `sorted(…, key=count, reverse=True)`: stable, equal counts keep their order.
        static func stableDescending(_ items: [String], count: (String) -> Int) -> [String] {
            items.enumerated().sorted { a, b in
                let (ca, cb) = (count(a.element), count(b.element))
                return ca != cb ? ca > cb : a.offset < b.offset
            }.map(\.element)
        }
    }

    private func questions(_ images: [POPEImage], _ strategy: Strategy, _ statistics: Statistics,
                           _ random: inout PythonRandom) throws(EvalError) -> [POPEQuestion] {
        var questions: [POPEQuestion] = []
        var nextID = 1
        func ask(_ image: POPEImage, _ object: String, _ label: String) {
            questions.append(POPEQuestion(questionID: nextID, image: image.image, text: question(for: object), label: label))
            nextID += 1
        }
        for image in images {
            var history: Set<String> = []
            let present = Set(image.objects)
            func admissible(_ object: String) -> Bool { !history.contains(object) && !present.contains(object) }
            for i in 0..<positivesPerImage {
                let positive = image.objects[i]
                history.insert(positive)
                ask(image, positive, "yes")
                var negative: String?
                switch strategy {
                case .random: negative = nil
                case .popular: negative = statistics.byFrequency.first(where: admissible)
                case .adversarial: negative = statistics.coOccurring[positive]?.first(where: admissible)
                }
                if negative == nil {
                    guard statistics.objects.contains(where: admissible) else {
                        throw .samplingImpossible("no admissible negative object for \(image.image) (question \(nextID)): every drawn object is in the image or already asked")
                    }
                    var choice = random.choice(statistics.objects)
                    while let candidate = choice, !admissible(candidate) { choice = random.choice(statistics.objects) }
                    negative = choice
                }
                if let negative {
                    history.insert(negative)
                    ask(image, negative, "no")
                }
            }
        }
        return questions
    }

    /// The question text for `object` (POPE's `create_question`).
    public func question(for object: String) -> String {
        let vowelInitial = ["a", "e", "i", "o", "u"].contains(PythonString.first(object))
        var text = template
        if vowelInitial {
            switch articleRule {
            case .popeCode: text = PythonString.replace(text, "a", "an")
            case .fixed: text = PythonString.replace(text, "a {}", "an {}")
            }
        }
        return PythonString.replace(text, "{}", object)
    }
}
