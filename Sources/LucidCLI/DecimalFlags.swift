import ArgumentParser
import LucidFiles

/// Refuses a hexadecimal value for an option read as a floating-point number
/// (`--temperature 0x1p3`), which swift-argument-parser would take through `Double(String)` as 8.
///
/// After parsing, the command's `Double`/`Float` options (also in option groups) are found by
/// reflection and their values looked up in the arguments as written: `--name VALUE` or
/// `--name=VALUE`. Option names follow swift-argument-parser's default (`topP` → `--top-p`);
/// Lucid gives no floating-point option a custom name.
enum DecimalFlags {
    /// Throws a `ValidationError` naming the option when one of `command`'s floating-point
    /// options is given a hexadecimal value in `arguments`.
    static func check(_ command: any ParsableArguments, arguments: [String]) throws {
        let names = Set(floatingOptionNames(command))
        guard !names.isEmpty else { return }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { break }
            if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                if let equals = body.firstIndex(of: "=") {
                    try require(name: String(body[..<equals]), value: String(body[body.index(after: equals)...]), in: names)
                } else if names.contains(String(body)), index + 1 < arguments.count {
                    try require(name: String(body), value: arguments[index + 1], in: names)
                    index += 1
                }
            }
            index += 1
        }
    }

    private static func require(name: String, value: String, in names: Set<String>) throws {
        guard names.contains(name), DecimalNumber.isHexadecimal(value) else { return }
        throw ValidationError("--\(name): '\(value)' is a hexadecimal number; write it in decimal")
    }

    /// The long names of `value`'s `Double`, `Float` (optional or array) options, option groups included.
    static func floatingOptionNames(_ value: Any) -> [String] {
        var names: [String] = []
        for child in Mirror(reflecting: value).children {
            guard let label = child.label, label.hasPrefix("_") else { continue }
            if child.value is any FloatingOption {
                names.append(optionName(String(label.dropFirst())))
            } else if let group = child.value as? any OptionGroupContents {
                names += floatingOptionNames(group.contents)
            }
        }
        return names
    }

    /// swift-argument-parser's default long name of a property: `topP` → `top-p`, `maxURLCount` → `max-url-count`.
    static func optionName(_ property: String) -> String {
        let characters = Array(property)
        var name = ""
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) { name.append("-") }
            }
            name += character.lowercased()
        }
        return name
    }
}

/// Values read through `Double(String)`-like parsing.
protocol FloatingOptionValue {}
extension Double: FloatingOptionValue {}
extension Float: FloatingOptionValue {}
extension Optional: FloatingOptionValue where Wrapped: FloatingOptionValue {}
extension Array: FloatingOptionValue where Element: FloatingOptionValue {}

/// An `@Option` whose value is floating-point.
protocol FloatingOption {}
extension Option: FloatingOption where Value: FloatingOptionValue {}

/// An `@OptionGroup`'s parsed arguments.
protocol OptionGroupContents { var contents: Any { get } }
extension OptionGroup: OptionGroupContents { var contents: Any { wrappedValue } }
