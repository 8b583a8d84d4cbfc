import Foundation
import LucidFiles

/// Renders a `RunReport` as Markdown, CSV, JSON and one self-contained HTML page (SVG plots inline).
public enum ReportWriters {
    /// Writes report.md, report.csv, report.json and report.html into `directory`; returns their paths.
    @discardableResult
    public static func write(_ report: RunReport, to directory: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase  // property names only; metric names and row labels stay as written
        let files: [(String, Data)] = [
            ("report.md", Data(markdown(report).utf8)), ("report.csv", Data(csv(report).utf8)),
            ("report.json", try encoder.encode(report)), ("report.html", Data(html(report).utf8)),
        ]
        return try files.map { name, data in
            let url = directory.appendingPathComponent(name)
            try SafeFile.writeAtomically([UInt8](data), to: url.path)
            return url
        }
    }

    static func format(_ value: [Double]?, percent: Bool) -> String {
        guard let value, let mean = value.first else { return "–" }
        let scale = percent ? 100.0 : 1.0
        let text = String(format: percent ? "%.1f" : "%.2f", mean * scale)
        guard value.count > 1, value[1] > 0 else { return text }
        return text + String(format: percent ? " ± %.1f" : " ± %.2f", value[1] * scale)
    }

    /// Rates are shown in %; lengths, StrongREJECT scores (0…1) and GPT-4V scores (1…10) as they are.
    static func isPercent(_ metric: String) -> Bool { metric != "len" && !RunReport.judgeMetricNames.contains(metric) }

    /// The heading of `metric` in the human-readable reports (Markdown, HTML): `asr_keyword` reads "ASR-keyword",
    /// `yes_ratio` "yes-ratio", `f1` "F1"; other names (`CHAIR_s`, `recall`) as they are. CSV and JSON keep the key.
    public static func label(ofMetric metric: String) -> String {
        ["asr_keyword": "ASR-keyword", "yes_ratio": "yes-ratio", "f1": "F1", "strongreject": "StrongREJECT",
         "gpt4v_accuracy": "GPT-4V accuracy", "gpt4v_detailedness": "GPT-4V detailedness"][metric] ?? metric
    }

    /// A Markdown table (percentages for rate metrics, ± standard deviation over seeds).
    public static func markdown(_ report: RunReport) -> String {
        var lines = ["# \(report.name)", "", "Dataset kind: \(report.kind). Rates in %, mean ± standard deviation over seeds.", ""]
        let header = ["model", "method", "seeds", "samples"] + report.metricNames.map(label(ofMetric:)) + ["tokens/s", "passes/token"]
        lines.append("| " + header.joined(separator: " | ") + " |")
        lines.append("|" + String(repeating: "---|", count: header.count))
        for row in report.rows {
            let cells = [row.model, report.methodLabel(of: row), String(row.seeds), String(row.samples) + (row.failed > 0 ? " (\(row.failed) failed)" : "")]
                + report.metricNames.map { format(row.metrics[$0], percent: isPercent($0)) }
                + [String(format: "%.1f", row.tokensPerSecond), String(format: "%.2f", row.forwardPassesPerToken)]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        if !report.warnings.isEmpty { lines += [""] + report.warnings.map { "- warning: \($0)" } }
        return lines.joined(separator: "\n") + "\n"
    }

    /// CSV with raw values (fractions), one row per (model, method).
    public static func csv(_ report: RunReport) -> String {
        func quote(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        var header = ["model", "method", "method_id", "seeds", "samples", "failed"]
        for m in report.metricNames { header += [m, m + "_std"] }
        header += ["tokens_per_second", "forward_passes_per_token"]
        var lines = [header.joined(separator: ",")]
        for row in report.rows {
            var cells = [quote(row.model), quote(row.method), quote(row.methodID), String(row.seeds), String(row.samples), String(row.failed)]
            for m in report.metricNames { cells += [row.metrics[m].map { String($0[0]) } ?? "", row.metrics[m].map { String($0[1]) } ?? ""] }
            cells += [String(row.tokensPerSecond), String(row.forwardPassesPerToken)]
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A horizontal bar chart of one metric per row.
    static func barChart(_ report: RunReport, metric: String) -> String {
        let rows = report.rows
        let height = 28 * rows.count + 40
        let maxValue = max(1e-9, rows.compactMap { $0.metrics[metric]?.first }.max() ?? 1)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"\(height)\" font-family=\"sans-serif\" font-size=\"12\">"
        svg += "<text x=\"10\" y=\"18\" font-weight=\"bold\">\(escape(label(ofMetric: metric)))</text>"
        for (i, row) in rows.enumerated() {
            let value = row.metrics[metric]?.first ?? 0
            let width = 360 * value / maxValue
            let y = 30 + 28 * i
            svg += "<text x=\"10\" y=\"\(y + 15)\">\(escape(row.model + " · " + report.methodLabel(of: row)))</text>"
            svg += "<rect x=\"230\" y=\"\(y)\" width=\"\(String(format: "%.1f", width))\" height=\"20\" fill=\"#3b7dd8\"/>"
            svg += "<text x=\"\(String(format: "%.1f", 236 + width))\" y=\"\(y + 15)\">\(format(row.metrics[metric], percent: isPercent(metric)))</text>"
        }
        return svg + "</svg>"
    }

    /// A line chart of per-sentence hallucination rates (CHAIR runs).
    static func positionChart(_ rates: [String: [Double]]) -> String {
        let colors = ["#3b7dd8", "#d8573b", "#3bd87a", "#9b3bd8", "#d8b23b", "#3bc7d8"]
        let positions = max(2, rates.values.map(\.count).max() ?? 2)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"300\" font-family=\"sans-serif\" font-size=\"12\">"
        svg += "<text x=\"10\" y=\"18\" font-weight=\"bold\">hallucinated share of object mentions by sentence position</text>"
        svg += "<line x1=\"60\" y1=\"260\" x2=\"620\" y2=\"260\" stroke=\"#888\"/><line x1=\"60\" y1=\"40\" x2=\"60\" y2=\"260\" stroke=\"#888\"/>"
        for tick in 0...4 {
            let y = 260 - 55 * tick
            svg += "<text x=\"20\" y=\"\(y + 4)\">\(tick * 25)%</text>"
        }
        for (index, (label, values)) in rates.sorted(by: { $0.key < $1.key }).enumerated() {
            let color = colors[index % colors.count]
            let points = values.enumerated().map { k, v in
                String(format: "%.1f,%.1f", 60 + 560 * Double(k) / Double(positions - 1), 260 - 220 * v)
            }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\"/>"
            svg += "<text x=\"420\" y=\"\(40 + 16 * index)\" fill=\"\(color)\">\(escape(label))</text>"
        }
        for k in 0..<positions {
            svg += "<text x=\"\(String(format: "%.0f", 56 + 560 * Double(k) / Double(positions - 1)))\" y=\"278\">\(k + 1)</text>"
        }
        return svg + "</svg>"
    }

    /// The sample text with flagged object words marked.
    static func marked(_ text: String, _ flagged: [String]) -> String {
        var html = escape(text)
        for word in Set(flagged) where !word.isEmpty {
            html = html.replacingOccurrences(of: escape(word), with: "<mark>\(escape(word))</mark>")
        }
        return html
    }

    /// One self-contained page: tables, charts, per-sample outputs.
    public static func html(_ report: RunReport) -> String {
        var body = "<h1>\(escape(report.name))</h1><p>Dataset kind: \(escape(report.kind)). Rates in %, mean ± standard deviation over seeds.</p>"
        body += "<table><tr><th>model</th><th>method</th><th>seeds</th><th>samples</th>"
        body += report.metricNames.map { "<th>\(escape(label(ofMetric: $0)))</th>" }.joined() + "<th>tokens/s</th><th>passes/token</th></tr>"
        for row in report.rows {
            body += "<tr><td>\(escape(row.model))</td><td>\(escape(report.methodLabel(of: row)))</td><td>\(row.seeds)</td><td>\(row.samples)</td>"
            body += report.metricNames.map { "<td>\(format(row.metrics[$0], percent: isPercent($0)))</td>" }.joined()
            body += String(format: "<td>%.1f</td><td>%.2f</td></tr>", row.tokensPerSecond, row.forwardPassesPerToken)
        }
        body += "</table>"
        for metric in report.metricNames.prefix(2) { body += "<div>\(barChart(report, metric: metric))</div>" }
        if !report.positionRates.isEmpty { body += "<div>\(positionChart(report.positionRates))</div>" }
        if !report.warnings.isEmpty { body += "<ul>" + report.warnings.map { "<li>warning: \(escape($0))</li>" }.joined() + "</ul>" }
        body += "<h2>Samples</h2>"
        for sample in report.samples {
            body += "<div class=\"sample\"><div class=\"meta\">\(escape(sample.model)) · \(escape(sample.method)) · seed \(sample.seed) · \(escape(sample.sampleID))"
            if !sample.note.isEmpty { body += " · \(escape(sample.note))" }
            body += "</div>"
            if let reasoning = sample.reasoning {
                body += "<details><summary>reasoning (not scored)</summary><div class=\"reasoning\">\(escape(reasoning))</div></details>"
            }
            body += "<div>\(marked(sample.text, sample.flagged))</div>"
            if !sample.flagged.isEmpty { body += "<div class=\"flags\">\(escape(sample.flagged.joined(separator: ", ")))</div>" }
            body += "</div>"
        }
        let style = """
        body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}table{border-collapse:collapse}\
        td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,td:nth-child(2){text-align:left}\
        mark{background:#ffb3b3}.sample{border-top:1px solid #eee;padding:6px 0}.meta{color:#777;font-size:12px}.flags{color:#b00;font-size:12px}\
        summary{color:#777;font-size:12px}.reasoning{color:#555;white-space:pre-wrap}
        """
        return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>\(escape(report.name))</title><style>\(style)</style></head><body>\(body)</body></html>\n"
    }
}
