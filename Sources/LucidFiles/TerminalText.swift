/// Text from files (tokens, metadata, captions) made safe to print on a terminal.
public enum TerminalText {
    /// `text` with C0/C1 control characters (ESC, BEL, backspace, carriage return, …) and DEL
    /// written as `\u{1B}`-style escapes, so a hostile file cannot move the cursor, retitle the
    /// terminal or hide text. Newlines and tabs are escaped too unless `keepLines` is true.
    public static func escaped(_ text: String, keepLines: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let value = scalar.value
            let control = value < 0x20 || value == 0x7F || (0x80 ... 0x9F).contains(value)
                || (0x202A ... 0x202E).contains(value) || (0x2066 ... 0x2069).contains(value)  // bidi overrides
            if control, !(keepLines && (scalar == "\n" || scalar == "\t")) {
                out += "\\u{" + String(value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
