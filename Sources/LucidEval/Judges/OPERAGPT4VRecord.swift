import LucidSupport

/// One judged comparison as `lucid eval opera-gpt4v --out` writes it (one JSON line, keys sorted).
///
/// `reply` is the judge's text (OPERA keeps it in `records.json`); `accuracy` and `detailedness` are
/// `[assistant 1, assistant 2]`, or null with `error` saying why the reply could not be read.
public struct OPERAGPT4VRecord: JudgeLogRecord, Equatable {
    public var id: String
    public var image: String
    public var imageSHA256: String
    public var question: String?
    /// The `JudgeAnswerCache` key of the request (prompt, image, judge model and settings).
    public var request: String
    public var reply: String
    public var accuracy: [Int]?
    public var detailedness: [Int]?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case id, image, imageSHA256 = "image_sha256", question, request, reply, accuracy, detailedness, error
    }

    /// The record of `item` judged with `request`, whose reply was `reply`.
    public init(item: OPERAGPT4VItem, image: JudgeImage, request: String, reply: String) {
        self.init(item: item, imageSHA256: image.sha256, request: request, reply: reply)
    }

    /// The record of `item`, whose image's SHA-256 is `imageSHA256`, judged with `request`.
    public init(item: OPERAGPT4VItem, imageSHA256: String, request: String, reply: String) {
        id = item.id
        self.image = item.image
        self.imageSHA256 = imageSHA256
        question = item.question
        self.request = request
        self.reply = reply
        do {
            let scores = try OPERAGPT4VScores.parse(reply)
            accuracy = scores.accuracy
            detailedness = scores.detailedness
        } catch {
            if case .unparsableVerdict(let reason, _) = error { self.error = "judge answer \(reason)" } else { self.error = error.description }
        }
    }

    /// The scores, when the reply was read.
    public var scores: OPERAGPT4VScores? {
        guard let accuracy, let detailedness, accuracy.count == 2, detailedness.count == 2 else { return nil }
        return OPERAGPT4VScores(accuracy1: accuracy[0], accuracy2: accuracy[1], detailedness1: detailedness[0], detailedness2: detailedness[1])
    }
}

/// The totals of an OPERA GPT-4V evaluation: per method, the mean accuracy and detailedness over the
/// comparisons whose reply was read.
///
/// `gpt4v_eval.py` skips an unreadable reply and divides by the number it read; its final `print`
/// shows the sums, not the means it computed and discarded (a bug: `avg_score` is overwritten four
/// times and never printed). Lucid prints the means; with nothing read they are null, never 0.
public struct OPERAGPT4VSummary: Sendable, Equatable {
    public let methods: [String]
    public let items: Int
    public let scored: Int
    public let unparsable: Int
    /// Read replies with a score outside 1…10 (counted in the means, as the reference counts them).
    public let outsideScale: Int
    public let meanAccuracy: [Double?]
    public let meanDetailedness: [Double?]

    /// The summary of `records` (one per item), naming the two methods `methods`.
    public init(methods: [String], records: [OPERAGPT4VRecord]) {
        self.methods = methods
        items = records.count
        let scores = records.compactMap(\.scores)
        scored = scores.count
        unparsable = items - scored
        outsideScale = scores.filter(\.outsideScale).count
        func mean(_ values: [Int]) -> Double? { values.isEmpty ? nil : Double(values.reduce(0, +)) / Double(values.count) }
        meanAccuracy = [mean(scores.map { $0.accuracy[0] }), mean(scores.map { $0.accuracy[1] })]
        meanDetailedness = [mean(scores.map { $0.detailedness[0] }), mean(scores.map { $0.detailedness[1] })]
    }

    /// One line of JSON: `{"items", "scored", "unparsable", "outside_scale", "methods": {NAME:
    /// {"accuracy", "detailedness"}, …}}`, method 1 first; means as Swift's shortest round-trip decimal.
    public var jsonLine: String {
        func number(_ value: Double?) -> String { value.map { "\($0)" } ?? "null" }
        let perMethod = methods.indices.map { index in
            JSONString.quoted(methods[index]) + ":{\"accuracy\":\(number(meanAccuracy[index])),\"detailedness\":\(number(meanDetailedness[index]))}"
        }
        return "{\"items\":\(items),\"scored\":\(scored),\"unparsable\":\(unparsable),\"outside_scale\":\(outsideScale),"
            + "\"methods\":{\(perMethod.joined(separator: ","))}}"
    }
}
