import LucidGeneration
import LucidPipeline
import LucidRuns

/// Typed reads of a request body's fields: each failure is a 400 naming the field.
enum RequestFields {
    static func optionalString(_ object: [String: JSONValue], _ key: String, param: String? = nil) throws(APIError) -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard let text = value.stringValue else {
            throw .invalid("'\(param ?? key)' must be a string, not \(value.typeDescription)", param: param ?? key)
        }
        return text
    }

    static func optionalBool(_ object: [String: JSONValue], _ key: String, param: String? = nil) throws(APIError) -> Bool? {
        guard let value = object[key], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw .invalid("'\(param ?? key)' must be true or false, not \(value.typeDescription)", param: param ?? key) }
        return flag
    }

    static func optionalInt(_ object: [String: JSONValue], _ key: String, in range: ClosedRange<Int>, param: String? = nil) throws(APIError) -> Int? {
        guard let value = object[key], value != .null else { return nil }
        let name = param ?? key
        guard let number = value.intValue else { throw .invalid("'\(name)' must be an integer, not \(value.typeDescription)", param: name) }
        guard range.contains(number) else {
            throw .invalid("'\(name)' must be in \(range.lowerBound)…\(range.upperBound == Int.max ? "" : String(range.upperBound)) (got \(number))", param: name)
        }
        return number
    }

    static func optionalNumber(_ object: [String: JSONValue], _ key: String, in range: ClosedRange<Double>, param: String? = nil) throws(APIError) -> Double? {
        guard let value = object[key], value != .null else { return nil }
        let name = param ?? key
        guard let number = value.doubleValue, number.isFinite else { throw .invalid("'\(name)' must be a number, not \(value.typeDescription)", param: name) }
        guard range.contains(number) else { throw .invalid("'\(name)' must be in \(range.lowerBound)…\(range.upperBound) (got \(number))", param: name) }
        return number
    }

    /// Refuses each of `names` the body sets (not null): lucid serve cannot honour them (`why` says what it lacks).
    static func refuse(_ names: [String], in body: [String: JSONValue], why: String? = nil) throws(APIError) {
        for name in names where body[name] != nil && body[name] != .null {
            throw .invalid("'\(name)' is not supported by lucid serve" + (why.map { ": " + $0 } ?? ""), param: name, code: "unsupported_parameter")
        }
    }

    /// OpenAI's `logit_bias` (`GenerationLimits.logitBias(json:)`); empty when absent or null. Whether each id is
    /// the model's is the worker's check.
    static func logitBias(_ value: JSONValue?) throws(APIError) -> [Int: Double] {
        guard let value, value != .null else { return [:] }
        do { return try GenerationLimits.logitBias(json: value) } catch { throw .invalid("'logit_bias': \(error.description)", param: "logit_bias") }
    }

    /// Refuses what would change the answer and that Lucid does not honour, rather than answer as if it had not
    /// been sent: constrained output (`response_format` other than `{"type": "text"}`, vLLM's `guided_*` and
    /// `structured_outputs`); `modalities` other than `["text"]`; `audio`.
    static func refuseUnhonoured(in body: [String: JSONValue]) throws(APIError) {
        let constraint = "it does not constrain its output"
        if let format = body["response_format"], format != .null {
            guard let type = format.objectValue?["type"]?.stringValue else {
                throw .invalid("'response_format' must be an object with a 'type'", param: "response_format")
            }
            guard type == "text" else {
                throw .invalid("'response_format' '\(type.prefix(40))' is not supported by lucid serve: \(constraint) (only 'text')",
                               param: "response_format", code: "unsupported_parameter")
            }
        }
        try refuse(["guided_json", "guided_regex", "guided_choice", "guided_grammar", "structured_outputs"], in: body, why: constraint)
        if let modalities = body["modalities"], modalities != .null {
            guard let items = modalities.arrayValue else { throw .invalid("'modalities' must be an array of strings", param: "modalities") }
            for item in items {
                guard let name = item.stringValue else { throw .invalid("'modalities' must be an array of strings", param: "modalities") }
                guard name == "text" else {
                    throw .invalid("'modalities' '\(name.prefix(40))' is not supported by lucid serve (only 'text')", param: "modalities", code: "unsupported_parameter")
                }
            }
        }
        try refuse(["audio"], in: body, why: "it writes text")
    }

    static func stops(_ value: JSONValue?, limits: ServerLimits) throws(APIError) -> [String] {
        guard let value, value != .null else { return [] }
        let list: [JSONValue]
        if case .string = value { list = [value] } else if let array = value.arrayValue { list = array } else {
            throw .invalid("'stop' must be a string or an array of strings", param: "stop")
        }
        guard list.count <= limits.maxStopStrings else { throw .invalid("at most \(limits.maxStopStrings) stop strings", param: "stop") }
        var stops: [String] = []
        for (index, item) in list.enumerated() {
            guard let text = item.stringValue, !text.isEmpty, text.count <= limits.maxStopStringLength else {
                throw .invalid("stop[\(index)] must be a non-empty string of at most \(limits.maxStopStringLength) characters", param: "stop")
            }
            stops.append(text)
        }
        return stops
    }
}
