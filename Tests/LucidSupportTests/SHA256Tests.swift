import Foundation
import Testing
import LucidSupport

@Suite("SHA-256")
struct SHA256Tests {
    @Test func sha256MatchesTheFIPSVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func sha256OfChunkedInputEqualsOneShot() throws {
        let text = String(repeating: "lucid runs ", count: 1000)
        var hasher = SHA256()
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: 37) { hasher.update(bytes[start ..< Swift.min(start + 37, bytes.count)]) }
        #expect(hasher.finalizeHex() == SHA256.hex(text))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-sha256-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(text.utf8).write(to: file)
        #expect(try SHA256.hex(fileAt: file) == SHA256.hex(text))
    }
}
