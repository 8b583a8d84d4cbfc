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

    /// Refuses each of `names` the body sets (not null): lucid serve cannot honour them.
    static func refuse(_ names: [String], in body: [String: JSONValue]) throws(APIError) {
        for name in names where body[name] != nil && body[name] != .null {
            throw .invalid("'\(name)' is not supported by lucid serve", param: name, code: "unsupported_parameter")
        }
    }

    /// OpenAI's `presence_penalty` and `frequency_penalty` (-2 … 2): Lucid's methods apply no repetition
    /// penalty, so 0 (the default) is taken and any other value refused rather than ignored.
    static func refusePenalties(in body: [String: JSONValue]) throws(APIError) {
        for name in ["presence_penalty", "frequency_penalty"] {
            guard let value = try optionalNumber(body, name, in: -2...2), value != 0 else { continue }
            throw .invalid("'\(name)' \(value) is not supported by lucid serve: its decoding applies no repetition penalty (0 or leave it out)",
                           param: name, code: "unsupported_parameter")
        }
    }

    /// A chat request's output form: `response_format` `{"type": "text"}` and `modalities` `["text"]` are
    /// what Lucid writes; JSON modes, audio and other forms are refused rather than answered as plain text.
    static func refuseOutputForms(in body: [String: JSONValue]) throws(APIError) {
        if let format = body["response_format"], format != .null {
            guard let type = format.objectValue?["type"]?.stringValue else {
                throw .invalid("'response_format' must be an object with a 'type'", param: "response_format")
            }
            guard type == "text" else {
                throw .invalid("'response_format' '\(type.prefix(40))' is not supported by lucid serve: it does not constrain output (only 'text')",
                               param: "response_format", code: "unsupported_parameter")
            }
        }
        if let modalities = body["modalities"], modalities != .null {
            guard let items = modalities.arrayValue else { throw .invalid("'modalities' must be an array of strings", param: "modalities") }
            for item in items {
                guard let name = item.stringValue else { throw .invalid("'modalities' must be an array of strings", param: "modalities") }
                guard name == "text" else {
                    throw .invalid("'modalities' '\(name.prefix(40))' is not supported by lucid serve (only 'text')", param: "modalities", code: "unsupported_parameter")
                }
            }
        }
        try refuse(["audio"], in: body)
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
