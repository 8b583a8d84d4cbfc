import Foundation

/// A fixed-width bitmap font for labels on figures: LucidMono, printable ASCII rasterised from DejaVu Sans Mono
/// (`scripts/make_bitmap_font.py`), drawn with its 16-level coverage blended over the image.
///
/// Characters outside printable ASCII are drawn as `?`. `scale` repeats each font pixel (1: 8×15 cells).
public struct BitmapFont: Sendable {
    /// Cell width and height in pixels at scale 1.
    public let cellWidth: Int
    public let cellHeight: Int
    /// Coverage 0…15 per pixel, glyph after glyph, row-major.
    private let coverage: [UInt8]
    private static let first: UInt32 = 32, last: UInt32 = 126

    /// The bundled LucidMono font.
    public static let lucidMono: BitmapFont = {
        let text = lucidMonoGlyphs.filter { !$0.isWhitespace }
        let bytes = Data(base64Encoded: text).map(Array.init) ?? []
        var coverage: [UInt8] = []
        coverage.reserveCapacity(bytes.count * 2)
        for byte in bytes { coverage += [byte >> 4, byte & 15] }
        return BitmapFont(cellWidth: 8, cellHeight: 15, coverage: coverage)
    }()

    init(cellWidth: Int, cellHeight: Int, coverage: [UInt8]) {
        precondition(coverage.count == cellWidth * cellHeight * Int(Self.last - Self.first + 1), "bitmap font table is corrupt")
        (self.cellWidth, self.cellHeight, self.coverage) = (cellWidth, cellHeight, coverage)
    }

    /// Width in pixels of `text` drawn at `scale`.
    public func width(of text: String, scale: Int = 1) -> Int { text.count * cellWidth * max(scale, 1) }

    /// `text` broken at spaces into lines of at most `width` pixels at `scale` (words longer than a line are cut).
    public func wrapped(_ text: String, width: Int, scale: Int = 1) -> [String] {
        let perLine = max(1, width / (cellWidth * max(scale, 1)))
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            var word = word
            while word.count > perLine {
                if !current.isEmpty { lines.append(current); current = "" }
                lines.append(String(word.prefix(perLine)))
                word = String(word.dropFirst(perLine))
            }
            if current.isEmpty { current = word } else if current.count + 1 + word.count <= perLine { current += " " + word } else {
                lines.append(current)
                current = word
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    /// Coverage 0…15 of pixel (`x`, `y`) of the cell of `character`.
    func coverage(of character: Character, x: Int, y: Int) -> UInt8 {
        let scalar = character.unicodeScalars.count == 1 ? character.unicodeScalars.first?.value ?? 63 : 63
        let code = (Self.first ... Self.last).contains(scalar) ? scalar : 63
        return coverage[(Int(code - Self.first) * cellHeight + y) * cellWidth + x]
    }
}

extension RGBImage {
    /// Draws `text` with its top-left corner at (`x`, `y`) in `color`; pixels outside the image are skipped.
    public mutating func draw(_ text: String, x: Int, y: Int, color: RGBColor, font: BitmapFont = .lucidMono, scale: Int = 1) {
        let scale = max(scale, 1)
        for (index, character) in text.enumerated() where character != " " {
            let left = x + index * font.cellWidth * scale
            for gy in 0..<font.cellHeight {
                for gx in 0..<font.cellWidth {
                    let ink = font.coverage(of: character, x: gx, y: gy)
                    guard ink > 0 else { continue }
                    for sy in 0..<scale {
                        for sx in 0..<scale { blend(x: left + gx * scale + sx, y: y + gy * scale + sy, color: color, weight: Float(ink) / 15) }
                    }
                }
            }
        }
    }

    /// Fills the rectangle (clipped to the image) with `color`.
    public mutating func fill(x: Int, y: Int, width: Int, height: Int, color: RGBColor) {
        let (x0, x1, y0, y1) = (max(x, 0), min(x + width, self.width), max(y, 0), min(y + height, self.height))
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            for column in x0..<x1 { setPixel(x: column, y: row, to: color) }
        }
    }

    /// Draws the outline of a rectangle, `thickness` pixels wide, inside its bounds.
    public mutating func stroke(x: Int, y: Int, width: Int, height: Int, color: RGBColor, thickness: Int = 1) {
        let t = max(1, min(thickness, width, height))
        fill(x: x, y: y, width: width, height: t, color: color)
        fill(x: x, y: y + height - t, width: width, height: t, color: color)
        fill(x: x, y: y, width: t, height: height, color: color)
        fill(x: x + width - t, y: y, width: t, height: height, color: color)
    }

    /// Copies `image` with its top-left corner at (`x`, `y`), clipped to this image.
    public mutating func paste(_ image: RGBImage, x: Int, y: Int) {
        for row in 0..<image.height where y + row >= 0 && y + row < height {
            for column in 0..<image.width where x + column >= 0 && x + column < width {
                let source = (row * image.width + column) * 3
                let target = ((y + row) * width + x + column) * 3
                pixels[target] = image.pixels[source]
                pixels[target + 1] = image.pixels[source + 1]
                pixels[target + 2] = image.pixels[source + 2]
            }
        }
    }

    /// `(1 − weight) · pixel + weight · color` at (`x`, `y`); nothing outside the image.
    mutating func blend(x: Int, y: Int, color: RGBColor, weight: Float) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let index = (y * width + x) * 3
        for (offset, value) in [color.red, color.green, color.blue].enumerated() {
            let mixed = (1 - weight) * Float(pixels[index + offset]) + weight * Float(value)
            pixels[index + offset] = UInt8(clamping: Int(mixed.rounded()))
        }
    }
}
