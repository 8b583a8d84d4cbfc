import Foundation
import LucidVision

/// The figures of one analysed response: per generated token and per sentence, the image upscaled with the
/// decoder's image attention and the ViT's [CLS] attention side by side (top ViT outliers boxed in both), the
/// token or sentence as the caption, hallucinated objects in red; and `index.html`, a contact sheet of them.
/// The grid may be rectangular (Qwen2-VL's merged patches); without a [CLS] attention (a tower without a
/// class token) the ViT panel, its figure and F are left out.
public struct AttentionFigures {
    /// One sentence of the response: its token rows and text.
    public struct Sentence: Sendable, Equatable {
        public var tokens: Range<Int>
        public var text: String
        /// Object words labelled hallucinated / correct among its tokens.
        public var hallucinated: [String]
        public var correct: [String]
    }

    public var report: AttentionAnalysis.Report
    /// The ViT's [CLS] attention over the patches (row-major, `gridRows` × `gridColumns`); nil: no ViT panel.
    public var clsAttention: [Float]?
    /// Decoder image attention over the grid's cells, one map per generated token.
    public var tokenMaps: [[Float]]
    /// The model's view of the image (the preprocessed crop the patches cover).
    public var image: RGBImage
    public var gridRows: Int
    public var gridColumns: Int
    /// How many top ViT outliers are boxed (F uses the top 3).
    public var outliersMarked = 3
    /// Long side of each panel in pixels.
    public var panelSize = 384

    /// Figures over a square `grid` × `grid` of patches.
    public init(report: AttentionAnalysis.Report, clsAttention: [Float]?, tokenMaps: [[Float]], image: RGBImage, grid: Int) {
        self.init(report: report, clsAttention: clsAttention, tokenMaps: tokenMaps, image: image, gridRows: grid, gridColumns: grid)
    }

    /// Figures over a `gridRows` × `gridColumns` grid of cells.
    public init(report: AttentionAnalysis.Report, clsAttention: [Float]?, tokenMaps: [[Float]], image: RGBImage, gridRows: Int, gridColumns: Int) {
        (self.report, self.clsAttention, self.tokenMaps, self.image) = (report, clsAttention, tokenMaps, image)
        (self.gridRows, self.gridColumns) = (gridRows, gridColumns)
    }

    /// Sentences of the response: a sentence ends after a token whose text ends in `.`, `!` or `?`, or holds a newline.
    public static func sentences(_ rows: [AttentionAnalysis.TokenRow]) -> [Sentence] {
        var result: [Sentence] = []
        var start = 0
        func close(_ end: Int) {
            guard end > start else { return }
            let slice = rows[start..<end]
            let text = slice.map(\.text).joined().trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty {
                result.append(Sentence(tokens: start..<end, text: text, hallucinated: words(slice, "hallucinated"), correct: words(slice, "correct")))
            }
            start = end
        }
        for (index, row) in rows.enumerated() {
            let trimmed = row.text.trimmingCharacters(in: .whitespaces)
            if row.text.contains("\n") || trimmed.hasSuffix(".") || trimmed.hasSuffix("!") || trimmed.hasSuffix("?") { close(index + 1) }
        }
        close(rows.count)
        return result
    }

    static func words(_ rows: ArraySlice<AttentionAnalysis.TokenRow>, _ label: String) -> [String] {
        rows.filter { $0.label == label }.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters)).lowercased() }
    }

    var figure: AttentionFigure {
        var figure = AttentionFigure(image: image, gridWidth: gridColumns, gridHeight: gridRows)
        figure.panelSize = panelSize
        return figure
    }

    var outliers: [Int] { Array(report.outlierRanking.prefix(outliersMarked)) }

    /// The ViT [CLS] panel, or none without a [CLS] attention.
    var clsPanels: [AttentionFigure.Panel] {
        clsAttention.map { [.init(title: "ViT [CLS] attention, top-\(outliersMarked) boxed", values: $0, marked: outliers)] } ?? []
    }

    static func format(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }

    static func color(of label: String) -> RGBColor {
        label == "hallucinated" ? AttentionFigure.hallucinated : label == "correct" ? AttentionFigure.correct : AttentionFigure.ink
    }

    /// The sentence holding token `index`, the token in brackets (`There is a [cube].`); empty when it has none.
    public func context(ofToken index: Int) -> String {
        guard let sentence = Self.sentences(report.rows).first(where: { $0.tokens.contains(index) }) else { return "" }
        return sentence.tokens.map { t -> String in
            let text = report.rows[t].text
            guard t == index else { return text }
            return String(text.prefix { $0 == " " }) + "[" + text.trimmingCharacters(in: .whitespaces) + "]"
        }.joined().trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The figure of generated token `index`.
    public func tokenFigure(_ index: Int) throws -> RGBImage {
        let row = report.rows[index]
        let context = context(ofToken: index)
        let shown = row.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let tag = row.label == "other" ? "" : "  (\(row.label))"
        let metrics = ((row.outlierShare.map { ["F (share on the top-3 ViT outliers) \(Self.format($0))"] } ?? [])
            + row.overlap.sorted { Int($0.key.dropFirst()) ?? 0 < Int($1.key.dropFirst()) ?? 0 }.map { "\($0.key) \(Self.format($0.value))" }
            + ["image attention \(Self.format(row.imageAttentionMass))"]).joined(separator: " | ")
        return try figure.render(
            panels: [.init(title: "decoder image attention, token \(index)", values: tokenMaps[index], marked: outliers)] + clsPanels,
            caption: [.init("token \(index): \"\(shown)\"" + tag, color: Self.color(of: row.label), scale: 2),
                      .init(context.isEmpty ? "" : "in: " + context), .init(metrics, color: AttentionFigure.muted)],
            frame: row.label == "hallucinated" ? AttentionFigure.hallucinated : nil)
    }

    /// The figure of one sentence: the decoder's image attention averaged over its tokens.
    public func sentenceFigure(_ sentence: Sentence, number: Int) throws -> RGBImage {
        let maps = sentence.tokens.map { tokenMaps[$0] }
        let count = gridRows * gridColumns
        var mean = [Float](repeating: 0, count: count)
        for map in maps where map.count == count { for i in 0..<count { mean[i] += map[i] / Float(maps.count) } }
        let rows = report.rows[sentence.tokens]
        let shares = rows.compactMap(\.outlierShare)
        let f: Double? = shares.isEmpty ? nil : shares.reduce(0, +) / Double(shares.count)
        var caption: [AttentionFigure.Line] = [
            .init("sentence \(number) (tokens \(sentence.tokens.lowerBound)-\(sentence.tokens.upperBound - 1))", color: AttentionFigure.muted),
            .init(sentence.text, scale: 2),
        ]
        if !sentence.hallucinated.isEmpty {
            caption.append(.init("hallucinated: " + sentence.hallucinated.joined(separator: ", "), color: AttentionFigure.hallucinated, scale: 2))
        }
        if !sentence.correct.isEmpty { caption.append(.init("correct: " + sentence.correct.joined(separator: ", "), color: AttentionFigure.correct)) }
        if let f { caption.append(.init("mean F (share on the top-3 ViT outliers) \(Self.format(f))", color: AttentionFigure.muted)) }
        return try figure.render(
            panels: [.init(title: "decoder image attention, mean of \(maps.count) tokens", values: mean, marked: outliers)] + clsPanels,
            caption: caption, frame: sentence.hallucinated.isEmpty ? nil : AttentionFigure.hallucinated)
    }

    /// Writes `sentence_NN.png` for every sentence, `token_NNN.png` for the first `tokenLimit` tokens,
    /// `vit_cls_attention.png` (with a [CLS] attention) and `index.html` into `directory`; returns the PNG file names.
    @discardableResult
    public func write(to directory: URL, tokenLimit: Int) throws -> [String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var names: [String] = []
        func save(_ image: RGBImage, _ name: String) throws {
            try ImageEncoder.writePNG(image, to: directory.appendingPathComponent(name).path)
            names.append(name)
        }
        if !clsPanels.isEmpty {
            let cls = try figure.render(panels: clsPanels, caption: [.init("ViT outliers: patches ranked by [CLS] attention; top \(outliersMarked): "
                                                                           + outliers.map(String.init).joined(separator: ", "))])
            try save(cls, "vit_cls_attention.png")
        }
        let sentences = Self.sentences(report.rows)
        for (number, sentence) in sentences.enumerated() { try save(try sentenceFigure(sentence, number: number + 1), String(format: "sentence_%02d.png", number + 1)) }
        let tokens = min(tokenLimit, report.rows.count, tokenMaps.count)
        for t in 0..<tokens { try save(try tokenFigure(t), String(format: "token_%03d.png", t)) }
        try Data(contactSheet(sentences: sentences, tokens: tokens).utf8).write(to: directory.appendingPathComponent("index.html"), options: .atomic)
        return names
    }

    /// `index.html`: the description with hallucinated / correct words marked, then each sentence's figure
    /// followed by its tokens' figures.
    public func contactSheet(sentences: [Sentence], tokens: Int) -> String {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let description = report.rows.map { row -> String in
            let text = escape(row.text)
            return row.label == "hallucinated" ? "<mark class=\"bad\">\(text)</mark>" : row.label == "correct" ? "<mark class=\"ok\">\(text)</mark>" : text
        }.joined()
        var html = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Attention analysis</title>
        <style>
        body{font-family:sans-serif;margin:24px;max-width:1400px;color:#222}
        mark.bad{background:#f8d0d0;color:#a00;text-decoration:line-through} mark.ok{background:#d4f0d8}
        .sentence{margin:28px 0;border-top:1px solid #ccc;padding-top:12px}
        .tokens{display:flex;flex-wrap:wrap;gap:8px} .tokens img{width:420px} img.main{max-width:100%}
        table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
        </style></head><body>
        <h1>Attention analysis</h1>
        <p>Left of each figure: the image the model saw, upscaled. Middle: the decoder's attention from the generated
        token (or the mean over a sentence's tokens) to the image patches. Right: the ViT's [CLS] attention; the top-\(outliersMarked)
        ViT outlier patches are boxed in both. F = share of the decoder's image attention on the top-3 outliers;
        H<sub>i</sub> = overlap of the top-i outliers with the top-i attended patches. Red: hallucinated object, green: correct.</p>
        <p class="description">\(description)</p>
        <table><tr><th>label</th><th>tokens</th><th>F</th>\(AttentionAnalysis().overlapSizes.map { "<th>H\($0)</th>" }.joined())</tr>

        """
        for (label, means) in report.meansByLabel.sorted(by: { $0.key < $1.key }) {
            html += "<tr><td>\(label)</td><td>\(Int(means["count"] ?? 0))</td><td>\(Self.format(means["F"]))</td>"
                + AttentionAnalysis().overlapSizes.map { "<td>\(Self.format(means["H\($0)"]))</td>" }.joined() + "</tr>\n"
        }
        html += "</table>\n"
        if clsAttention != nil { html += "<p><img class=\"main\" src=\"vit_cls_attention.png\" alt=\"ViT [CLS] attention\"></p>\n" }
        for (number, sentence) in sentences.enumerated() {
            html += "<div class=\"sentence\"><h2>Sentence \(number + 1)</h2>\n"
            html += "<img class=\"main\" src=\"\(String(format: "sentence_%02d.png", number + 1))\" alt=\"\(escape(sentence.text))\">\n<div class=\"tokens\">"
            for t in sentence.tokens where t < tokens {
                html += "<img src=\"\(String(format: "token_%03d.png", t))\" alt=\"token \(t)\">"
            }
            html += "</div></div>\n"
        }
        return html + "</body></html>\n"
    }
}
