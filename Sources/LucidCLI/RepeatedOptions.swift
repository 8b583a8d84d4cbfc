import ArgumentParser
import Foundation

/// Refuses a single-value option given more than once (`--model a --model b`), and a flag given with
/// its inversion (`--fused-attention --no-fused-attention`), which swift-argument-parser would settle
/// silently by keeping the last.
///
/// The parsed command's options come from swift-argument-parser's own description of it
/// (`_dumpHelp()`, the JSON of `--experimental-dump-help`): every `option` that is not repeating,
/// under each of its names, and every flag `--x` beside a flag `--no-x`. Options that take several
/// values (`--image`, `--stop`) may repeat, and so may a flag on its own.
enum RepeatedOptions {
    /// Throws a `ValidationError` naming the first single-value option of `command` that `arguments`
    /// (the command line after the executable, as parsed) gives more than once.
    static func check(_ command: any ParsableCommand, arguments: [String]) throws {
        guard let description = describe(type(of: command)) else { return }
        let names = singleValueOptionNames(description)
        let inversions = invertedFlags(description)
        var counts: [String: Int] = [:]
        var order: [String] = []
        var flags: Set<String> = []
        for argument in arguments {
            if argument == "--" { break }
            guard argument.hasPrefix("-") else { continue }
            let written = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            flags.insert(written)
            guard let option = names[written] else { continue }
            if counts[option] == nil { order.append(option) }
            counts[option, default: 0] += 1
        }
        if let option = order.first(where: { (counts[$0] ?? 0) > 1 }), let count = counts[option] {
            throw ValidationError("\(option) was given \(count) times; it takes one value (give it once)")
        }
        if let flag = inversions.first(where: { flags.contains($0) && flags.contains("--no-" + $0.dropFirst(2)) }) {
            throw ValidationError("\(flag) and --no-\(flag.dropFirst(2)) contradict each other; give one")
        }
    }

    /// swift-argument-parser's description of `command`, nil if it cannot be read.
    static func describe(_ command: any ParsableCommand.Type) -> Description? {
        try? JSONDecoder().decode(Description.self, from: Data(command._dumpHelp().utf8))
    }

    /// The flags `--x` of `description` that have an inversion `--no-x`, sorted.
    static func invertedFlags(_ description: Description) -> [String] {
        let flags = Set((description.command.arguments ?? []).filter { $0.kind == "flag" }
            .flatMap { ($0.names ?? []).filter { $0.kind == "long" }.map(\.name) })
        return flags.filter { flags.contains("no-" + $0) }.map { "--" + $0 }.sorted()
    }

    /// Every way of writing `command`'s single-value options (`--name`, `-n`, `-name`), each mapped to
    /// the option's preferred spelling.
    static func singleValueOptionNames(_ description: Description) -> [String: String] {
        var names: [String: String] = [:]
        for argument in description.command.arguments ?? [] where argument.kind == "option" && !argument.isRepeating {
            let spellings = (argument.names ?? []).compactMap(\.spelling)
            guard let preferred = spellings.first else { continue }
            for spelling in spellings { names[spelling] = preferred }
        }
        return names
    }

    /// The part of swift-argument-parser's `ToolInfoV0` read here.
    struct Description: Decodable {
        struct Command: Decodable {
            var arguments: [Argument]?
        }
        struct Argument: Decodable {
            var kind: String
            var isRepeating: Bool
            var names: [Name]?
        }
        struct Name: Decodable {
            var kind: String
            var name: String
            var spelling: String? {
                switch kind {
                case "long": "--" + name
                case "short", "longWithSingleDash": "-" + name
                default: nil
                }
            }
        }
        var command: Command
    }
}
