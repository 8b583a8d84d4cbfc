import Foundation
import Testing
@testable import LucidRuns
import LucidSupport

@Suite("Datasets")
struct DatasetTests {
    @Test func jsonlAndJSONArrayFilesGiveTheSameSamples() throws {
        let directory = try TemporaryDirectory()
        let lines = try directory.write("d.jsonl", "{\"id\": \"a\", \"prompt\": \"x\"}\n\n{\"id\": 7, \"prompt\": \"y\"}\n")
        let array = try directory.write("d.json", "[{\"id\": \"a\", \"prompt\": \"x\"}, {\"id\": 7, \"prompt\": \"y\"}]")
        let fromLines = try Dataset.load(DatasetSpec(url: lines, kind: .prompts))
        let fromArray = try Dataset.load(DatasetSpec(url: array, kind: .prompts))
        #expect(fromLines.samples == fromArray.samples)
        #expect(fromLines.samples.map(\.id) == ["a", "7"])
        #expect(fromLines.fileHash == (try SHA256.hex(fileAt: lines)))
    }

    @Test func limitKeepsTheFirstSamplesButTheHashCoversTheWholeFile() throws {
        let directory = try TemporaryDirectory()
        let url = try directory.write("d.jsonl", RunFixture.dataset(10))
        let limited = try Dataset.load(DatasetSpec(url: url, kind: .prompts, limit: 3))
        #expect(limited.samples.map(\.id) == ["p0", "p1", "p2"])
        #expect(limited.fileHash == (try Dataset.load(DatasetSpec(url: url, kind: .prompts)).fileHash))
    }

    @Test func idsComeFromTheKindsIdFieldsOrThePosition() throws {
        let directory = try TemporaryDirectory()
        let pope = try directory.write("pope.jsonl", """
            {"question_id": 1, "image": "COCO_1.jpg", "text": "Is there a dog?", "label": "yes"}
            {"question_id": 2, "image": "COCO_1.jpg", "text": "Is there a cat?", "label": "no"}
            """)
        #expect(try Dataset.load(DatasetSpec(url: pope, kind: .pope)).samples.map(\.id) == ["1", "2"])
        let captions = try directory.write("captions.jsonl", "{\"image\": \"a.jpg\"}\n{\"image\": \"b.jpg\"}\n")
        #expect(try Dataset.load(DatasetSpec(url: captions, kind: .captions)).samples.map(\.id) == ["a.jpg", "b.jpg"])
        let prompts = try directory.write("prompts.jsonl", "{\"prompt\": \"x\"}\n{\"prompt\": \"y\"}\n")
        #expect(try Dataset.load(DatasetSpec(url: prompts, kind: .prompts)).samples.map(\.id) == ["0", "1"])
    }

    @Test func badSamplesAreErrorsNamingFileAndLine() throws {
        let directory = try TemporaryDirectory()
        let missing = try directory.write("m.jsonl", "{\"image\": \"a\", \"text\": \"t\", \"label\": \"yes\"}\n{\"image\": \"b\", \"text\": \"t\"}\n")
        #expect(throws: DatasetError(file: missing.path, line: 2, reason: "a pope sample needs `label`")) {
            try Dataset.load(DatasetSpec(url: missing, kind: .pope))
        }
        let duplicate = try directory.write("d.jsonl", "{\"id\": \"a\", \"prompt\": \"x\"}\n{\"id\": \"a\", \"prompt\": \"y\"}\n")
        #expect(throws: DatasetError(file: duplicate.path, line: 2, reason: "sample id `a` already used on line 1")) {
            try Dataset.load(DatasetSpec(url: duplicate, kind: .prompts))
        }
        let broken = try directory.write("b.jsonl", "{\"id\": \"a\", \"prompt\": \"x\"}\n{\"id\": \"b\", \"prompt\": }\n")
        #expect(throws: DatasetError(file: broken.path, line: 2, reason: "column 23: unexpected character `}`")) {
            try Dataset.load(DatasetSpec(url: broken, kind: .prompts))
        }
        #expect(throws: DatasetError.self) { try Dataset.load(DatasetSpec(url: directory.file("absent.jsonl"), kind: .prompts)) }
    }
}
