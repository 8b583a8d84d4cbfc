/// Strict optional keys for configuration files written by others (`config.json`).
///
/// `decodeIfPresent` reads an explicit `null` as an absent key, so `"hidden_size": null` would
/// silently take the default. transformers 5 refuses such a `null` for most keys (its configs
/// are strict dataclasses); only a few keys treat `null` as "not set" (sub-configurations,
/// `num_key_value_heads`, `head_dim`, `rope_scaling`, docs/security.md lists them). Lucid decodes
/// the others with `decodeIfPresentNonNull`, which refuses `null` with the key's path.
extension KeyedDecodingContainer {
    /// The value under `key`, or nil when the key is absent; an explicit `null` is an error
    /// (`DecodingError.valueNotFound` whose coding path ends in `key`).
    public func decodeIfPresentNonNull<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) {
            throw DecodingError.valueNotFound(T.self, DecodingError.Context(
                codingPath: codingPath + [key],
                debugDescription: "null is not a value here (leave the key out for the default)"))
        }
        if T.self == Int.self, let number = try decodeWholeNumber(forKey: key) as? T { return number }
        return try decode(T.self, forKey: key)
    }

    /// The whole number under `key` (nil for an absent key or `null`), refusing a number with a fraction
    /// or beyond `Int`'s range with the key's path. Foundation's decoder reports those only as "The given
    /// data was not valid JSON.", naming no key (swift-corelibs-foundation on Linux).
    public func decodeWholeNumberIfPresent(forKey key: Key) throws -> Int? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decodeWholeNumber(forKey: key)
    }

    func decodeWholeNumber(forKey key: Key) throws -> Int {
        do {
            return try decode(Int.self, forKey: key)
        } catch let error as DecodingError {
            throw error
        } catch {
            // Foundation's own `numberIsNotRepresentableInSwift`, which its decoder turns into "not valid JSON".
            guard let number = try? decode(Double.self, forKey: key) else { throw error }
            throw DecodingError.typeMismatch(Int.self, DecodingError.Context(
                codingPath: codingPath + [key],
                debugDescription: "expected a whole number\(number.rounded() == number ? " within ±\(Int.max)" : ""), found \(number)"))
        }
    }
}

extension UnkeyedDecodingContainer {
    /// The next whole number of a list, refusing one with a fraction or beyond `Int`'s range with the
    /// list's path (Foundation's decoder says only "The given data was not valid JSON.").
    public mutating func decodeWholeNumber() throws -> Int {
        let path = codingPath
        do {
            return try decode(Int.self)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw DecodingError.typeMismatch(Int.self, DecodingError.Context(
                codingPath: path, debugDescription: "expected a list of whole numbers (\(error))"))
        }
    }
}
