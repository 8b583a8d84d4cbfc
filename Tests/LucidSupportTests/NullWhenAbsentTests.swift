import Foundation
import Testing
import LucidSupport

@Suite("null when absent")
struct NullWhenAbsentTests {
    /// A record with synthesised coding, snake_case keys and two optionals that are written as null.
    struct Record: Codable, Equatable, Sendable {
        var name: String
        @NullWhenAbsent var bestScore: Double?
        @NullWhenAbsent var tags: [String]?
        var note: String?

        enum CodingKeys: String, CodingKey {
            case name, bestScore = "best_score", tags, note
        }
    }

    static func text<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func absentValuesAreWrittenAsNullWhilePlainOptionalsAreLeftOut() throws {
        #expect(try Self.text(Record(name: "a", bestScore: nil, tags: nil)) == #"{"best_score":null,"name":"a","tags":null}"#)
        #expect(try Self.text(Record(name: "a", bestScore: 0.5, tags: ["x"], note: "n"))
                == #"{"best_score":0.5,"name":"a","note":"n","tags":["x"]}"#)
    }

    @Test func valuesAreWrittenAsThePlainOptionalWouldWriteThem() throws {
        struct Plain: Encodable { var name: String; var bestScore: Double?; var tags: [String]?; var note: String?
            enum CodingKeys: String, CodingKey { case name, bestScore = "best_score", tags, note } }
        let record = Record(name: "é\"", bestScore: 1e-7, tags: ["x", "y"], note: nil)
        let plain = try Self.text(Plain(name: "é\"", bestScore: 1e-7, tags: ["x", "y"]))
        #expect(try Self.text(record) == plain)
    }

    @Test func aMissingKeyOrNullReadsAsNil() throws {
        let missing = try JSONDecoder().decode(Record.self, from: Data(#"{"name": "a"}"#.utf8))
        #expect(missing == Record(name: "a", bestScore: nil, tags: nil))
        let null = try JSONDecoder().decode(Record.self, from: Data(#"{"name": "a", "best_score": null, "tags": null}"#.utf8))
        #expect(null == missing)
        let full = Record(name: "a", bestScore: 2.25, tags: [], note: "n")
        #expect(try JSONDecoder().decode(Record.self, from: Data(try Self.text(full).utf8)) == full)
    }

    @Test func recordKeyStrategiesStillApply() throws {
        let old = try JSONDecoder.records().decode(Record.self, from: Data(#"{"name": "a", "bestScore": 3}"#.utf8))
        #expect(old.bestScore == 3 && old.tags == nil)
    }

    @Test func aValueOfTheWrongTypeIsAnErrorNamingTheKey() {
        #expect {
            _ = try JSONDecoder().decode(Record.self, from: Data(#"{"name": "a", "best_score": "high"}"#.utf8))
        } throws: { error in
            guard case let DecodingError.typeMismatch(_, context)? = error as? DecodingError else { return false }
            return context.codingPath.last?.stringValue == "best_score"
        }
    }
}
