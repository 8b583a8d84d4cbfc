/// A figure a person reads: the model's view of an image, upscaled, with attention heatmaps side by side,
/// marked patches, panel titles and a caption underneath.
///
/// Typical use (`lucid analyze attention`): panel 1 the decoder's image attention of one generated token or
/// sentence, panel 2 the ViT's [CLS] attention, the top ViT outliers outlined in both, and the token or
/// sentence as the caption, in red when it names a hallucinated object.
public struct AttentionFigure: Sendable {
    /// One heatmap panel over the image.
    public struct Panel: Sendable {
        public var title: String
        /// Row-major grid values (any scale; min-max normalised for display).
        public var values: [Float]
        /// Patch indices (row-major in the grid) outlined on this panel.
        public var marked: [Int]

        public init(title: String, values: [Float], marked: [Int] = []) {
            (self.title, self.values, self.marked) = (title, values, marked)
        }
    }

    /// One caption line; `scale` 2 draws it twice as large.
    public struct Line: Sendable {
        public var text: String
        public var color: RGBColor
        public var scale: Int

        public init(_ text: String, color: RGBColor = AttentionFigure.ink, scale: Int = 1) {
            (self.text, self.color, self.scale) = (text, color, scale)
        }
    }

    public static let ink = RGBColor(red: 20, green: 20, blue: 20)
    public static let hallucinated = RGBColor(red: 200, green: 30, blue: 30)
    public static let correct = RGBColor(red: 20, green: 130, blue: 50)
    public static let muted = RGBColor(red: 100, green: 100, blue: 100)
    static let paper = RGBColor(red: 255, green: 255, blue: 255)
    static let markColor = RGBColor(red: 255, green: 255, blue: 255)

    /// The image the model saw (the preprocessed crop the grid covers).
    public var image: RGBImage
    public var gridWidth: Int
    public var gridHeight: Int
    /// Long side of each panel in pixels (at least 336 so a person can read it).
    public var panelSize: Int = 384
    /// Heatmap opacity over the image.
    public var alpha: Float = 0.55
    public var colormap: Colormap = .inferno
    /// Space around and between panels.
    public var margin = 14

    public init(image: RGBImage, gridWidth: Int, gridHeight: Int) {
        (self.image, self.gridWidth, self.gridHeight) = (image, gridWidth, gridHeight)
    }

    /// Renders the image alone as the first panel, then `panels`, then `caption` wrapped to the figure's width;
    /// a `frame` colour draws a border around the whole figure (e.g. red for a hallucination).
    /// Throws `.invalidImage` when a panel's value count is not `gridWidth * gridHeight` or a value is not finite.
    public func render(panels: [Panel], caption: [Line], frame: RGBColor? = nil) throws -> RGBImage {
        let size = max(panelSize, 336)
        let (panelWidth, panelHeight) = image.width >= image.height
            ? (size, max(1, size * image.height / image.width)) : (max(1, size * image.width / image.height), size)
        let upscaled = try image.resized(width: panelWidth, height: panelHeight, filter: .bicubic)
        let font = BitmapFont.lucidMono
        let count = panels.count + 1
        let width = margin * (count + 1) + panelWidth * count
        let textWidth = width - 2 * margin
        let wrapped = caption.flatMap { line in font.wrapped(line.text, width: textWidth, scale: line.scale).map { Line($0, color: line.color, scale: line.scale) } }
        let titleHeight = font.cellHeight + 6
        let captionHeight = wrapped.reduce(0) { $0 + font.cellHeight * $1.scale + 4 }
        let height = margin + titleHeight + panelHeight + margin + captionHeight + margin
        var figure = try RGBImage(width: width, height: height, color: Self.paper)
        let top = margin + titleHeight
        figure.draw("image (model input, \(image.width)x\(image.height) px)", x: margin, y: margin, color: Self.muted)
        figure.paste(upscaled, x: margin, y: top)
        for (index, panel) in panels.enumerated() {
            let left = margin + (index + 1) * (panelWidth + margin)
            var shown = try Heatmap.overlay(image: upscaled, values: panel.values, gridWidth: gridWidth, gridHeight: gridHeight,
                                            alpha: alpha, colormap: colormap)
            for (rank, patch) in panel.marked.enumerated() where patch >= 0 && patch < gridWidth * gridHeight {
                let (column, row) = (patch % gridWidth, patch / gridWidth)
                let x0 = column * panelWidth / gridWidth + 1, x1 = (column + 1) * panelWidth / gridWidth - 1
                let y0 = row * panelHeight / gridHeight + 1, y1 = (row + 1) * panelHeight / gridHeight - 1
                shown.stroke(x: x0, y: y0, width: max(x1 - x0, 1), height: max(y1 - y0, 1), color: Self.markColor, thickness: 2)
                let label = "\(rank + 1)"  // the patch's rank, in a dark tab at the box's corner
                shown.fill(x: x0, y: y0, width: font.width(of: label) + 4, height: font.cellHeight + 2, color: Self.ink)
                shown.draw(label, x: x0 + 2, y: y0 + 1, color: Self.markColor)
            }
            figure.paste(shown, x: left, y: top)
            figure.draw(String(panel.title.prefix(panelWidth / font.cellWidth)), x: left, y: margin, color: Self.ink)
        }
        var y = top + panelHeight + margin
        for line in wrapped {
            figure.draw(line.text, x: margin, y: y, color: line.color, scale: line.scale)
            y += font.cellHeight * line.scale + 4
        }
        if let frame { figure.stroke(x: 0, y: 0, width: width, height: height, color: frame, thickness: 4) }
        return figure
    }
}
