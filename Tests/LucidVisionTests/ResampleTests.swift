import Testing
@testable import LucidVision

/// Resizing against PIL's `Image.resize` for every convolution filter, bit for bit.
@Suite struct ResampleTests {
    static let cases = Fixtures.cases(ResampleManifest.self, "resample") { $0.entries }

    static func source(_ name: String) throws -> RGBImage {
        let folder = name == "source_small.png" ? "resample" : "photos"
        return try ImageDecoder.decode(path: Fixtures.path(folder, name))
    }

    @Test func manifestCoversEveryFilterUpAndDown() throws {
        let entries = try Fixtures.manifest(ResampleManifest.self, "resample").entries
        #expect(Set(entries.map(\.filter)) == [1, 2, 3, 4, 5])
        #expect(entries.count >= 15)
    }

    @Test(arguments: cases)
    func resizeEqualsPILsResizeExactly(_ entry: ResampleManifest.Entry) throws {
        let filter = try #require(ResampleFilter(rawValue: entry.filter))
        let resized = try Self.source(entry.source).resized(width: entry.width, height: entry.height, filter: filter)
        let golden = try ImageDecoder.decode(path: Fixtures.path("resample", entry.golden))
        #expect(resized.width == golden.width && resized.height == golden.height)
        #expect(resized.pixels == golden.pixels, "max difference \(maxByteDifference(resized.pixels, golden.pixels))")
    }

    @Test func resizingToTheSameSizeReturnsTheImage() throws {
        let image = try Self.source("source_small.png")
        #expect(try image.resized(width: image.width, height: image.height) == image)
    }

    @Test func invalidTargetsAndNearestAreRefused() throws {
        let image = try Self.source("source_small.png")
        #expect(throws: ImageError.self) { try image.resized(width: 0, height: 5) }
        #expect(throws: ImageError.self) { try image.resized(width: 5, height: 5, filter: .nearest) }
    }

    /// The weight matrices, applied as Pillow applies its passes (horizontal, clip, vertical, clip) in floats,
    /// give Pillow's resize up to its rounding: half a level after the first pass, carried through the
    /// second's weights (their absolute sum, above 1 where the kernel has negative lobes), plus half a level.
    @Test(arguments: [(40, 25), (25, 40), (64, 64), (13, 7), (41, 41)])
    func weightMatricesAreTheResizeWithoutItsRounding(_ width: Int, _ height: Int) throws {
        let image = try Self.source("source_small.png")
        for filter in [ResampleFilter.bicubic, .bilinear, .lanczos, .box, .hamming] {
            let expected = try image.resized(width: width, height: height, filter: filter)
            let across = Resampler.weightMatrix(inSize: image.width, outSize: width, filter: filter)
            let down = Resampler.weightMatrix(inSize: image.height, outSize: height, filter: filter)
            var worst: Float = 0
            for channel in 0..<3 {
                var middle = [Float](repeating: 0, count: image.height * width)
                for row in 0..<image.height {
                    for column in 0..<width {
                        var sum: Float = 0
                        for j in 0..<image.width { sum += across[column * image.width + j] * Float(image.pixels[(row * image.width + j) * 3 + channel]) }
                        middle[row * width + column] = min(max(sum, 0), 255)
                    }
                }
                for row in 0..<height {
                    for column in 0..<width {
                        var sum: Float = 0
                        for i in 0..<image.height { sum += down[row * image.height + i] * middle[i * width + column] }
                        worst = max(worst, abs(min(max(sum, 0), 255) - Float(expected.pixels[(row * width + column) * 3 + channel])))
                    }
                }
            }
            let mass = (0..<height).map { row in (0..<image.height).reduce(Float(0)) { $0 + abs(down[row * image.height + $1]) } }.max() ?? 1
            let bound = 0.5 * mass + 0.5
            #expect(worst <= bound + 1e-3, "\(filter) \(image.width)x\(image.height) → \(width)x\(height): \(worst) levels, bound \(bound)")
        }
        // An unchanged size is the identity.
        #expect(Resampler.weightMatrix(inSize: 3, outSize: 3) == [1, 0, 0, 0, 1, 0, 0, 0, 1])
    }

    @Test func bicubicWeightsAreKeysCubicWithAMinusOneHalf() {
        #expect(ResampleFilter.bicubic.weight(0) == 1)
        #expect(ResampleFilter.bicubic.weight(1) == 0)
        #expect(ResampleFilter.bicubic.weight(0.5) == 0.5625)
        #expect(ResampleFilter.bicubic.weight(-1.5) == -0.0625)
        #expect(ResampleFilter.bicubic.weight(2) == 0)
    }
}
