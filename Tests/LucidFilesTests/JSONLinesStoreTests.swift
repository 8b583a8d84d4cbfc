import Foundation
import Testing
@testable import LucidFiles

/// `JSONLinesStore`: what a run appended is there when it is reopened, and a kill mid-write loses at
/// most the line being written.
@Suite("JSON Lines store")
struct JSONLinesStoreTests {
    struct Note: Codable, Equatable {
        var id: String
        var text: String
    }

    static func path() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lucid-jsonl-\(UUID().uuidString).jsonl").path
    }

    static let lenient = JSONLinesStore<String, Note>.Format(key: { $0.id }, policy: .skipUndecodable)
    static let strict = JSONLinesStore<String, Note>.Format(key: { $0.id }, policy: .refuse(repeatedKeys: false) { line, problem in
        switch problem {
        case .undecodable: return "line \(line) is not a note"
        case .repeatedKey(let id): return "line \(line) repeats '\(id)'"
        }
    })

    static func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test func appendedRecordsAreReadBackInOrderAndByKey() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let notes = [Note(id: "a", text: "first"), Note(id: "b", text: "two\nlines \"quoted\" café"), Note(id: "a", text: "again")]
        let store = try JSONLinesStore(path: path, format: Self.lenient)
        for note in notes { try store.append(note) }
        #expect(store.count == 2 && store["a"]?.text == "again")

        let reopened = try JSONLinesStore(path: path, format: Self.lenient)
        #expect(reopened.records == notes, "one record a line, repeats included, in file order")
        #expect(reopened.count == 2 && reopened["a"] == notes[2] && reopened["b"] == notes[1] && reopened["c"] == nil)
        #expect(try JSONLinesStore.read(path: path, format: Self.lenient) == notes)
        #expect(try Self.text(path).split(separator: "\n").count == 3)
    }

    @Test func aLineCutShortByAKillIsCutOffAndLaterAppendsStillParse() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try JSONLinesStore(path: path, format: Self.strict)
        try first.append(Note(id: "a", text: "kept"))
        // The kill: the next write stops halfway through its line.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"id":"b","te"#.utf8))
        try handle.close()
        #expect(try JSONLinesStore.read(path: path, format: Self.strict) == [Note(id: "a", text: "kept")], "reading leaves the torn line out")
        #expect(try Self.text(path).hasSuffix(#""te"#), "reading does not change the file")

        let resumed = try JSONLinesStore(path: path, format: Self.strict)
        #expect(resumed.records == [Note(id: "a", text: "kept")] && resumed["b"] == nil)
        try resumed.append(Note(id: "b", text: "written again"))
        try resumed.append(Note(id: "c", text: "new"))
        let reopened = try JSONLinesStore(path: path, format: Self.strict)
        #expect(reopened.records.map(\.id) == ["a", "b", "c"] && reopened["b"]?.text == "written again")
        #expect(!(try Self.text(path)).contains(#""te{"#), "the torn bytes are gone, not glued to the next line")
    }

    @Test func aWholeLastRecordWithoutItsNewlineIsKeptAndTheNextStartsALine() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data((#"{"id":"a","text":"x"}"# + "\n" + #"{"id":"b","text":"y"}"#).utf8).write(to: URL(fileURLWithPath: path))
        let store = try JSONLinesStore(path: path, format: Self.strict)
        #expect(store.records.map(\.id) == ["a", "b"])
        try store.append(Note(id: "c", text: "z"))
        #expect(try JSONLinesStore(path: path, format: Self.strict).records.map(\.id) == ["a", "b", "c"])
        #expect(try Self.text(path).split(separator: "\n").count == 3)
    }

    @Test func aStrictStoreRefusesAForeignLineOrARepeatedKeyNamingTheLine() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let foreign = "{\"id\":\"a\",\"text\":\"x\"}\n\nresults\n{\"id\":\"b\",\"text\":\"y\"}\n"
        try Data(foreign.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: FileAccessError(path: path, problem: "line 3 is not a note")) { try JSONLinesStore(path: path, format: Self.strict) }
        #expect(try Self.text(path) == foreign, "a refused file is not written to")
        try Data("{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"a\",\"text\":\"y\"}\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: FileAccessError(path: path, problem: "line 2 repeats 'a'")) { try JSONLinesStore(path: path, format: Self.strict) }
    }

    @Test func aLenientStoreSkipsForeignLinesAndKeepsTheRest() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("{\"id\":\"a\",\"text\":\"x\"}\nresults\n{\"other\":1}\n{\"id\":\"b\",\"text\":\"y\"}\n".utf8).write(to: URL(fileURLWithPath: path))
        let store = try JSONLinesStore(path: path, format: Self.lenient)
        #expect(store.records.map(\.id) == ["a", "b"])
        try store.append(Note(id: "c", text: "z"))
        #expect(try JSONLinesStore(path: path, format: Self.lenient).records.map(\.id) == ["a", "b", "c"])
    }

    @Test func aSpecialFileIsRefused() {
        #expect(throws: FileAccessError(path: "/dev/null", problem: "is a character device, not a regular file")) {
            try JSONLinesStore(path: "/dev/null", format: Self.lenient)
        }
    }
}
