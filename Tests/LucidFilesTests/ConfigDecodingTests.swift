import Foundation
import Testing
@testable import LucidFiles

/// `decodeIfPresentNonNull` and `decodeWholeNumberIfPresent`: a config's whole-number keys refuse
/// `null` (where transformers does) and numbers that are not whole, naming the key, where Foundation's
/// decoder alone says only "The given data was not valid JSON.".
@Suite("config decoding")
struct ConfigDecodingTests {
    struct Sizes: Decodable {
        var width: Int?
        var depth: Int?
        enum CodingKeys: String, CodingKey { case width, depth }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            width = try c.decodeIfPresentNonNull(Int.self, forKey: .width)
            depth = try c.decodeWholeNumberIfPresent(forKey: .depth)
        }
    }

    func decode(_ json: String) throws -> Sizes { try JSONDecoder().decode(Sizes.self, from: Data(json.utf8)) }

    func refusal(_ json: String) -> (path: [String], message: String)? {
        do {
            _ = try decode(json)
            return nil
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            return (context.codingPath.map(\.stringValue), context.debugDescription)
        } catch {
            return ([], "\(error)")
        }
    }

    @Test func wholeNumbersAndAbsentOrNullKeysRead() throws {
        let sizes = try decode("{\"width\": 32, \"depth\": -4}")
        #expect(sizes.width == 32 && sizes.depth == -4)
        let absent = try decode("{\"depth\": null}")
        #expect(absent.width == nil && absent.depth == nil)
    }

    @Test func aFractionOrAnOutOfRangeNumberIsRefusedNamingItsKey() {
        #expect(refusal("{\"width\": 1.5}")?.path == ["width"])
        #expect(refusal("{\"width\": 1.5}")?.message == "expected a whole number, found 1.5")
        #expect(refusal("{\"depth\": 1e308}")?.path == ["depth"])
        #expect(refusal("{\"depth\": 1e308}")?.message.hasPrefix("expected a whole number within ±\(Int.max), found 1") == true)
        #expect(refusal("{\"width\": null}")?.path == ["width"])
        #expect(refusal("{\"width\": \"wide\"}")?.path == ["width"])
    }

    struct Pair: Decodable {
        var values: [Int]
        enum CodingKeys: String, CodingKey { case pair }
        init(from decoder: Decoder) throws {
            var list = try decoder.container(keyedBy: CodingKeys.self).nestedUnkeyedContainer(forKey: .pair)
            values = [try list.decodeWholeNumber(), try list.decodeWholeNumber()]
        }
    }

    @Test func aListOfWholeNumbersNamesItsKeyForAFraction() throws {
        #expect(try JSONDecoder().decode(Pair.self, from: Data("{\"pair\": [336, 672]}".utf8)).values == [336, 672])
        do {
            _ = try JSONDecoder().decode(Pair.self, from: Data("{\"pair\": [336, 1.5]}".utf8))
            Issue.record("1.5 read as a whole number")
        } catch DecodingError.typeMismatch(_, let context) {
            #expect(context.codingPath.map(\.stringValue) == ["pair"])
            #expect(context.debugDescription.hasPrefix("expected a list of whole numbers"))
        }
    }
}
