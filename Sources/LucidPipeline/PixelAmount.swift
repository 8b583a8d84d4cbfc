import Foundation
import LucidFiles

/// Pixel budgets written as numbers or fractions: `8/255`, `0.03`, `2`.
public enum PixelAmount {
    /// The value of `text`; `name` says which option it was, in the error.
    ///
    /// The sign is kept exactly as written (`-8/255` is −8/255, which the attack's range check
    /// refuses); a fraction needs a positive denominator (`8/-255` and `-8/-255` are errors, not
    /// 8/255), and NaN or infinite values are errors. Spaces are refused as `DecimalNumber` refuses
    /// them in every other number Lucid reads (`" 1"`, `8 / 255`), so no text is read as a value it
    /// does not spell.
    public static func parse(_ text: String, name: String) throws(RunSpecError) -> Double {
        guard !text.contains(where: \.isWhitespace) else {
            throw RunSpecError("\(name): '\(text)' has spaces: write the number or fraction without them, like 8/255")
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let value: Double?
        switch parts.count {
        case 1: value = DecimalNumber.parse(parts[0])
        case 2:
            guard let a = DecimalNumber.parse(parts[0]), let b = DecimalNumber.parse(parts[1]) else { value = nil; break }
            guard b > 0 else { throw RunSpecError("\(name): '\(text)': the denominator must be positive") }
            value = a / b
        default: value = nil
        }
        guard let value else {
            let hexadecimal = parts.contains { DecimalNumber.isHexadecimal($0) } ? " (hexadecimal numbers are not read: write them in decimal)" : ""
            throw RunSpecError("\(name): '\(text)' is not a decimal number or a fraction like 8/255\(hexadecimal)")
        }
        guard value.isFinite else { throw RunSpecError("\(name): '\(text)' is not a finite number") }
        return value
    }
}
