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

    @Test func bicubicWeightsAreKeysCubicWithAMinusOneHalf() {
        #expect(ResampleFilter.bicubic.weight(0) == 1)
        #expect(ResampleFilter.bicubic.weight(1) == 0)
        #expect(ResampleFilter.bicubic.weight(0.5) == 0.5625)
        #expect(ResampleFilter.bicubic.weight(-1.5) == -0.0625)
        #expect(ResampleFilter.bicubic.weight(2) == 0)
    }
}
