import Foundation

/// Pixel budgets written as numbers or fractions: `8/255`, `0.03`, `2`.
public enum PixelAmount {
    /// The value of `text`; `name` says which option it was, in the error.
    public static func parse(_ text: String, name: String) throws(RunSpecError) -> Double {
        let parts = text.split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), b != 0 { return a / b }
        if parts.count == 1, let value = Double(parts[0]) { return value }
        throw RunSpecError("\(name): '\(text)' is not a number or a fraction like 8/255")
    }
}
