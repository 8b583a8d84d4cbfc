/// An optional property that a synthesised `Codable` writes as JSON `null` when it holds no value, so readers of
/// a record see every key (`"chair_i": null`), and reads back as `nil` from `null` or from a missing key.
///
/// A synthesised encoder leaves an absent optional out of the document (`encodeIfPresent`); a type whose JSON has
/// to name every key would otherwise write `encode(to:)` by hand for that alone. With the wrapper the type keeps its
/// synthesised coding:
///
/// ```swift
/// struct Summary: Codable {
///     var score: Double
///     @NullWhenAbsent var recall: Double?   // {"score": 1, "recall": null}
/// }
/// ```
///
/// Decoding accepts the key's absence through the ``Swift/KeyedDecodingContainer/decode(_:forKey:)`` overload
/// below, which the synthesised `init(from:)` of a type in a module that imports `LucidSupport` picks.
@propertyWrapper
public struct NullWhenAbsent<Value> {
    /// The value; `nil` is written as `null`.
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }
}

extension NullWhenAbsent: Encodable where Value: Encodable {
    /// The value as it is, or `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension NullWhenAbsent: Decodable where Value: Decodable {
    /// The value, or `nil` from `null`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }
}

extension NullWhenAbsent: Equatable where Value: Equatable {}
extension NullWhenAbsent: Hashable where Value: Hashable {}
extension NullWhenAbsent: Sendable where Value: Sendable {}

extension KeyedDecodingContainer {
    /// A ``NullWhenAbsent`` property from `key`: `nil` when the key is missing or `null`, as an optional decodes.
    public func decode<Value: Decodable>(_ type: NullWhenAbsent<Value>.Type, forKey key: Key) throws -> NullWhenAbsent<Value> {
        NullWhenAbsent(wrappedValue: try decodeIfPresent(Value.self, forKey: key))
    }
}
