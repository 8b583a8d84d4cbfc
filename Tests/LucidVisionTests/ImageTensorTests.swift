import Foundation
import Testing
@testable import LucidTensor
@testable import LucidVision

@Suite("Image tensors")
struct ImageTensorTests {
    func photo() throws -> RGBImage {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else { throw ImageError.cannotRead(path: "Fixtures", reason: "missing") }
        return try ImageDecoder.decode(path: url.appendingPathComponent("photos/rocket.jpg").path)
    }

    @Test func tensorNormalisationEqualsTheFloatPipeline() throws {
        let processor = try CLIPPreprocessor(config: .clip224)
        let image = try photo()
        for pad in [false, true] {
            let viaTensor = try processor.pixelTensor(image, padToSquare: pad)
            let viaFloats = try processor.pixelValues(image, padToSquare: pad)
            #expect(viaTensor.shape == [1, 3, 224, 224])
            let reference = Tensor(viaFloats.values, shape: [1, 3, 224, 224])
            #expect(viaTensor.maxAbsDifference(reference) < 1e-6)
        }
    }

    @Test func gradientsFlowFromPixelValuesToThe01Image() throws {
        let config = CLIPPreprocessorConfig.clip224
        let unit = Tensor.rand([1, 3, 4, 4], generator: Generator(seed: 1))
        unit.requiresGrad = true
        config.normalize(unit).sum().backward()
        let grad = try #require(unit.grad)
        for (c, std) in config.imageStd.enumerated() {
            #expect(Swift.abs(grad[0, c, 0, 0].item() - 1 / std) < 1e-5)
        }
    }

    @Test func tensorsRoundTripThroughFloatImages() throws {
        let t = Tensor.rand([1, 3, 5, 7], generator: Generator(seed: 2))
        let image = try FloatImage(tensor: t)
        #expect(image.width == 7 && image.height == 5 && image.channels == 3)
        #expect(image.tensor().maxAbsDifference(t) == 0)
        #expect(throws: ImageError.self) { try FloatImage(tensor: Tensor.zeros([3, 3])) }
    }
}
