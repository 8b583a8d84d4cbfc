/// One POPE question: a line `{"question_id", "image", "text", "label"}` of POPE's files.
public struct POPEItem: Codable, Sendable, Equatable, Hashable {
    /// 1-based, counting in each file.
    public var questionID: Int
    /// The image file name, `"<image_id>.png"`.
    public var image: String
    /// `Is there a/an <object> in the image?`.
    public var text: String
    /// `"yes"` or `"no"`.
    public var label: String
    /// The category asked about (not written to POPE files).
    public var category: ShapeCategory

    /// A question.
    public init(questionID: Int, image: String, text: String, label: String, category: ShapeCategory) {
        self.questionID = questionID
        self.image = image
        self.text = text
        self.label = label
        self.category = category
    }
}

/// Builds POPE question sets over ShapesWorld scenes with POPE's three negative-sampling
/// strategies (Li et al. 2023), reimplemented simply and seeded with ``WorldRandom``.
///
/// Per image (in scene order): for each of its first `positivesPerImage` categories (the order of
/// `objects.json`), a "yes" question, then a "no" question on a category that is neither in the
/// image nor already asked about for it, chosen from the categories present anywhere in the
/// scenes —
/// - random: uniformly;
/// - popular: the one in the most images (ties: first seen);
/// - adversarial: the one co-occurring most often with the positive (ties: first seen; falls back
///   to random when it co-occurs with nothing admissible).
/// A positive whose negative cannot be found is dropped too, so every file has exactly as many
/// "yes" as "no". Question ids count from 1 in each file. Unlike POPE, images with fewer
/// objects than `positivesPerImage` are kept (with fewer questions), because ShapesWorld scenes
/// hold 1–6 objects.
public struct POPESampler: Sendable, Equatable, Hashable {
    /// Negative-sampling strategy.
    public enum Strategy: String, Codable, Sendable, CaseIterable {
        case random, popular, adversarial
    }

    /// Positive ("yes") questions per image, at most (3 in POPE).
    public var positivesPerImage: Int
    /// Seed of the random strategy.
    public var seed: UInt64

    /// A sampler with `positivesPerImage` positives per image, seeded with `seed`.
    public init(positivesPerImage: Int = 3, seed: UInt64 = 0) {
        self.positivesPerImage = positivesPerImage
        self.seed = seed
    }

    /// The POPE question text: `Is there a/an <object> in the image?`.
    public static func question(for category: ShapeCategory) -> String {
        "Is there \(EnglishText.withArticle(category.name)) in the image?"
    }

    /// The questions of `strategy` over `scenes`.
    public func build(_ scenes: [Scene], strategy: Strategy) -> [POPEItem] {
        let statistics = Statistics(scenes)
        let strategyIndex = UInt64(Strategy.allCases.firstIndex(of: strategy) ?? 0)
        var random = WorldRandom(seed: WorldRandom.derivedSeed(seed, stream: 3, index: strategyIndex))
        var items: [POPEItem] = []
        for scene in scenes {
            let objects = scene.categories
            var asked = Set(objects.prefix(positivesPerImage))
            for positive in objects.prefix(positivesPerImage) {
                let admissible = statistics.seen.filter { !scene.contains($0) && !asked.contains($0) }
                guard !admissible.isEmpty else { continue }
                var negative: ShapeCategory?
                switch strategy {
                case .random: negative = nil
                case .popular: negative = statistics.byFrequency.first(where: admissible.contains)
                case .adversarial: negative = statistics.partners(of: positive).first(where: admissible.contains)
                }
                guard let chosen = negative ?? random.element(of: admissible) else { continue }
                asked.insert(chosen)
                for (category, label) in [(positive, "yes"), (chosen, "no")] {
                    items.append(POPEItem(questionID: items.count + 1, image: scene.fileName,
                                          text: Self.question(for: category), label: label, category: category))
                }
            }
        }
        return items
    }

    /// Category frequencies and co-occurrences over a set of scenes (each image counted once).
    struct Statistics {
        /// Categories in order of first appearance.
        var seen: [ShapeCategory] = []
        /// `seen` sorted by the number of images containing them (stable, descending).
        var byFrequency: [ShapeCategory] = []
        private var pairCounts: [ShapeCategory: [ShapeCategory: Int]] = [:]

        init(_ scenes: [Scene]) {
            var counts: [ShapeCategory: Int] = [:]
            for scene in scenes {
                let categories = scene.categories
                for category in categories {
                    if counts[category] == nil { seen.append(category) }
                    counts[category, default: 0] += 1
                    for other in categories where other != category {
                        pairCounts[category, default: [:]][other, default: 0] += 1
                    }
                }
            }
            byFrequency = Self.descending(seen) { counts[$0] ?? 0 }
        }

        /// Categories that co-occur with `category`, most often first (ties in first-seen order).
        func partners(of category: ShapeCategory) -> [ShapeCategory] {
            let counts = pairCounts[category] ?? [:]
            return Self.descending(seen.filter { counts[$0] != nil }) { counts[$0] ?? 0 }
        }

        static func descending(_ items: [ShapeCategory], by count: (ShapeCategory) -> Int) -> [ShapeCategory] {
            items.enumerated().sorted { a, b in
                let (ca, cb) = (count(a.element), count(b.element))
                return ca != cb ? ca > cb : a.offset < b.offset
            }.map(\.element)
        }
    }
}
