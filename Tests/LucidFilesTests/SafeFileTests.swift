import Foundation
import Testing
@testable import LucidFiles

@Suite("safe file access")
struct SafeFileTests {
    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "lucid-safefile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func readingAFIFOFailsAtOnceNamingItsKind() throws {
        let fifo = try Self.folder() + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        // Nobody writes the FIFO: a blocking open would hang forever.
        #expect(throws: FileAccessError(path: fifo, problem: "is a named pipe (FIFO), not a regular file")) { try SafeFile.read(fifo) }
    }

    @Test func readingADirectoryOrDeviceOrMissingFileNamesTheProblem() throws {
        let folder = try Self.folder()
        #expect(throws: FileAccessError(path: folder, problem: "is a directory, not a regular file")) { try SafeFile.read(folder) }
        #expect(throws: FileAccessError(path: "/dev/null", problem: "is a character device, not a regular file")) { try SafeFile.read("/dev/null") }
        #expect(throws: FileAccessError(path: folder + "/none", problem: "does not exist")) { try SafeFile.read(folder + "/none") }
    }

    @Test func readingOverTheLimitIsRefusedWithTheSize() throws {
        let path = try Self.folder() + "/big"
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: path))
        #expect(throws: FileAccessError(path: path, problem: "is 100 bytes, over the limit of 99 bytes")) { try SafeFile.read(path, maxBytes: 99) }
        #expect(try SafeFile.read(path, maxBytes: 100).count == 100)
    }

    @Test func invalidUTF8TextIsAnErrorNotReplacementCharacters() throws {
        let path = try Self.folder() + "/bad.yaml"
        try Data([0x6E, 0x61, 0xFF, 0xFE]).write(to: URL(fileURLWithPath: path))
        #expect(throws: FileAccessError(path: path, problem: "is not valid UTF-8 text")) { try SafeFile.readText(path) }
    }

    @Test func writingNeverReplacesASpecialFile() throws {
        let folder = try Self.folder()
        let fifo = folder + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: FileAccessError.self) { try SafeFile.writeText("x", to: fifo) }
        var status = stat()
        #expect(stat(fifo, &status) == 0 && (status.st_mode & S_IFMT) == S_IFIFO)
        #expect(throws: FileAccessError.self) { try SafeFile.writeText("x", to: "/dev/full") }
        #expect(stat("/dev/full", &status) == 0 && (status.st_mode & S_IFMT) == S_IFCHR)
        #expect(throws: FileAccessError.self) { try SafeFile.writeText("x", to: folder) }
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["pipe"])
    }

    @Test func writingReplacesARegularFileWhole() throws {
        let path = try Self.folder() + "/out.json"
        try SafeFile.writeText("old contents that are longer", to: path)
        try SafeFile.writeText("new", to: path)
        #expect(try SafeFile.readText(path) == "new")
    }

    @Test func terminalTextEscapesControlBytes() {
        #expect(TerminalText.escaped("a\u{1B}[31mred\u{07}") == "a\\u{1B}[31mred\\u{7}")
        #expect(TerminalText.escaped("x\r\ny\u{9B}") == "x\\u{D}\\u{A}y\\u{9B}")
        #expect(TerminalText.escaped("line\n\tkept", keepLines: true) == "line\n\tkept")
        #expect(TerminalText.escaped("plain ünïcode 猫") == "plain ünïcode 猫")
    }
}
