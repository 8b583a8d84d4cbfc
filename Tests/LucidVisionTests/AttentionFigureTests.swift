import Testing
@testable import LucidVision

/// Figure pieces: the bitmap font, drawing, and the side-by-side attention figure.
@Suite struct AttentionFigureTests {
    static let white = RGBColor(red: 255, green: 255, blue: 255)
    static let black = RGBColor(red: 0, green: 0, blue: 0)

    func inked(_ image: RGBImage, x: Range<Int>, y: Range<Int>) -> Int {
        var count = 0
        for row in y { for column in x where image.pixel(x: column, y: row) != Self.white { count += 1 } }
        return count
    }

    @Test func textInksItsOwnCellsOnly() throws {
        var image = try RGBImage(width: 40, height: 20, color: Self.white)
        image.draw("A.", x: 0, y: 0, color: Self.black)
        let font = BitmapFont.lucidMono
        #expect(inked(image, x: 0..<font.cellWidth, y: 0..<font.cellHeight) > 10, "an A has ink")
        #expect((1...12).contains(inked(image, x: font.cellWidth..<2 * font.cellWidth, y: 0..<font.cellHeight)), "a full stop has a little")
        #expect(inked(image, x: 2 * font.cellWidth..<40, y: 0..<20) == 0)
        var scaled = try RGBImage(width: 40, height: 40, color: Self.white)
        scaled.draw("A", x: 0, y: 0, color: Self.black, scale: 2)
        #expect(inked(scaled, x: 0..<16, y: 0..<30) > 3 * inked(image, x: 0..<8, y: 0..<15))
    }

    @Test func glyphsDiffer() throws {
        func cell(_ c: String) throws -> [UInt8] {
            var image = try RGBImage(width: 8, height: 15, color: Self.white)
            image.draw(c, x: 0, y: 0, color: Self.black)
            return image.pixels
        }
        let glyphs = try ["a", "b", "e", "o", "1", "l", "I", "?", "é"].map(cell)
        #expect(Set(glyphs.prefix(8)).count == 8)
        #expect(glyphs[8] == glyphs[7], "characters outside ASCII are drawn as ?")
    }

    @Test func wrappingKeepsLinesInsideTheWidthAndLosesNoWord() {
        let font = BitmapFont.lucidMono
        let text = "There is a red cube in the top left corner and a supercalifragilistic star."
        let lines = font.wrapped(text, width: 80)  // 10 characters
        #expect(lines.allSatisfy { font.width(of: $0) <= 80 })
        #expect(lines.joined(separator: " ").replacingOccurrences(of: " ", with: "") == text.replacingOccurrences(of: " ", with: ""))
        #expect(font.wrapped("", width: 80) == [""])
    }

    @Test func figurePanelsAreUpscaledSideBySideWithMarkedPatches() throws {
        let image = try RGBImage(width: 28, height: 28, color: RGBColor(red: 90, green: 120, blue: 150))
        var figure = AttentionFigure(image: image, gridWidth: 4, gridHeight: 4)
        figure.panelSize = 100  // below the readable minimum: raised to 336
        let values = (0..<16).map(Float.init)
        let rendered = try figure.render(panels: [.init(title: "decoder", values: values, marked: [0]), .init(title: "vit", values: values.reversed())],
                                         caption: [.init("token 3: \"cube\"", color: AttentionFigure.hallucinated, scale: 2)],
                                         frame: AttentionFigure.hallucinated)
        let m = figure.margin
        #expect(rendered.width == 3 * 336 + 4 * m)
        #expect(rendered.height > 336 + 2 * 30)
        // Patch 0 of the first heatmap panel is outlined in white; the image panel is not.
        let panelLeft = 2 * m + 336, top = m + BitmapFont.lucidMono.cellHeight + 6
        #expect(rendered.pixel(x: panelLeft + 1, y: top + 40) == AttentionFigure.markColor)
        #expect(rendered.pixel(x: m + 1, y: top + 40) != AttentionFigure.markColor)
        #expect(rendered.pixel(x: 1, y: 1) == AttentionFigure.hallucinated, "the frame marks a hallucination")
        #expect(throws: ImageError.self) { try figure.render(panels: [.init(title: "bad", values: [1, 2])], caption: []) }
    }
}
