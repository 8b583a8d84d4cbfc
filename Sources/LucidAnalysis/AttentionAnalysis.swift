import Foundation
import LucidModels
import LucidTensor

/// Attention analyses of a vision-language response: DAMRO's outlier overlap (H_i, F) and OPERA's
/// "summary token" columns, per generated token, on any `VisionLanguageModel`.
///
/// The image span is the family's (`imageSpans(ids:images:)`: LLaVA's patches, LLaVA-NeXT's packed
/// tiles and newlines, Qwen2-VL's merged patches, InstructBLIP's query tokens) and the image attention
/// mass is over all of it. H_i and F need the span's grid cells to be the patches DAMRO ranks
/// (`ImageSpanLayout.cellsAreVisionPatches`: LLaVA-1.5, LLaVA-NeXT's base tile); elsewhere (no [CLS] in
/// Qwen2-VL's tower, queries that are not patches in InstructBLIP) they are left out, not guessed.
///
/// Definitions (the DAMRO paper's own are not available; these follow Lucid's issue text):
/// - decoder image attention a_t: attention of generated token t's query over the image-token
///   positions, averaged over heads and over the chosen decoder layers (default: all);
/// - ViT outliers: patches ranked by the [CLS] attention of DAMRO's vision layer (`visionOutliers`);
/// - H_i(t) = |top-i ViT outliers ∩ top-i of a_t| / i;
/// - F(t) = Σ a_t over the top-3 ViT outliers ÷ Σ a_t;
/// - summary column of step t (OPERA): on the last layer's head-maxed attention, rows renormalised
///   over all keys, the response window (tokens 0…t) scaled by σ, the column with the largest
///   product ∏_{i≥j} σ·ω_{i,j}; its score is that product (f64, no 1e-7 factor, no fp16 overflow).
public struct AttentionAnalysis {
    /// Per generated token.
    public struct TokenRow: Codable, Sendable {
        public var position: Int
        public var token: Int
        public var text: String
        /// `hallucinated`, `correct` or `other` (from the object words given to the analysis).
        public var label: String
        /// H_i; empty where the span's cells are not the ranked patches.
        public var overlap: [String: Double]
        /// F; nil where the span's cells are not the ranked patches.
        public var outlierShare: Double?
        public var imageAttentionMass: Double
        public var summaryColumn: Int
        public var summaryScore: Double

        enum CodingKeys: String, CodingKey {
            case position, token, text, label, overlap, outlierShare = "outlier_share", imageAttentionMass = "image_attention_mass"
            case summaryColumn = "summary_column", summaryScore = "summary_score"
        }
        /// The camelCase keys of files written before the snake_case vocabulary (docs/json.md).
        enum LegacyKeys: String, CodingKey { case outlierShare, imageAttentionMass, summaryColumn, summaryScore }

        public init(position: Int, token: Int, text: String, label: String, overlap: [String: Double], outlierShare: Double?,
                    imageAttentionMass: Double, summaryColumn: Int, summaryScore: Double) {
            (self.position, self.token, self.text, self.label, self.overlap) = (position, token, text, label, overlap)
            (self.outlierShare, self.imageAttentionMass, self.summaryColumn, self.summaryScore) = (outlierShare, imageAttentionMass, summaryColumn, summaryScore)
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let old = try decoder.container(keyedBy: LegacyKeys.self)
            position = try c.decode(Int.self, forKey: .position)
            token = try c.decode(Int.self, forKey: .token)
            text = try c.decode(String.self, forKey: .text)
            label = try c.decode(String.self, forKey: .label)
            overlap = try c.decode([String: Double].self, forKey: .overlap)
            outlierShare = try c.decodeIfPresent(Double.self, forKey: .outlierShare) ?? old.decodeIfPresent(Double.self, forKey: .outlierShare)
            imageAttentionMass = try c.decodeIfPresent(Double.self, forKey: .imageAttentionMass) ?? old.decode(Double.self, forKey: .imageAttentionMass)
            summaryColumn = try c.decodeIfPresent(Int.self, forKey: .summaryColumn) ?? old.decode(Int.self, forKey: .summaryColumn)
            summaryScore = try c.decodeIfPresent(Double.self, forKey: .summaryScore) ?? old.decode(Double.self, forKey: .summaryScore)
        }
    }

    /// `analysis.json`: snake_case keys and `schema_version` (docs/json.md); files written before version 1
    /// (camelCase `outlierRanking`, `meansByLabel`, no version) still decode.
    public struct Report: Codable, Sendable {
        /// The version of this file's layout; 1 is the snake_case layout.
        public static let currentSchemaVersion = 1

        public var schemaVersion: Int
        /// ViT patches by [CLS] attention; empty where the span's cells are not those patches.
        public var outlierRanking: [Int]
        public var rows: [TokenRow]
        /// Means of H_i and F by label.
        public var meansByLabel: [String: [String: Double]]
        /// Where the image sat in the prompt and what its positions were (nil in files written before it).
        public var imageSpan: ImageSpan?

        enum CodingKeys: String, CodingKey {
            case schemaVersion = "schema_version", outlierRanking = "outlier_ranking", rows, meansByLabel = "means_by_label"
            case imageSpan = "image_span"
        }
        enum LegacyKeys: String, CodingKey { case outlierRanking, meansByLabel }

        public init(outlierRanking: [Int], rows: [TokenRow], meansByLabel: [String: [String: Double]], imageSpan: ImageSpan? = nil) {
            (schemaVersion, self.outlierRanking, self.rows, self.meansByLabel) = (Self.currentSchemaVersion, outlierRanking, rows, meansByLabel)
            self.imageSpan = imageSpan
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let old = try decoder.container(keyedBy: LegacyKeys.self)
            schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 0
            outlierRanking = try c.decodeIfPresent([Int].self, forKey: .outlierRanking) ?? old.decode([Int].self, forKey: .outlierRanking)
            rows = try c.decode([TokenRow].self, forKey: .rows)
            meansByLabel = try c.decodeIfPresent([String: [String: Double]].self, forKey: .meansByLabel)
                ?? old.decode([String: [String: Double]].self, forKey: .meansByLabel)
            imageSpan = try c.decodeIfPresent(ImageSpan.self, forKey: .imageSpan)
        }
    }

    /// The image's span in the analysed sequence: its first position and length, the picture grid its
    /// positions form (0 × 0 for query tokens) and whether H_i and F were computed on it.
    public struct ImageSpan: Codable, Sendable, Equatable {
        public var start: Int
        public var length: Int
        public var gridRows: Int
        public var gridColumns: Int
        public var outlierOverlap: Bool

        enum CodingKeys: String, CodingKey {
            case start, length, gridRows = "grid_rows", gridColumns = "grid_columns", outlierOverlap = "outlier_overlap"
        }

        public init(start: Int, length: Int, gridRows: Int, gridColumns: Int, outlierOverlap: Bool) {
            (self.start, self.length, self.gridRows, self.gridColumns, self.outlierOverlap) = (start, length, gridRows, gridColumns, outlierOverlap)
        }
    }

    /// What `run` returns: the report, the ViT's [CLS] attention over its patches (nil where H_i and F
    /// are left out), the decoder's image attention of each generated token over the whole span, and the
    /// span's layout.
    public struct Result {
        public var report: Report
        public var clsAttention: Tensor?
        public var tokenMaps: [Tensor]
        public var layout: ImageSpanLayout
    }

    public var overlapSizes: [Int] = [1, 3, 5, 10]
    public var decoderLayers: LayerSelection = .all
    public var sigma: Double = 50
    public var outlierAttention: OutlierAttention = .singleHead

    public init() {}

    /// Analyses `response` token ids generated for (`ids`, `pixels`); `decode` gives each token's text,
    /// and words in `hallucinated` / `correct` label the tokens that spell them.
    public func run(model: any VisionLanguageModel, ids: [Int], pixels: Tensor, response: [Int], decode: (Int) -> String,
                    hallucinated: Set<String> = [], correct: Set<String> = []) throws(PromptError) -> Result {
        guard let span = try model.imageSpans(ids: ids, images: [pixels]).first else { throw .imageWithoutPlaceholder(images: 1) }
        let layout = try model.imageSpanLayout(of: pixels)
        let imageStart = span.lowerBound
        let imageCount = span.count
        let promptLength = try model.embeddedLength(ids: ids, images: [pixels])
        let layers = model.layerCount
        let trace: ForwardTrace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: ids + response, images: [pixels], cache: nil,
                              options: ForwardOptions(attentionLayers: .all, attentionReduction: .none, logits: .none))
        }
        let outliers = layout.cellsAreVisionPatches ? try withNoGrad { () throws(PromptError) -> VisionOutliers in
            try model.visionOutliers(pixels, k: model.visionPatchCount, attention: outlierAttention)
        } : nil
        // Mean over heads and chosen layers: [T, S].
        var chosen: [Tensor] = []
        for l in 0..<layers where decoderLayers.contains(l, of: layers) {
            if let a = trace.attentions[l] { chosen.append(a[0].mean(axis: 0)) }
        }
        let meanAttention = Tensor.stack(chosen, axis: 0).mean(axis: 0)
        guard let lastLayer = trace.attentions[layers - 1] else { fatalError("last-layer attention missing") }
        let headMax = lastLayer[0].max(axis: 0)
        let normalised = headMax / headMax.sum(axis: -1, keepDims: true)
        let ranking = outliers?.indices ?? []
        let top3 = Array(ranking.prefix(3))
        var rows: [TokenRow] = []
        for (t, token) in response.enumerated() {
            // The query that produced token t is the previous position.
            let query = promptLength + t - 1
            let imageRow = meanAttention[query].narrowed(axis: 0, start: imageStart, length: imageCount).to(.f64)
            let values = imageRow.toArray(Double.self)
            var overlap: [String: Double] = [:]
            var share: Double?
            if outliers != nil {
                // The grid cells, which are the ranked patches (LLaVA-1.5 drops a kept [CLS]; NeXT keeps its base tile).
                let patchValues = layout.gridOffsets.map { values[$0] }
                for i in overlapSizes where i <= patchValues.count {
                    overlap["H\(i)"] = Self.overlap(outlierRanking: ranking, imageAttention: patchValues, top: i)
                }
                share = Self.outlierShare(outliers: Array(top3), imageAttention: patchValues)
            }
            let total = values.reduce(0, +)
            let (column, score) = Self.summaryColumn(normalised, responseStart: promptLength, query: query, sigma: sigma)
            let text = decode(token)
            let word = text.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters)).lowercased()
            let label = word.isEmpty ? "other" : hallucinated.contains(word) ? "hallucinated" : correct.contains(word) ? "correct" : "other"
            rows.append(TokenRow(position: t, token: token, text: text, label: label, overlap: overlap, outlierShare: share,
                                 imageAttentionMass: total, summaryColumn: column, summaryScore: score))
        }
        var means: [String: [String: Double]] = [:]
        for label in ["hallucinated", "correct", "other"] {
            let group = rows.filter { $0.label == label }
            guard !group.isEmpty else { continue }
            var m: [String: Double] = ["count": Double(group.count)]
            let shares = group.compactMap(\.outlierShare)
            if !shares.isEmpty { m["F"] = shares.reduce(0, +) / Double(shares.count) }
            for i in overlapSizes {  // H_i exists only where the grid has at least i patches
                let values = group.compactMap { $0.overlap["H\(i)"] }
                if !values.isEmpty { m["H\(i)"] = values.reduce(0, +) / Double(values.count) }
            }
            means[label] = m
        }
        let imageMaps = response.indices.map { t in meanAttention[promptLength + t - 1].narrowed(axis: 0, start: imageStart, length: imageCount) }
        let spanInfo = ImageSpan(start: imageStart, length: imageCount, gridRows: layout.rows, gridColumns: layout.columns,
                                 outlierOverlap: outliers != nil)
        return Result(report: Report(outlierRanking: ranking, rows: rows, meansByLabel: means, imageSpan: spanInfo),
                      clsAttention: outliers?.clsAttention, tokenMaps: imageMaps, layout: layout)
    }

    /// H_i: the share of the top-`i` ViT outliers that are also among the top-`i` patches of the
    /// decoder's image attention (ties broken by lower patch index).
    public static func overlap(outlierRanking: [Int], imageAttention: [Double], top i: Int) -> Double {
        let order = imageAttention.indices.sorted { (imageAttention[$0], -$0) > (imageAttention[$1], -$1) }
        return Double(Set(order.prefix(i)).intersection(outlierRanking.prefix(i)).count) / Double(i)
    }

    /// F: the share of the decoder's image attention that falls on `outliers`.
    public static func outlierShare(outliers: [Int], imageAttention: [Double]) -> Double {
        let total = imageAttention.reduce(0, +)
        guard total > 0 else { return 0 }
        return outliers.filter { $0 < imageAttention.count }.reduce(0) { $0 + imageAttention[$1] } / total
    }

    /// OPERA's column score over the response window [responseStart, query] of a row-normalised
    /// attention matrix [T, S]: returns (column offset in the response, max column product).
    public static func summaryColumn(_ attention: Tensor, responseStart: Int, query: Int, sigma: Double) -> (Int, Double) {
        let width = query - responseStart + 1
        guard width >= 1 else { return (0, 0) }
        let local = attention.narrowed(axis: 0, start: responseStart, length: width).narrowed(axis: 1, start: responseStart, length: width)
            .to(.f64).toArray(Double.self)
        var best = (0, -Double.infinity)
        for j in 0..<width {
            var product = 1.0
            for i in j..<width { product *= sigma * local[i * width + j] }
            if product > best.1 { best = (j, product) }
        }
        return best
    }
}
