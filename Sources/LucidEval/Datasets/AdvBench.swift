import Foundation
import LucidFiles
import LucidSupport

/// AdvBench's harmful behaviours (Zou et al. 2023, MIT; `Data/advbench/harmful_behaviors.csv`) and
/// the fixed split Lucid uses: one half to align `smol-aligned`, the other held out for SCAV and
/// for measuring refusal. Malformed files are `EvalError`s naming the file (and the row).
public struct AdvBench: Sendable {
    /// Goal and the affirmative target of each behaviour, in file order.
    public let behaviors: [(goal: String, target: String)]

    /// Reads `harmful_behaviors.csv` (header `goal,target`, RFC 4180 quoting).
    public init(csv url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw EvalError.missingResource(name: "AdvBench's harmful_behaviors.csv", path: url.path,
                                            hint: "Run from the repository (Data/advbench/), or set LUCID_ADVBENCH to the file.")
        }
        guard let text = try? SafeFile.readText(url.path) else {
            throw EvalError.unreadable(path: url.path, reason: "not a readable AdvBench CSV")
        }
        let rows = CSVRows.parse(text)
        guard let header = rows.first, header.count >= 2, header[0] == "goal", header[1] == "target" else {
            throw EvalError.invalidField(path: url.path, line: 1, field: "header", reason: "is not goal,target")
        }
        var behaviors: [(String, String)] = []
        for (index, row) in rows.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
            guard row.count == 2 else {
                throw EvalError.invalidField(path: url.path, line: index + 2, field: "row", reason: "has \(row.count) fields, expected 2")
            }
            behaviors.append((row[0], row[1]))
        }
        guard !behaviors.isEmpty else { throw EvalError.emptyInput(path: url.path) }
        self.behaviors = behaviors
    }

    /// The default location: LUCID_ADVBENCH, else `Data/advbench/harmful_behaviors.csv` next to the
    /// working directory or above the executable.
    public static var defaultURL: URL {
        if let explicit = ProcessInfo.processInfo.environment["LUCID_ADVBENCH"], !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        let relative = "Data/advbench/harmful_behaviors.csv"
        var url = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = url.appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: relative)
    }

    /// Indices of the training and held-out halves: a seeded shuffle, first half for training.
    public func split(seed: UInt64) -> (train: [Int], heldOut: [Int]) {
        var order = Array(behaviors.indices)
        var random = SplitMix64.stream(seed: seed, stream: 40)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random.below(i + 1)) }
        let half = order.count / 2
        return (order[..<half].sorted(), order[half...].sorted())
    }
}

/// Minimal RFC 4180 CSV: fields separated by commas, quoted fields may hold commas, newlines and "".
enum CSVRows {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r\n" {
                row.append(field); field = ""
                rows.append(row); row = []
            } else if c != "\r" {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
