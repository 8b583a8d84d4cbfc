import Testing
@testable import LucidVision

/// PNG decoding against PIL's `convert("RGB")` of every colour type, bit depth and interlacing.
@Suite struct PNGDecodingTests {
    static let cases = Fixtures.cases(CodecManifest.self, "codec") { $0.png }

    @Test func manifestListsEveryPNGVariant() throws {
        let names = Set(try Fixtures.manifest(CodecManifest.self, "codec").png.map(\.name))
        for required in ["grey1", "grey2", "grey4", "grey8", "grey16", "grey_alpha8", "grey_alpha16", "rgb8", "rgb16",
                         "rgba8", "rgba16", "palette1", "palette4", "palette8", "palette4_trns", "rgb8_interlaced",
                         "rgba16_interlaced", "grey16_interlaced", "palette4_trns_interlaced", "palette8_short"] {
            #expect(names.contains(required), "codec fixtures lack \(required)")
        }
    }

    @Test(arguments: cases)
    func decodesExactlyWhatPILConvertRGBGives(_ entry: CodecManifest.PNGCase) throws {
        let image = try ImageDecoder.decode(path: Fixtures.path("codec", entry.name + ".png"))
        let golden = try Fixtures.bytes("codec", entry.name + ".rgb")
        #expect(image.width == entry.width && image.height == entry.height)
        #expect(image.pixels == golden, "max difference \(maxByteDifference(image.pixels, golden))")
    }

    @Test(arguments: cases)
    func decode16GivesTheStoredSamplesOver65535(_ entry: CodecManifest.PNGCase) throws {
        let image = try ImageDecoder.decode16(path: Fixtures.path("codec", entry.name + ".png"))
        let golden = try Fixtures.bytes("codec", entry.name + ".wide16")
        #expect(image.channels == entry.wide_channels)
        let plane = entry.width * entry.height
        var expected = [Float](repeating: 0, count: plane * entry.wide_channels)
        for index in 0 ..< plane {
            for channel in 0 ..< entry.wide_channels {
                let offset = (index * entry.wide_channels + channel) * 2
                let sample = UInt16(golden[offset]) << 8 | UInt16(golden[offset + 1])
                expected[channel * plane + index] = Float(Double(sample) / 65535)
            }
        }
        #expect(image.values == expected, "max difference \(maxAbsDifference(image.values, expected))")
    }

    @Test(arguments: cases)
    func infoReportsSizeAndInterlacingWithoutDecoding(_ entry: CodecManifest.PNGCase) throws {
        let info = try ImageDecoder.info(path: Fixtures.path("codec", entry.name + ".png"))
        #expect(info.format == .png)
        #expect(info.width == entry.width && info.height == entry.height)
        #expect(info.isInterlaced == entry.interlaced)
    }

    @Test func sixteenBitGreyIsClippedTo255LikePILByDefault() throws {
        let path = Fixtures.path("codec", "grey16.png")
        let wide = try ImageDecoder.decode16(path: path)
        let clipped = try ImageDecoder.decode(path: path)
        let highByte = try ImageDecoder.decode(path: path, options: DecodeOptions(grey16: .highByte))
        for (index, value) in wide.values.enumerated() {
            let sample = Int((Double(value) * 65535).rounded())
            #expect(Int(clipped.pixels[index * 3]) == min(sample, 255))
            #expect(Int(highByte.pixels[index * 3]) == sample >> 8)
            #expect(highByte.pixels[index * 3] == highByte.pixels[index * 3 + 2])
        }
    }

    @Test func sixteenBitColourKeepsTheHighByteOfEachSample() throws {
        let path = Fixtures.path("codec", "rgb16.png")
        let wide = try ImageDecoder.decode16(path: path)
        let eight = try ImageDecoder.decode(path: path)
        let plane = wide.width * wide.height
        for index in 0 ..< plane {
            for channel in 0 ..< 3 {
                let sample = Int((Double(wide.values[channel * plane + index]) * 65535).rounded())
                #expect(Int(eight.pixels[index * 3 + channel]) == sample >> 8)
            }
        }
    }

    @Test func transparencyIsDroppedNotComposited() throws {
        // Fully transparent pixels keep their colour: nothing is blended with white or black.
        let rgba = try ImageDecoder.decode(path: Fixtures.path("codec", "rgba8.png"))
        let golden = try Fixtures.bytes("codec", "rgba8.rgb")
        #expect(rgba.pixels == golden)
        let info = try ImageDecoder.info(path: Fixtures.path("codec", "palette4_trns.png"))
        #expect(info.hasTransparencyChunk)
        #expect(info.colorModel == .palette)
    }
}
