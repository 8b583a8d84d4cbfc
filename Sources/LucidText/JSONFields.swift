import Foundation

/// A decoded JSON object (Foundation representation), only used while loading.
typealias JSONObject = [String: Any]

/// Typed, error-reporting access to loosely typed JSON values.
enum JSONFields {
    /// Parses `data` as a JSON object, or throws `malformedJSON` naming `source`.
    static func object(from data: Data, source: String) throws -> JSONObject {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw TokenizerError.malformedJSON(source: source, reason: error.localizedDescription)
        }
        guard let object = value as? JSONObject else {
            throw TokenizerError.malformedJSON(source: source, reason: "the top level is not an object")
        }
        return object
    }

    /// `object[key]` as an object; nil when absent or null.
    static func object(_ object: JSONObject, _ key: String, path: String) throws -> JSONObject? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let result = value as? JSONObject else { throw TokenizerError.missingField(path + "." + key) }
        return result
    }

    /// `object[key]` as an array; nil when absent or null.
    static func array(_ object: JSONObject, _ key: String, path: String) throws -> [Any]? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let result = value as? [Any] else { throw TokenizerError.missingField(path + "." + key) }
        return result
    }

    /// `object[key]` as a string; nil when absent or null.
    static func string(_ object: JSONObject, _ key: String, path: String) throws -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let result = value as? String else { throw TokenizerError.missingField(path + "." + key) }
        return result
    }

    /// `object[key]` as a required string.
    static func requiredString(_ object: JSONObject, _ key: String, path: String) throws -> String {
        guard let result = try string(object, key, path: path) else {
            throw TokenizerError.missingField(path + "." + key)
        }
        return result
    }

    /// `object[key]` as a Bool, or `fallback` when absent or null.
    static func bool(_ object: JSONObject, _ key: String, path: String, default fallback: Bool) throws -> Bool {
        guard let value = object[key], !(value is NSNull) else { return fallback }
        guard let result = value as? Bool else { throw TokenizerError.missingField(path + "." + key) }
        return result
    }

    /// `object[key]` as an optional Bool.
    static func optionalBool(_ object: JSONObject, _ key: String, path: String) throws -> Bool? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let result = value as? Bool else { throw TokenizerError.missingField(path + "." + key) }
        return result
    }

    /// `object[key]` as an Int; nil when absent or null.
    static func int(_ object: JSONObject, _ key: String, path: String) throws -> Int? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        if let number = value as? Int { return number }
        if let number = value as? Double, number.rounded() == number, abs(number) < 1e15 { return Int(number) }
        throw TokenizerError.missingField(path + "." + key)
    }

    /// The single Unicode scalar of `object[key]` (e.g. Metaspace's "▁").
    static func scalar(_ object: JSONObject, _ key: String, path: String, default fallback: Unicode.Scalar) throws -> Unicode.Scalar {
        guard let text = try string(object, key, path: path) else { return fallback }
        guard let scalar = text.unicodeScalars.first, text.unicodeScalars.count == 1 else {
            throw TokenizerError.invalidField(field: path + "." + key, reason: "expected one character, got '\(text)'")
        }
        return scalar
    }
}
