import LucidRuns

/// The comparisons of OPERA's GPT-4V evaluation taken from a finished `lucid run` of a captions
/// dataset: for every (model, seed, sample) that both methods answered successfully, the sample's
/// image and the two methods' texts.
public struct OPERAGPT4VRunPairs: Sendable {
    public let items: [OPERAGPT4VItem]
    /// (model, seed, sample)s that only one of the two methods answered successfully: not judged.
    public let unpaired: Int

    /// Pairs `records` (a run's results) of `method1` and `method2`, each a method name (when the run
    /// has one configuration of it) or a method id (`opera@1f0c9a2e`). Item ids are
    /// `model|seed|sample`; `image` is the sample's `image` field as the dataset gives it (the clean
    /// image, also for an attacked model entry); `question` is the sample's `prompt`, else `question`.
    public init(records: [ResultRecord], samples: [String: [String: JSONValue]], method1: String, method2: String,
                question: String?, source: String) throws(EvalError) {
        let succeeded = records.filter { $0.result != nil }
        let first = try Self.configuration(method1, in: succeeded, source: source)
        let second = try Self.configuration(method2, in: succeeded, source: source)
        guard first != second else {
            throw .invalidArgument("\(source): --method-1 '\(method1)' and --method-2 '\(method2)' name the same configuration \(first)")
        }
        func key(_ record: ResultRecord) -> String { "\(record.model)|\(record.seed)|\(record.sampleID)" }
        var answers2: [String: ResultRecord] = [:]
        for record in succeeded where record.methodID == second { answers2[key(record)] = record }
        var items: [OPERAGPT4VItem] = []
        var paired = Set<String>()
        var unpaired = 0
        for record in succeeded where record.methodID == first {
            let id = key(record)
            guard let other = answers2[id] else {
                unpaired += 1
                continue
            }
            guard let image = samples[record.sampleID]?["image"]?.stringValue, !image.isEmpty else {
                throw .invalidArgument("\(source): sample \(record.sampleID) has no image (OPERA's comparison needs a captions run over images)")
            }
            items.append(OPERAGPT4VItem(id: id, image: image, question: samples[record.sampleID]?["prompt"]?.stringValue ?? question,
                                        assistant1: record.result?["text"]?.stringValue ?? "", assistant2: other.result?["text"]?.stringValue ?? ""))
            paired.insert(id)
        }
        unpaired += answers2.keys.filter { !paired.contains($0) }.count
        self.items = items
        self.unpaired = unpaired
    }

    /// The method id `selector` names among `records`.
    static func configuration(_ selector: String, in records: [ResultRecord], source: String) throws(EvalError) -> String {
        let ids = Set(records.map(\.methodID))
        if ids.contains(selector) { return selector }
        let named = ids.filter { id in records.contains { $0.methodID == id && $0.method == selector } }.sorted()
        switch named.count {
        case 1: return named[0]
        case 0:
            throw .invalidArgument("\(source): no successful results of method '\(selector)' (the run has \(ids.sorted().joined(separator: ", ")))")
        default:
            throw .invalidArgument("\(source): method '\(selector)' has \(named.count) configurations (\(named.joined(separator: ", "))): name one by its id")
        }
    }
}
