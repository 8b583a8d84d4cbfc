import Foundation
import Testing
@testable import LucidVision

/// Damaged, hostile and non-image input: always a typed error naming the file, never a crash.
@Suite struct DecodingErrorTests {
    static let cases = Fixtures.cases(CodecManifest.self, "codec") { $0.errors }

    @Test func manifestListsEveryDamagedFile() throws {
        let expected = Set(try Fixtures.manifest(CodecManifest.self, "codec").errors.map(\.expected))
        #expect(expected == ["empty", "unknownFormat", "truncated", "corrupt", "tooLarge"])
    }

    @Test(arguments: cases)
    func damagedFilesThrowTheExpectedErrorNamingTheFile(_ entry: CodecManifest.ErrorCase) {
        let path = Fixtures.path("codec", entry.name)
        for attempt in ["decode", "decode16"] {
            do {
                _ = attempt == "decode" ? try ImageDecoder.decode(path: path) as Any
                    : try ImageDecoder.decode16(path: path) as Any
                Issue.record("\(attempt) of \(entry.name) succeeded; PIL says \(entry.pil)")
            } catch {
                #expect(errorKind(error) == entry.expected, "\(attempt): \(error)")
                #expect((error as? ImageError)?.path == path)
                #expect("\(error)".hasPrefix(path))
            }
        }
    }

    @Test func hugeDimensionsAreRefusedBeforeAllocating() throws {
        // 100000 x 100000 RGB would need 30 GB; the refusal must come from the header alone.
        let path = Fixtures.path("codec", "huge_dimensions.png")
        #expect(throws: ImageError.tooLarge(path: path, width: 100_000, height: 100_000,
                                            limit: DecodeOptions.defaultMaxPixels)) {
            try ImageDecoder.decode(path: path)
        }
        let info = try ImageDecoder.info(path: path)
        #expect(info.width == 100_000 && info.pixelCount == 10_000_000_000)
    }

    @Test func pixelLimitIsConfigurable() throws {
        let path = Fixtures.path("codec", "rgb8.png")  // 17 x 11 = 187 pixels
        #expect(throws: ImageError.tooLarge(path: path, width: 17, height: 11, limit: 186)) {
            try ImageDecoder.decode(path: path, options: DecodeOptions(maxPixels: 186))
        }
        #expect(try ImageDecoder.decode(path: path, options: DecodeOptions(maxPixels: 187)).width == 17)
        let jpeg = Fixtures.path("codec", "baseline_420.jpg")
        #expect(throws: ImageError.tooLarge(path: jpeg, width: 33, height: 21, limit: 100)) {
            try ImageDecoder.decode16(path: jpeg, options: DecodeOptions(maxPixels: 100))
        }
    }

    @Test func fileSizeLimitIsConfigurable() {
        let path = Fixtures.path("photos", "rocket.jpg")
        #expect(throws: ImageError.self) {
            try ImageDecoder.decode(path: path, options: DecodeOptions(maxFileBytes: 1000))
        }
    }

    @Test func missingFilesAndDirectoriesCannotBeRead() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        for path in [scratch.file("missing.png"), scratch.path] {
            do {
                _ = try ImageDecoder.decode(path: path)
                Issue.record("decoding \(path) succeeded")
            } catch {
                #expect(errorKind(error) == "cannotRead")
                #expect("\(error)".hasPrefix(path))
            }
        }
    }

    @Test func inMemoryDataIsNamedByItsSourceLabel() {
        #expect(throws: ImageError.empty(path: "upload #3")) {
            try ImageDecoder.decode(data: [], source: "upload #3")
        }
        #expect(throws: ImageError.unknownFormat(path: "<memory>", leadingBytes: Array("GIF89a".utf8))) {
            try ImageDecoder.decode(data: Array("GIF89a".utf8))
        }
    }

    @Test func everyTruncationOfAPNGAndAJPEGFailsCleanly() throws {
        for name in ["rgb8_interlaced.png", "palette4_trns.png", "baseline_420.jpg", "progressive.jpg", "cmyk_adobe.jpg"] {
            let data = try Fixtures.bytes("codec", name)
            for length in 0 ..< data.count {
                do {
                    _ = try ImageDecoder.decode(data: Array(data[0 ..< length]), source: name)
                } catch let error as ImageError {
                    #expect(error.path == name)
                } catch {
                    Issue.record("\(name)[0..<\(length)]: untyped error \(error)")
                }
            }
        }
    }

    @Test func randomByteCorruptionNeverEscapesAsAnythingButImageError() throws {
        var random = TestRandom(seed: 7)
        for name in ["rgb16.png", "palette8.png", "grey_alpha8.png", "baseline_422.jpg", "progressive.jpg", "grey.jpg"] {
            let original = try Fixtures.bytes("codec", name)
            for _ in 0 ..< 150 {
                var data = original
                for _ in 0 ..< 1 + random.below(4) {
                    data[8 + random.below(data.count - 8)] = UInt8(truncatingIfNeeded: random.next())
                }
                do {
                    let image = try ImageDecoder.decode(data: data, source: name)
                    #expect(image.pixels.count == image.width * image.height * 3)
                } catch is ImageError {
                } catch {
                    Issue.record("\(name): untyped error \(error)")
                }
            }
        }
    }

    @Test func errorDescriptionsAreOneSentenceNamingFileAndProblem() {
        let errors: [ImageError] = [
            .cannotRead(path: "a.png", reason: "No such file or directory"),
            .empty(path: "a.png"),
            .unknownFormat(path: "a.txt", leadingBytes: [0x54, 0x68]),
            .truncated(path: "a.jpg", format: .jpeg, detail: "premature end of JPEG data"),
            .corrupt(path: "a.png", format: .png, detail: "IDAT: CRC error"),
            .tooLarge(path: "a.png", width: 100_000, height: 100_000, limit: 64_000_000),
        ]
        for error in errors {
            let text = error.description
            #expect(text.hasPrefix("a."))
            #expect(text.hasSuffix("."))
        }
        #expect(ImageError.tooLarge(path: "a.png", width: 100_000, height: 100_000, limit: 64_000_000).description
            == "a.png: image is 100000x100000 pixels, over the limit of 64000000 pixels.")
    }
}
