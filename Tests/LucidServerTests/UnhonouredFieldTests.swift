import Hummingbird
import HummingbirdTesting
import LucidRuns
@testable import LucidServer
import Testing

/// OpenAI and vLLM fields that would change an answer and that Lucid does not honour (JSON and other constrained
/// output, audio) are refused with 400 `unsupported_parameter`, never answered as if they were not there; their
/// neutral values (`{"type": "text"}`, `["text"]`), which clients send by default, are taken and change nothing.
/// The penalties, `min_p`, `min_tokens` and `logit_bias`, which greedy and sampling apply, are `PenaltyFieldTests`'
/// and `LogitsFieldTests`'; here their malformed values are a 400 and their neutral ones change nothing.
@Suite("unhonoured OpenAI fields", .serialized)
struct UnhonouredFieldTests {
    /// Non-neutral values and the field each 400 must name.
    static let refusedChat: [(field: String, value: JSONValue)] = [
        ("response_format", .object(["type": "json_object"])),
        ("response_format", .object(["type": "json_schema", "json_schema": .object(["name": "x", "schema": .object([:])])])),
        ("modalities", .array(["text", "audio"])), ("audio", .object(["voice": "alloy", "format": "wav"])),
        ("guided_json", .object(["type": "object"])), ("guided_choice", .array(["yes", "no"])), ("guided_regex", "[0-9]+"),
        ("structured_outputs", .object(["choice": .array(["yes", "no"])])),
    ]

    /// Values that are wrong in form, not merely unsupported: a plain 400 naming the field.
    static let malformedChat: [(field: String, value: JSONValue)] = [
        ("presence_penalty", "0"), ("presence_penalty", 3), ("frequency_penalty", .double(-2.5)),
        ("response_format", "json"), ("response_format", .object([:])), ("modalities", "text"), ("modalities", .array([5])),
        ("repetition_penalty", -1), ("repetition_penalty", 0), ("repetition_penalty", .double(1e9)), ("min_p", 2), ("min_tokens", "4"),
        ("logit_bias", .array([1])), ("logit_bias", .object(["a": 1])), ("logit_bias", .object(["01": 1])),
        ("logit_bias", .object(["-1": 1])), ("logit_bias", .object(["5": 101])), ("logit_bias", .object(["5": "1"])),
        ("min_tokens", 3),  // more than max_tokens 2
    ]

    func answers(_ uri: String, _ bodies: [ByteBuffer], model: String = "shapes-tiny") async throws -> [TestResponse] {
        try await TestServer(model: model).test { client in try await client.postEach(uri, bodies) }
    }

    @Test func aChatFieldLucidCannotHonourIsRefusedNamingIt() async throws {
        let cases = Self.refusedChat.map { ($0, "unsupported_parameter") } + Self.malformedChat.map { ($0, nil as String?) }
        let responses = try await answers("/v1/chat/completions", cases.map { chatBody("hi", extra: ["max_tokens": 2, $0.0.field: $0.0.value]) })
        for ((item, code), response) in zip(cases, responses) {
            let error = try json(response)["error"]
            #expect(response.status == .badRequest, "\(item): \(String(describing: error))")
            #expect(error?["param"]?.stringValue == item.field, "\(item): \(String(describing: error))")
            #expect(error?["code"]?.stringValue == code, "\(item): \(String(describing: error))")
        }
    }

    @Test func neutralValuesAreTakenAndChangeNothing() async throws {
        let neutral: [String: JSONValue] = ["presence_penalty": 0, "frequency_penalty": .double(0), "response_format": .object(["type": "text"]),
                                            "modalities": .array(["text"]), "audio": .null, "max_tokens": 8,
                                            "repetition_penalty": 1, "min_p": 0, "min_tokens": 0, "guided_json": .null,
                                            "logit_bias": .object([:])]
        let responses = try await answers("/v1/chat/completions", [chatBody("a red square", extra: ["max_tokens": 8]),
                                                                   chatBody("a red square", extra: neutral)])
        #expect(responses.allSatisfy { $0.status == .ok }, "\(responses.map { String(buffer: $0.body) })")
        let tokens = try responses.map { try json($0)["choices"]?.arrayValue?.first?["lucid"]?["token_ids"] }
        #expect(tokens[0] != nil && tokens[0] == tokens[1])
    }

    @Test func aTextCompletionWithAPenaltyBeamSearchCannotApplyOrAJSONModeIsRefusedAndWithNeutralValuesAnswered() async throws {
        let beam = JSONValue.object(["method": "beam", "beams": 2])
        let bodies = [["presence_penalty": JSONValue.double(0.3), "decoding": beam], ["frequency_penalty": 2, "decoding": beam],
                      ["response_format": .object(["type": "json_object"])],
                      ["presence_penalty": 0, "frequency_penalty": 0, "repetition_penalty": 1, "decoding": beam]].map {
            ByteBuffer(string: (try? JSONValue.object($0.merging(["prompt": "a red square", "max_tokens": 2]) { $1 }).canonicalText()) ?? "{}")
        }
        let responses = try await answers("/v1/completions", bodies)
        for (response, field) in zip(responses.prefix(3), ["presence_penalty", "frequency_penalty", "response_format"]) {
            let error = try json(response)["error"]
            #expect(response.status == .badRequest && error?["param"]?.stringValue == field, "\(String(describing: error))")
            #expect(error?["code"]?.stringValue == "unsupported_parameter")
        }
        #expect(responses[3].status == .ok, "\(String(buffer: responses[3].body))")
    }
}
