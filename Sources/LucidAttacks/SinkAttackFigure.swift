import LucidModels
import LucidTensor
import LucidVision

/// `lucid attack sink`'s figure: the clean and the adversarial image upscaled, the perturbation amplified
/// until it is visible, and the decoder's image attention of each image's response before and after.
///
/// The perturbation panel shows 0.5 + gain·δ per channel (grey is no change), with the gain that takes the
/// largest |δ| to full range; the gain is printed in the panel's title. Attention maps are min-max normalised
/// per panel (`Heatmap.overlay`), so they compare where the model looks, not how much.
public struct SinkAttackFigure: Sendable {
    public var clean: RGBImage
    public var adversarial: RGBImage
    /// Decoder image attention over the picture grid (row-major, `rows`×`columns`): the clean response under
    /// the clean image. Empty, with no attention panels, when the image's features form no grid (Q-Former queries).
    public var before: [Float]
    /// The same for the adversarial response under the adversarial image.
    public var after: [Float]
    public var rows: Int
    public var columns: Int
    /// Lines under the panels (the responses, the budget).
    public var caption: [AttentionFigure.Line]
    /// Long side of each panel in pixels (at least 336 so a person can read it).
    public var panelSize = 384
    public var margin = 14

    public init(clean: RGBImage, adversarial: RGBImage, before: [Float], after: [Float], rows: Int, columns: Int,
                caption: [AttentionFigure.Line]) {
        (self.clean, self.adversarial, self.before, self.after, self.rows, self.columns, self.caption) =
            (clean, adversarial, before, after, rows, columns, caption)
    }

    /// The visible perturbation image and its gain; throws `.invalidImage` when the two images differ in size.
    public static func perturbation(clean: RGBImage, adversarial: RGBImage) throws -> (image: RGBImage, gain: Double) {
        guard clean.width == adversarial.width, clean.height == adversarial.height else {
            throw ImageError.invalidImage(reason: "clean \(clean.width)x\(clean.height) and adversarial \(adversarial.width)x\(adversarial.height) differ in size")
        }
        let deltas = zip(adversarial.pixels, clean.pixels).map { Int($0) - Int($1) }
        let largest = max(1, deltas.map(abs).max() ?? 1)
        let gain = 127.5 / Double(largest)
        let pixels = deltas.map { UInt8(max(0, min(255, (127.5 + gain * Double($0)).rounded()))) }
        return (try RGBImage(width: clean.width, height: clean.height, pixels: pixels), gain)
    }

    /// One row of five panels (clean, adversarial, perturbation, attention before, attention after; three without a
    /// grid) and the caption. Throws `.invalidImage` when the images differ in size or a map does not have
    /// `rows`×`columns` finite values.
    public func render() throws -> RGBImage {
        let size = max(panelSize, 336)
        let (panelWidth, panelHeight) = clean.width >= clean.height
            ? (size, max(1, size * clean.height / clean.width)) : (max(1, size * clean.width / clean.height), size)
        let (delta, gain) = try Self.perturbation(clean: clean, adversarial: adversarial)
        let up = { (image: RGBImage, filter: ResampleFilter) in try image.resized(width: panelWidth, height: panelHeight, filter: filter) }
        let cleanUp = try up(clean, .bicubic), adversarialUp = try up(adversarial, .bicubic)
        var panels: [(String, RGBImage)] = [
            ("clean (\(clean.width)x\(clean.height) px)", cleanUp),
            ("adversarial", adversarialUp),
            ("perturbation x\(Int(gain.rounded())) (grey = 0)", try up(delta, .box)),
        ]
        if rows > 0 || columns > 0 || !before.isEmpty || !after.isEmpty {
            panels.append(("decoder image attention, clean", try Heatmap.overlay(image: cleanUp, values: before, gridWidth: columns, gridHeight: rows,
                                                                                 alpha: 0.55, colormap: .inferno)))
            panels.append(("decoder image attention, adversarial", try Heatmap.overlay(image: adversarialUp, values: after, gridWidth: columns,
                                                                                       gridHeight: rows, alpha: 0.55, colormap: .inferno)))
        }
        let font = BitmapFont.lucidMono
        let width = margin * (panels.count + 1) + panelWidth * panels.count
        let wrapped = caption.flatMap { line in
            font.wrapped(line.text, width: width - 2 * margin, scale: line.scale).map { AttentionFigure.Line($0, color: line.color, scale: line.scale) }
        }
        let titleHeight = font.cellHeight + 6
        let captionHeight = wrapped.reduce(0) { $0 + font.cellHeight * $1.scale + 4 }
        var figure = try RGBImage(width: width, height: margin + titleHeight + panelHeight + margin + captionHeight + margin,
                                  color: RGBColor(red: 255, green: 255, blue: 255))
        for (index, (title, image)) in panels.enumerated() {
            let left = margin + index * (panelWidth + margin)
            figure.draw(String(title.prefix(panelWidth / font.cellWidth)), x: left, y: margin, color: AttentionFigure.ink)
            figure.paste(image, x: left, y: margin + titleHeight)
        }
        var y = margin + titleHeight + panelHeight + margin
        for line in wrapped {
            figure.draw(line.text, x: margin, y: y, color: line.color, scale: line.scale)
            y += font.cellHeight * line.scale + 4
        }
        return figure
    }

    /// Where the figure of adversarial image `path` goes: `adv.png` → `adv_figure.png`.
    public static func path(forImage path: String) -> String {
        let base = path.lowercased().hasSuffix(".png") ? String(path.dropLast(4)) : path
        return base + "_figure.png"
    }
}

extension ImageAttackContext {
    /// The decoder's attention at `layer` (negative counts from the end) from the positions that generate
    /// `response` to the image features, mean over heads and those positions: one value per image feature.
    public func imageAttention(_ pixels01: Tensor, response: [Int], layer: Int) throws -> [Float] {
        let layers = model.layerCount
        let index = layer < 0 ? layer + layers : layer
        guard (0..<layers).contains(index) else { throw AttackError("layer \(layer) is outside the model's \(layers) layers") }
        let span = try model.imageSpans(ids: promptIDs + response, imageCount: 1)[0]
        return try withNoGrad { () throws -> [Float] in
            let options = ForwardOptions(attentionLayers: .layers([index]), attentionReduction: .mean, logits: .none)
            let trace = try forward(pixels01, continuation: response, options: options)
            guard let attention = trace.attentions[index] else { throw AttackError("no attention captured") }
            let rows = attention.selected(axis: 0, index: 0)  // [H', T, S]
                .narrowed(axis: 1, start: inputLength - 1, length: max(1, response.count))
                .narrowed(axis: 2, start: span.lowerBound, length: span.count)
            return rows.mean(axes: [0, 1]).to(.f32).toArray(Float.self)
        }
    }

    /// The figure of a sink attack from the clean and adversarial images [1, 3, H, W] in [0, 1] and their responses.
    /// The attention maps cover the span's picture grid (`VisionLanguageModel.imageSpanLayout`: LLaVA's patches,
    /// Qwen2-VL's merged h/2 × w/2 grid); features that form none (InstructBLIP's queries) get no attention panels,
    /// and the caption says so.
    public func sinkFigure(clean: Tensor, adversarial: Tensor, cleanResponse: [Int], adversarialResponse: [Int], layer: Int,
                           caption: [AttentionFigure.Line]) throws -> SinkAttackFigure {
        let layout = try model.imageSpanLayout(of: modelImage(clean))
        var caption = caption
        var maps: (before: [Float], after: [Float]) = ([], [])
        if layout.hasGrid {
            let before = try imageAttention(clean, response: cleanResponse, layer: layer)
            let after = try imageAttention(adversarial, response: adversarialResponse, layer: layer)
            guard let last = layout.gridOffsets.max(), last < before.count, last < after.count else {
                throw AttackError("the picture grid (\(layout.rows)x\(layout.columns)) lies outside the \(before.count) image features")
            }
            maps = (layout.gridOffsets.map { before[$0] }, layout.gridOffsets.map { after[$0] })
        } else {
            caption.append(.init("the image's features form no picture grid (query tokens): no attention panels", color: AttentionFigure.muted))
        }
        return SinkAttackFigure(clean: try FloatImage(tensor: clean).rgbImage(), adversarial: try FloatImage(tensor: adversarial).rgbImage(),
                                before: maps.before, after: maps.after, rows: layout.hasGrid ? layout.rows : 0,
                                columns: layout.hasGrid ? layout.columns : 0, caption: caption)
    }
}
