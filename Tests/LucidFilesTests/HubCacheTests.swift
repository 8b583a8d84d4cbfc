import Foundation
import Testing
@testable import LucidFiles

/// `HubCache`: Hugging Face repository ids resolved to snapshot directories of the local hub cache,
/// as huggingface_hub lays it out, without any network.
@Suite("Hugging Face hub cache")
struct HubCacheTests {
    static let commit = "0123456789abcdef0123456789abcdef01234567"

    /// A cache in a fresh temporary folder holding `org/tiny` at `commit` (ref `main`), its config a
    /// link into `blobs/` as the Hub's client writes it.
    static func makeCache() throws -> (root: String, snapshot: String) {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("lucid-hub-\(UUID().uuidString)").path
        let repository = root + "/models--org--tiny"
        let snapshot = repository + "/snapshots/" + commit
        try fm.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: repository + "/refs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: repository + "/blobs", withIntermediateDirectories: true)
        try Data((commit + "\n").utf8).write(to: URL(fileURLWithPath: repository + "/refs/main"))
        try Data("{\"model_type\": \"llama\"}".utf8).write(to: URL(fileURLWithPath: repository + "/blobs/abc"))
        try fm.createSymbolicLink(atPath: snapshot + "/config.json", withDestinationPath: "../../blobs/abc")
        return (root, snapshot)
    }

    @Test func repositoryIdsParseAndPathsDoNot() throws {
        let plain = try #require(HubCache.Reference("llava-hf/llava-1.5-7b-hf"))
        #expect(plain.repository == "llava-hf/llava-1.5-7b-hf" && plain.revision == "main" && !plain.isCommit)
        #expect(plain.folder == "models--llava-hf--llava-1.5-7b-hf")
        #expect(HubCache.Reference("Qwen/Qwen2-VL-7B-Instruct@v1.0")?.revision == "v1.0")
        #expect(HubCache.Reference("org/name@refs/pr/3")?.revision == "refs/pr/3")
        #expect(HubCache.Reference("org/name@\(Self.commit)")?.isCommit == true)
        for text in ["/abs/path", "./x/y", "~/x", "a/b/c", "name", "org/na me", "org/--x", "org/a..b", "org/name@../x",
                     "org/name@", "org/", "/name", "org/name@/main", "org/näme", "-org/name"] {
            #expect(HubCache.Reference(text) == nil, "\(text)")
        }
    }

    @Test func theRootIsFoundAsHuggingFaceHubFindsIt() {
        #expect(HubCache.fromEnvironment(["HF_HUB_CACHE": "/a", "HUGGINGFACE_HUB_CACHE": "/b", "HF_HOME": "/c"]).root == "/a")
        #expect(HubCache.fromEnvironment(["HUGGINGFACE_HUB_CACHE": "/b", "HF_HOME": "/c"]).root == "/b")
        #expect(HubCache.fromEnvironment(["HF_HOME": "/c", "XDG_CACHE_HOME": "/x"]).root == "/c/hub")
        #expect(HubCache.fromEnvironment(["XDG_CACHE_HOME": "/x"]).root == "/x/huggingface/hub")
        #expect(HubCache.fromEnvironment(["HF_HUB_CACHE": ""]).root == NSHomeDirectory() + "/.cache/huggingface/hub")
        #expect(HubCache.fromEnvironment(["HF_HOME": "~/hf"]).root == NSHomeDirectory() + "/hf/hub")
    }

    @Test func aRevisionResolvesThroughItsRefToItsSnapshot() throws {
        let (root, snapshot) = try Self.makeCache()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = HubCache(root: root)
        #expect(cache.snapshot(try #require(HubCache.Reference("org/tiny"))) == .success(snapshot))
        #expect(cache.snapshot(try #require(HubCache.Reference("org/tiny@\(Self.commit.uppercased())"))) == .success(snapshot))
        // The snapshot's files are links into blobs/, and read through them.
        let config = try SafeFile.read(snapshot + "/config.json", maxBytes: 1024)
        #expect(String(decoding: config, as: UTF8.self).contains("llama"))
    }

    @Test func whatIsMissingIsNamedWithHowToFetchIt() throws {
        let (root, _) = try Self.makeCache()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = HubCache(root: root)
        func reason(_ text: String) throws -> String? {
            guard case .failure(let miss) = cache.snapshot(try #require(HubCache.Reference(text))) else { return nil }
            return miss.reason
        }
        #expect(try reason("org/other") == "no models--org--other folder")
        #expect(try reason("org/tiny@v2") == "no ref 'v2'")
        #expect(try reason("org/tiny@" + String(repeating: "f", count: 40)) == "no snapshot " + String(repeating: "f", count: 40))
        try Data("not a hash".utf8).write(to: URL(fileURLWithPath: root + "/models--org--tiny/refs/broken"))
        #expect(try reason("org/tiny@broken") == "refs/broken does not hold a commit hash")
        guard case .failure(let miss) = cache.snapshot(try #require(HubCache.Reference("org/tiny@v2"))) else { return }
        #expect(miss.description.contains("huggingface-cli download org/tiny --revision v2"), "\(miss.description)")
        #expect(miss.description.contains(root))
    }
}
