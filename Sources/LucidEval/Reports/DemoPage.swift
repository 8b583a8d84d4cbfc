import Foundation

/// The self-contained HTML page of `lucid demo`: every scene's image and ground truth next to each
/// method's description, hallucinated object words marked, and the run's metrics on top.
///
/// Which words are object words is the world's vocabulary, given as `objectCategory` (for ShapesWorld:
/// `ShapesWorldVocabulary.category(of:)`).
public struct DemoPage {
    /// One method's description of one scene, scored.
    public struct Row: Sendable {
        public var method: String
        public var result: DescribedScene
        public init(method: String, result: DescribedScene) {
            self.method = method
            self.result = result
        }
    }

    /// Per-method summary line of the metrics table.
    public struct MethodSummary: Codable, Sendable {
        public var method: String
        public var recall: Double
        public var chairI: Double
        public var chairS: Double
        /// CHAIR from `lucid eval chair` (NLTK pipeline) on the same descriptions, if computed.
        public var nltkCHAIRi: Double?
        public var nltkCHAIRs: Double?
        public var tokensPerSecond: Double
        /// Mean response length in tokens, and forward passes per generated token (decoding cost).
        public var meanTokens: Double
        public var forwardPassesPerToken: Double

        enum CodingKeys: String, CodingKey {
            case method, recall, chairI = "chair_i", chairS = "chair_s", nltkCHAIRi = "nltk_chair_i", nltkCHAIRs = "nltk_chair_s"
            case tokensPerSecond = "tokens_per_second", meanTokens = "mean_tokens", forwardPassesPerToken = "forward_passes_per_token"
        }

        public init(method: String, recall: Double, chairI: Double, chairS: Double, nltkCHAIRi: Double?, nltkCHAIRs: Double?,
                    tokensPerSecond: Double, meanTokens: Double, forwardPassesPerToken: Double) {
            self.meanTokens = meanTokens
            self.forwardPassesPerToken = forwardPassesPerToken
            self.method = method
            self.recall = recall
            self.chairI = chairI
            self.chairS = chairS
            self.nltkCHAIRi = nltkCHAIRi
            self.nltkCHAIRs = nltkCHAIRs
            self.tokensPerSecond = tokensPerSecond
        }
    }

    public var title: String
    public var subtitle: String
    public var summaries: [MethodSummary]
    /// POPE split → accuracy (greedy answers).
    public var pope: [(split: String, accuracy: Double, questions: Int)]
    /// image id → PNG bytes.
    public var images: [Int: Data]
    public var rows: [Row]
    /// The object category a single word of a description denotes, if any.
    public var objectCategory: (String) -> String?

    public init(title: String, subtitle: String, summaries: [MethodSummary], pope: [(split: String, accuracy: Double, questions: Int)],
                images: [Int: Data], rows: [Row], objectCategory: @escaping (String) -> String?) {
        self.title = title
        self.subtitle = subtitle
        self.summaries = summaries
        self.pope = pope
        self.images = images
        self.rows = rows
        self.objectCategory = objectCategory
    }

    public func html() -> String {
        func pct(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
        var out = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>\(Self.escape(title))</title><style>
        body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}
        table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
        mark.h{background:#ffb3b3;text-decoration:line-through}mark.ok{background:#c8f0c8}
        .scene{display:flex;gap:16px;border-top:1px solid #ddd;padding:12px 0}.scene img{width:160px;height:160px;image-rendering:auto}
        .gt{color:#555;font-size:0.9em}.method{font-weight:600;color:#345}.missed{color:#a60;font-size:0.9em}
        </style></head><body>
        <h1>\(Self.escape(title))</h1><p>\(Self.escape(subtitle))</p>
        <h2>Metrics</h2><table><tr><th>method</th><th>recall</th><th>CHAIR_i</th><th>CHAIR_s</th><th>CHAIR_i (NLTK)</th><th>CHAIR_s (NLTK)</th><th>tokens</th><th>tokens/s</th><th>passes/token</th></tr>

        """
        for s in summaries {
            out += "<tr><td>\(Self.escape(s.method))</td><td>\(pct(s.recall))</td><td>\(pct(s.chairI))</td><td>\(pct(s.chairS))</td>"
                + "<td>\(s.nltkCHAIRi.map(pct) ?? "–")</td><td>\(s.nltkCHAIRs.map(pct) ?? "–")</td><td>\(String(format: "%.0f", s.meanTokens))</td>"
                + "<td>\(String(format: "%.1f", s.tokensPerSecond))</td><td>\(String(format: "%.2f", s.forwardPassesPerToken))</td></tr>\n"
        }
        out += "</table>\n"
        if !pope.isEmpty {
            out += "<h2>POPE (greedy yes/no)</h2><table><tr><th>split</th><th>accuracy</th><th>questions</th></tr>\n"
            for p in pope { out += "<tr><td>\(p.split)</td><td>\(pct(p.accuracy))</td><td>\(p.questions)</td></tr>\n" }
            out += "</table>\n"
        }
        out += "<h2>Scenes</h2><p><mark class=\"ok\">object</mark> in the image · <mark class=\"h\">object</mark> hallucinated</p>\n"
        let byImage = Dictionary(grouping: rows, by: { $0.result.imageID })
        for image in byImage.keys.sorted() {
            guard let group = byImage[image], let first = group.first else { continue }
            out += "<div class=\"scene\">"
            if let png = images[image] { out += "<img alt=\"scene \(image)\" src=\"data:image/png;base64,\(png.base64EncodedString())\">" }
            out += "<div><div class=\"gt\">scene \(image) · in the image: \(first.result.groundTruth.map(Self.escape).joined(separator: ", "))</div>"
            for row in group {
                out += "<p><span class=\"method\">\(Self.escape(row.method))</span>: \(Self.marked(row.result, category: objectCategory))"
                if !row.result.missed.isEmpty {
                    out += " <span class=\"missed\">(missed: \(row.result.missed.map(Self.escape).joined(separator: ", ")))</span>"
                }
                out += "</p>"
            }
            out += "</div></div>\n"
        }
        return out + "</body></html>\n"
    }

    /// The description with object words marked (hallucinated or grounded), HTML-escaped.
    public static func marked(_ result: DescribedScene, category categoryName: (String) -> String?) -> String {
        let hallucinated = Set(result.hallucinated)
        let grounded = Set(result.mentioned).subtracting(hallucinated)
        var out = ""
        var word = ""
        func flush() {
            guard !word.isEmpty else { return }
            let category = categoryName(word)
            if let category, hallucinated.contains(category) {
                out += "<mark class=\"h\">\(escape(word))</mark>"
            } else if let category, grounded.contains(category) {
                out += "<mark class=\"ok\">\(escape(word))</mark>"
            } else {
                out += escape(word)
            }
            word = ""
        }
        for character in result.description {
            if character.isLetter { word.append(character) } else {
                flush()
                out += escape(String(character))
            }
        }
        flush()
        return out
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
