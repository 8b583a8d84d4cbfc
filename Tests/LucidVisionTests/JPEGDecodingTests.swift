import Testing
@testable import LucidVision

/// JPEG decoding against PIL (the same libjpeg-turbo, default settings) and real photos.
@Suite struct JPEGDecodingTests {
    static let cases = Fixtures.cases(CodecManifest.self, "codec") { $0.jpeg }
    static let photos = Fixtures.cases(PhotoManifest.self, "photos") { $0.photos }

    @Test func manifestListsEveryJPEGVariant() throws {
        let names = Set(try Fixtures.manifest(CodecManifest.self, "codec").jpeg.map(\.name))
        for required in ["baseline_420", "baseline_422", "baseline_444", "optimized", "progressive", "grey",
                         "cmyk_adobe", "cmyk_no_adobe"] {
            #expect(names.contains(required), "codec fixtures lack \(required)")
        }
        #expect(try Fixtures.manifest(PhotoManifest.self, "photos").photos.count == 3)
    }

    @Test(arguments: cases)
    func decodesExactlyWhatPILConvertRGBGives(_ entry: CodecManifest.JPEGCase) throws {
        let image = try ImageDecoder.decode(path: Fixtures.path("codec", entry.name + ".jpg"))
        let golden = try Fixtures.bytes("codec", entry.name + ".rgb")
        #expect(image.width == entry.width && image.height == entry.height)
        #expect(image.pixels == golden, "max difference \(maxByteDifference(image.pixels, golden))")
    }

    @Test(arguments: cases)
    func infoReportsProgressiveAndAdobeMarkers(_ entry: CodecManifest.JPEGCase) throws {
        let info = try ImageDecoder.info(path: Fixtures.path("codec", entry.name + ".jpg"))
        #expect(info.format == .jpeg)
        #expect(info.width == entry.width && info.height == entry.height)
        #expect(info.isInterlaced == entry.progressive)
        #expect(info.hasAdobeMarker == entry.adobe)
        #expect(info.components == (entry.pil_mode == "L" ? 1 : entry.pil_mode == "CMYK" ? 4 : 3))
    }

    @Test(arguments: photos)
    func realPhotosDecodeToPILsPixels(_ photo: PhotoManifest.Photo) throws {
        let image = try ImageDecoder.decode(path: Fixtures.path("photos", photo.name))
        #expect(image.width == photo.width && image.height == photo.height)
        #expect(fnv1a64(image.pixels) == photo.rgb_fnv1a64)
        #expect(image.pixel(x: 0, y: 0) == RGBColor(red: photo.pixel_0_0[0], green: photo.pixel_0_0[1],
                                                    blue: photo.pixel_0_0[2]))
        #expect(image.pixel(x: photo.width - 1, y: photo.height - 1)
            == RGBColor(red: photo.pixel_last[0], green: photo.pixel_last[1], blue: photo.pixel_last[2]))
    }

    @Test func cmykIsInvertedLikePILWithOrWithoutTheAdobeMarker() throws {
        // PIL reads every CMYK JPEG as "CMYK;I"; stripping APP14 must not change the result.
        let adobe = try ImageDecoder.decode(path: Fixtures.path("codec", "cmyk_adobe.jpg"))
        let plain = try ImageDecoder.decode(path: Fixtures.path("codec", "cmyk_no_adobe.jpg"))
        #expect(adobe == plain)
    }

    @Test func cmykConversionMatchesPILsFixedPointFormula() {
        // R = K - MULDIV255(255 - C, K) on the bytes libjpeg returns (PIL: CMYK;I then cmyk2rgb).
        let samples: [UInt8] = [0, 0, 0, 255, 255, 255, 255, 255, 10, 200, 128, 77, 0, 0, 0, 0]
        let rgb = JPEGCodec.rgbFromCMYK(samples, pixelCount: 4)
        #expect(Array(rgb[0 ..< 3]) == [0, 0, 0])
        #expect(Array(rgb[3 ..< 6]) == [255, 255, 255])
        // From PIL 9.4: Image.frombytes("CMYK", (4, 1), inverted bytes).convert("RGB").
        #expect(Array(rgb[6 ..< 9]) == [3, 60, 39])
        #expect(Array(rgb[9 ..< 12]) == [0, 0, 0])
    }
}
