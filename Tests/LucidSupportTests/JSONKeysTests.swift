import Foundation
import Testing
import LucidSupport

@Suite("record JSON keys")
struct JSONKeysTests {
    /// A record with snake_case `CodingKeys` and a synthesised decoder.
    struct Record: Codable, Equatable {
        var trainingWorldSeed: Int
        var secondsPOPE: Double
        var popeF1: [String: Double]
        var name: String
        enum CodingKeys: String, CodingKey {
            case trainingWorldSeed = "training_world_seed", secondsPOPE = "seconds_pope", popeF1 = "pope_f1", name
        }
    }

    @Test func keysAreSnakeCasedAtEachHump() {
        #expect(JSONKeys.snakeCased("trainingWorldSeed") == "training_world_seed")
        #expect(JSONKeys.snakeCased("secondsPOPE") == "seconds_pope")
        #expect(JSONKeys.snakeCased("popeF1") == "pope_f1")
        #expect(JSONKeys.snakeCased("imageID") == "image_id")
        #expect(JSONKeys.snakeCased("learning_rate") == "learning_rate")
        #expect(JSONKeys.snakeCased("steps") == "steps")
        #expect(JSONKeys.camelCased("learning_rate") == "learningRate")
        #expect(JSONKeys.camelCased("steps") == "steps")
    }

    @Test func recordsDecoderReadsOldCamelCaseAndNewSnakeCaseFiles() throws {
        let expected = Record(trainingWorldSeed: 1000, secondsPOPE: 3.5, popeF1: ["random": 0.8], name: "x")
        let old = #"{"trainingWorldSeed": 1000, "secondsPOPE": 3.5, "popeF1": {"random": 0.8}, "name": "x"}"#
        let new = #"{"training_world_seed": 1000, "seconds_pope": 3.5, "pope_f1": {"random": 0.8}, "name": "x"}"#
        #expect(try JSONDecoder.records().decode(Record.self, from: Data(old.utf8)) == expected)
        #expect(try JSONDecoder.records().decode(Record.self, from: Data(new.utf8)) == expected)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Record.self, from: Data(old.utf8)) }
    }

    @Test func aMissingKeyIsNamedInSnakeCase() {
        #expect {
            _ = try JSONDecoder.records().decode(Record.self, from: Data(#"{"trainingWorldSeed": 1, "secondsPOPE": 2, "popeF1": {}}"#.utf8))
        } throws: { error in
            String(describing: error).contains("\"name\"")
        }
    }

    @Test func camelCaseEncoderWritesTheOldKeys() throws {
        let record = Record(trainingWorldSeed: 1, secondsPOPE: 2, popeF1: [:], name: "n")
        #expect(String(decoding: try JSONEncoder.camelCaseKeys().encode(record), as: UTF8.self)
                == #"{"name":"n","popeF1":{},"secondsPope":2,"trainingWorldSeed":1}"#)
    }
}
