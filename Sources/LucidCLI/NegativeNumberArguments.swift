/// Lets a negative number follow an option as its value: `--beams -1` becomes `--beams=-1`, so it
/// reaches the option's range check ("beams must be in 1…64") instead of being read as the unknown
/// short flag `-1` and reported as a missing value.
///
/// swift-argument-parser reads a token that starts with `-` as an option name. Lucid has no option
/// whose name starts with a digit or `.`, so a token like `-1`, `-0.5`, `-.5`, `-8/255` or `-inf`
/// right after a `--name` option (written without `=`) can only be meant as its value. A token
/// after a flag (which takes no value) then gives "flag does not take a value", still an error.
enum NegativeNumberArguments {
    static func joined(_ arguments: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(arguments.count)
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {  // everything after `--` is positional
                result.append(contentsOf: arguments[index...])
                break
            }
            if argument.hasPrefix("--"), argument.count > 2, !argument.contains("="),
               index + 1 < arguments.count, isNegativeNumber(arguments[index + 1]) {
                result.append(argument + "=" + arguments[index + 1])
                index += 2
                continue
            }
            result.append(argument)
            index += 1
        }
        return result
    }

    /// `-` followed by a digit or `.` (`-1`, `-0.5`, `-.5`, `-8/255`, `-1e3`), or `-inf`/`-nan`.
    static func isNegativeNumber(_ token: String) -> Bool {
        guard token.hasPrefix("-"), token.count >= 2 else { return false }
        let rest = token.dropFirst()
        if ["inf", "infinity", "nan"].contains(rest.lowercased()) { return true }
        guard let first = rest.first else { return false }
        return first.isASCII && (first.isNumber || first == ".")
    }
}
