import Foundation

/// `loss.csv` of a stage: one row per step (`step,loss,lr,grad_norm` and the stage's own metrics),
/// appended as training goes. On resume, rows at or after the checkpoint's step are dropped first,
/// since those steps are trained again.
struct LossCurveFile {
    let url: URL
    private(set) var firstLoss: Double?
    private(set) var lastLoss: Double?
    private var metricNames: [String]?
    private let handle: FileHandle

    init(url: URL, keepingStepsBelow start: Int) throws {
        self.url = url
        var kept: [String] = []
        if let text = try? String(contentsOf: url, encoding: .utf8) {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            if let header = lines.first {
                kept.append(header)
                let names = header.split(separator: ",").dropFirst(4).map(String.init)
                metricNames = names
                for line in lines.dropFirst() {
                    let fields = line.split(separator: ",")
                    guard let step = fields.first.flatMap({ Int($0) }), step < start else { continue }
                    kept.append(line)
                    if let loss = fields.dropFirst().first.flatMap({ Double($0) }) {
                        if firstLoss == nil { firstLoss = loss }
                        lastLoss = loss
                    }
                }
            }
        }
        let body = kept.isEmpty ? "" : kept.joined(separator: "\n") + "\n"
        try body.write(to: url, atomically: true, encoding: .utf8)
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    mutating func append(step: Int, loss: Double, learningRate: Double, gradientNorm: Double, metrics: [String: Double]) throws {
        if metricNames == nil {
            let names = metrics.keys.sorted()
            metricNames = names
            try handle.write(contentsOf: Data((["step", "loss", "lr", "grad_norm"] + names).joined(separator: ",").utf8 + [10]))
        }
        let extra = (metricNames ?? []).map { metrics[$0].map { String(format: "%.6g", $0) } ?? "" }
        let row = [String(step), String(format: "%.6g", loss), String(format: "%.6g", learningRate), String(format: "%.6g", gradientNorm)] + extra
        try handle.write(contentsOf: Data(row.joined(separator: ",").utf8 + [10]))
        if firstLoss == nil { firstLoss = loss }
        lastLoss = loss
    }
}

/// Draws loss curves (one polyline per stage, smoothed over a window) as a small SVG.
public enum LossCurvePlot {
    /// An SVG of `curves` (stage name → losses in step order).
    public static func svg(_ curves: [(name: String, losses: [Double])], width: Int = 640, height: Int = 300) -> String {
        let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
        let smoothed = curves.map { ($0.name, smooth($0.losses, window: Swift.max(1, $0.losses.count / 100))) }
        let all = smoothed.flatMap(\.1).filter(\.isFinite)
        let total = Swift.max(1, smoothed.map(\.1.count).reduce(0, +))
        let top = all.max() ?? 1
        let bottom = Swift.min(0, all.min() ?? 0)
        let left = 50.0, right = Double(width) - 10, upper = 20.0, lower = Double(height) - 30
        func x(_ i: Int) -> Double { left + (right - left) * Double(i) / Double(Swift.max(1, total - 1)) }
        func y(_ v: Double) -> Double { lower - (lower - upper) * (v - bottom) / Swift.max(1e-9, top - bottom) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<line x1=\"\(left)\" y1=\"\(lower)\" x2=\"\(right)\" y2=\"\(lower)\" stroke=\"#888\"/><line x1=\"\(left)\" y1=\"\(upper)\" x2=\"\(left)\" y2=\"\(lower)\" stroke=\"#888\"/>\n"
        out += "<text x=\"4\" y=\"\(upper + 4)\">\(String(format: "%.2f", top))</text><text x=\"4\" y=\"\(lower)\">\(String(format: "%.2f", bottom))</text>\n"
        out += "<text x=\"\(right - 60)\" y=\"\(Double(height) - 8)\">step → \(total)</text>\n"
        var offset = 0
        for (index, (name, losses)) in smoothed.enumerated() {
            let colour = palette[index % palette.count]
            let points = losses.enumerated().filter { $0.element.isFinite }
                .map { String(format: "%.1f,%.1f", x(offset + $0.offset), y($0.element)) }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
            out += "<text x=\"\(x(offset) + 4)\" y=\"\(upper + 14 + Double(index) * 13)\" fill=\"\(colour)\">\(escape(name))</text>\n"
            offset += losses.count
        }
        return out + "</svg>\n"
    }

    /// Losses of a stage's `loss.csv` (the second column), in file order.
    public static func losses(csv url: URL) -> [Double] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in line.split(separator: ",").dropFirst().first.flatMap { Double($0) } }
    }

    static func smooth(_ values: [Double], window: Int) -> [Double] {
        guard window > 1 else { return values }
        var result: [Double] = []
        var sum = 0.0
        for (i, v) in values.enumerated() {
            sum += v
            if i >= window { sum -= values[i - window] }
            result.append(sum / Double(Swift.min(i + 1, window)))
        }
        return result
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
