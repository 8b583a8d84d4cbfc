import Foundation

/// The local Hugging Face hub cache — what `huggingface-cli download`, `hf download` and
/// transformers' `from_pretrained` fill — read without any network: a repository id such as
/// `llava-hf/llava-1.5-7b-hf` (optionally `@revision`) resolves to the snapshot directory that
/// holds its files.
///
/// Layout (huggingface_hub's): `<root>/models--<org>--<name>/refs/<revision>` holds a commit hash,
/// `<root>/models--<org>--<name>/snapshots/<hash>/` the files (links into `blobs/`). The root is
/// found as huggingface_hub finds it: `HF_HUB_CACHE`, else `HUGGINGFACE_HUB_CACHE`, else
/// `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`.
public struct HubCache: Sendable, Equatable {
    /// The cache's root directory (holding the `models--…` folders).
    public let root: String

    public init(root: String) { self.root = root }

    /// The cache the environment names, as huggingface_hub reads it.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> HubCache {
        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return (text as NSString).expandingTildeInPath
        }
        if let explicit = value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE") { return HubCache(root: explicit) }
        let home = value("HF_HOME")
            ?? ((value("XDG_CACHE_HOME") ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache")) as NSString)
                .appendingPathComponent("huggingface")
        return HubCache(root: (home as NSString).appendingPathComponent("hub"))
    }

    /// A model repository and the revision wanted of it.
    public struct Reference: Sendable, Equatable, CustomStringConvertible {
        /// `org/name`.
        public let repository: String
        /// A branch or tag (`main` by default, a ref file under `refs/`) or a 40-hex commit hash.
        public let revision: String

        /// Parses `org/name` or `org/name@revision`; nil when `text` is not of that form (a path
        /// starting with `/`, `.` or `~`, more than one `/`, characters a Hub id cannot hold).
        public init?(_ text: String) {
            let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
            let repository = String(parts[0])
            let names = repository.split(separator: "/", omittingEmptySubsequences: false)
            guard names.count == 2, names.allSatisfy(Self.isHubName) else { return nil }
            let revision = parts.count == 2 ? String(parts[1]) : "main"
            guard Self.isRevision(revision) else { return nil }
            self.repository = repository
            self.revision = revision
        }

        public var description: String { revision == "main" ? repository : "\(repository)@\(revision)" }

        /// The cache folder of the repository: `models--org--name`.
        public var folder: String { "models--" + repository.replacingOccurrences(of: "/", with: "--") }

        /// Whether the revision is a full commit hash (a snapshot name, no ref to read).
        public var isCommit: Bool { revision.count == 40 && revision.allSatisfy(\.isHexDigit) }

        /// A Hub user, organisation or repository name: letters, digits, `-`, `_`, `.`, starting with
        /// a letter or digit, at most 96 characters, no `--` or `..`.
        static func isHubName(_ name: Substring) -> Bool {
            guard let first = name.first, first.isASCII, first.isLetter || first.isNumber, name.count <= 96,
                  !name.contains("--"), !name.contains("..") else { return false }
            return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        }

        /// A branch, tag or `refs/pr/N` name, or a commit hash: no `..`, no leading `/`, at most 255 characters.
        static func isRevision(_ revision: String) -> Bool {
            guard let first = revision.first, first != "/", revision.count <= 255, !revision.contains("..") else { return false }
            return revision.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }
        }
    }

    /// Why a reference has no snapshot here, in words.
    public struct Miss: Error, Equatable, Sendable, CustomStringConvertible {
        public let reference: Reference
        public let root: String
        public let reason: String
        public var description: String {
            "\(reference) is not in the Hugging Face cache at \(root) (\(reason)); Lucid reads that cache and never downloads: "
                + "fetch it with `huggingface-cli download \(reference.repository)"
                + (reference.revision == "main" ? "" : " --revision \(reference.revision)")
                + "` (HF_HUB_CACHE or HF_HOME choose the cache), or give the model's directory"
        }
    }

    /// The snapshot directory of `reference`, or why there is none.
    public func snapshot(_ reference: Reference) -> Result<String, Miss> {
        let fm = FileManager.default
        let repository = (root as NSString).appendingPathComponent(reference.folder)
        func miss(_ reason: String) -> Result<String, Miss> { .failure(Miss(reference: reference, root: root, reason: reason)) }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: repository, isDirectory: &isDirectory), isDirectory.boolValue else {
            return miss("no \(reference.folder) folder")
        }
        let commit: String
        if reference.isCommit {
            commit = reference.revision.lowercased()
        } else {
            let ref = ((repository as NSString).appendingPathComponent("refs") as NSString).appendingPathComponent(reference.revision)
            guard let bytes = try? SafeFile.read(ref, maxBytes: 4096) else { return miss("no ref '\(reference.revision)'") }
            let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.count == 40, text.allSatisfy(\.isHexDigit) else {
                return miss("refs/\(reference.revision) does not hold a commit hash")
            }
            commit = text.lowercased()
        }
        let snapshot = ((repository as NSString).appendingPathComponent("snapshots") as NSString).appendingPathComponent(commit)
        guard fm.fileExists(atPath: snapshot, isDirectory: &isDirectory), isDirectory.boolValue else {
            return miss("no snapshot \(commit)")
        }
        return .success(snapshot)
    }
}
