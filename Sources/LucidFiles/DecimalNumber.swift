/// Numbers written in decimal, as flags, manifests and fractions like `8/255` take them.
///
/// Swift's `Double(String)` also reads hexadecimal floats (`0x1p3` is 8, `0x10` is 16) and the
/// words `nan`, `inf` and `infinity`. A value typed by a person or written in a run file should
/// mean what it looks like, so outside numbers go through `parse`, which takes only decimal
/// notation, and errors can say why with `isHexadecimal`.
public enum DecimalNumber {
    /// The value of `text` when it is a finite decimal number (`12`, `-0.5`, `.5`, `+3`, `1e-3`,
    /// `2.5E+4`), else nil: hexadecimal, `nan`, `inf`, surrounding spaces, empty text, or a value
    /// that overflows to infinity.
    public static func parse<Text: StringProtocol>(_ text: Text) -> Double? {
        guard isDecimal(text), let value = Double(String(text)), value.isFinite else { return nil }
        return value
    }

    /// Whether `text` has decimal syntax: sign, digits with at most one point (at least one
    /// digit), then an optional exponent `e`/`E`, sign and digits. ASCII only.
    public static func isDecimal<Text: StringProtocol>(_ text: Text) -> Bool {
        var bytes = Array(text.utf8)[...]
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        var digits = 0
        var point = false
        while let byte = bytes.first {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits += 1
            } else if byte == UInt8(ascii: "."), !point {
                point = true
            } else {
                break
            }
            bytes = bytes.dropFirst()
        }
        guard digits > 0 else { return false }
        guard let marker = bytes.first else { return true }
        guard marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") else { return false }
        bytes = bytes.dropFirst()
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        return !bytes.isEmpty && bytes.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Whether `text` is a hexadecimal number Swift's `Double(String)` would read (`0x10`,
    /// `-0x1p3`, `0X1.8P1`): worth a message of its own ("write it in decimal").
    public static func isHexadecimal<Text: StringProtocol>(_ text: Text) -> Bool {
        var rest = Substring(text)
        if let first = rest.first, first == "+" || first == "-" { rest = rest.dropFirst() }
        guard rest.hasPrefix("0x") || rest.hasPrefix("0X") else { return false }
        return Double(String(text)) != nil
    }

    /// "'TEXT' is hexadecimal: write the number in decimal" or "'TEXT' is not a decimal number".
    public static func problem<Text: StringProtocol>(_ text: Text) -> String {
        isHexadecimal(text) ? "'\(text)' is a hexadecimal number: write it in decimal" : "'\(text)' is not a decimal number"
    }
}
