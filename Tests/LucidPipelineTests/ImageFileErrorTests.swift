import Foundation
import Testing
@testable import LucidPipeline
import LucidVision

/// Errors from preparing an image file name the file (issue 20), and pixel budgets read decimals only.
@Suite("image file errors")
struct ImageFileErrorTests {
    @Test func aResizeOverTheBudgetNamesTheImageFile() throws {
        // A 3 x 20000 strip: shapes-tiny's shortest-edge resize would make 96 x 640000 pixels.
        let strip = try RGBImage(width: 3, height: 20000, pixels: [UInt8](repeating: 90, count: 3 * 20000 * 3))
        let path = NSTemporaryDirectory() + "lucid-strip-\(UUID().uuidString).png"
        try Data(try ImageEncoder.png(strip)).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let opened = try ModelRegistry.standard.open("shapes-tiny")
        do {
            _ = try opened.pixelValues(image: path, padToSquare: false)
            Issue.record("the strip was accepted")
        } catch let error as ImageError {
            #expect(error.path == path)
            #expect(error.description.hasPrefix("\(path): cannot prepare the image: resizing would make a 96x640000 image"), "\(error)")
        }
    }

    @Test func pixelAmountsAreDecimalOnly() throws {
        #expect(try PixelAmount.parse("8/255", name: "--eps") == 8.0 / 255)
        #expect(try PixelAmount.parse("0.5", name: "--eps") == 0.5)
        for text in ["0x1p3/255", "0x8", "8/0xff", "inf", "nan/1"] {
            do {
                _ = try PixelAmount.parse(text, name: "eps")
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.description.hasPrefix("eps: '\(text)' is not a decimal number"), "\(error)")
            }
        }
        do { _ = try PixelAmount.parse("0x1p3", name: "eps") } catch { #expect(error.description.contains("hexadecimal")) }
    }

    @Test(arguments: [" 1", "1 ", "8 / 255", "8/ 255", "\t0.5"])
    func pixelAmountsWithSpacesAreRefusedNamingTheOption(_ text: String) {
        #expect {
            _ = try PixelAmount.parse(text, name: "--eps")
        } throws: { error in
            "\(error)".hasPrefix("--eps: '\(text)' has spaces")
        }
    }
}
