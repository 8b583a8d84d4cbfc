import Foundation
import Testing
@testable import LucidAttacks
@testable import LucidTensor
@testable import LucidVision

/// `lucid attack sink`'s figure: five panels at a readable size, the perturbation made visible.
@Suite("sink attack figure")
struct SinkAttackFigureTests {
    @Test func theFigureOfATinyModelsAttackIsWrittenWithFivePanelsAndTheCaption() throws {
        let ctx = try ImageAttackTests().context()
        let clean = Tensor.rand([1, 3, 32, 32], dtype: .f64, generator: Generator(seed: 4))
        let noise = Tensor.rand([1, 3, 32, 32], dtype: .f64, generator: Generator(seed: 5)) - 0.5
        let adversarial = (clean + noise.sign() * (8.0 / 255)).clamped(min: 0, max: 1)
        let figure = try ctx.sinkFigure(clean: clean, adversarial: adversarial, cleanResponse: [12, 4, 30, 8], adversarialResponse: [3, 9],
                                        layer: -2, caption: [.init("clean: a"), .init("adversarial: b"), .init("budget")])
        #expect(figure.rows == 2 && figure.columns == 2 && figure.before.count == 4 && figure.after.count == 4)  // 32 px, 16 px patches
        // Attention rows are distributions: the share on the image is in (0, 1].
        for map in [figure.before, figure.after] { #expect(map.allSatisfy { $0 >= 0 } && map.reduce(0, +) > 0 && map.reduce(0, +) <= 1.0001) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-sink-figure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = SinkAttackFigure.path(forImage: directory.appendingPathComponent("adv.png").path)
        #expect(path.hasSuffix("/adv_figure.png"))
        try ImageEncoder.writePNG(try figure.render(), to: path)
        let written = try ImageDecoder.decode(path: path)
        let cell = BitmapFont.lucidMono.cellHeight
        #expect(written.width == 14 * 6 + 384 * 5)
        #expect(written.height == 14 + (cell + 6) + 384 + 14 + 3 * (cell + 4) + 14)
    }

    @Test func thePerturbationIsGreyWhereNothingChangedAndFullRangeAtTheLargestChange() throws {
        let clean = try RGBImage(width: 2, height: 1, pixels: [100, 100, 100, 50, 50, 50])
        let adversarial = try RGBImage(width: 2, height: 1, pixels: [100, 100, 100, 54, 46, 52])
        let (image, gain) = try SinkAttackFigure.perturbation(clean: clean, adversarial: adversarial)
        #expect(abs(gain - 127.5 / 4) < 1e-9)
        #expect(image.pixels == [128, 128, 128, 255, 0, 191])
        #expect(throws: ImageError.self) { _ = try SinkAttackFigure.perturbation(clean: clean, adversarial: try RGBImage(width: 1, height: 1, color: RGBColor(red: 0, green: 0, blue: 0))) }
    }
}
