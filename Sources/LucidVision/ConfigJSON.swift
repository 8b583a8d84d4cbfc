import LucidFiles

/// The flexible JSON forms of `preprocessor_config.json` fields, as transformers accepts them.
enum ConfigJSON {
    /// A size: an int, `{"shortest_edge": n}`, `{"height": h, "width": w}` or `[h, w]`.
    struct Size: Decodable {
        var single: Int?
        var shortestEdge: Int?
        var height: Int?
        var width: Int?

        private enum Key: String, CodingKey {
            case shortestEdge = "shortest_edge", height, width
        }

        init(from decoder: any Decoder) throws {
            if let number = try? decoder.singleValueContainer().decode(Double.self) {
                guard let whole = Int(exactly: number) else {
                    throw DecodingError.typeMismatch(Int.self, .init(codingPath: decoder.codingPath,
                                                                     debugDescription: "a size must be a whole number, not \(number)"))
                }
                single = whole
                return
            }
            if var list = try? decoder.unkeyedContainer() {
                guard list.count == 2 else {
                    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                            debugDescription: "a size list must be [height, width]"))
                }
                height = try list.decodeWholeNumber()
                width = try list.decodeWholeNumber()
                return
            }
            let container = try decoder.container(keyedBy: Key.self)
            shortestEdge = try container.decodeWholeNumberIfPresent(forKey: .shortestEdge)
            height = try container.decodeWholeNumberIfPresent(forKey: .height)
            width = try container.decodeWholeNumberIfPresent(forKey: .width)
            guard shortestEdge != nil || (height != nil && width != nil) else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath,
                    debugDescription: "a size needs 'shortest_edge' or both 'height' and 'width'"))
            }
        }

        /// `size`: an int means the shortest edge (transformers' `default_to_square=False`).
        var resizeTarget: CLIPPreprocessorConfig.ResizeTarget {
            if let single { return .shortestEdge(single) }
            if let shortestEdge { return .shortestEdge(shortestEdge) }
            return .exact(height: height ?? 0, width: width ?? 0)
        }

        /// `crop_size`: an int means a square; a lone shortest edge is read as a square too.
        var cropSize: CLIPPreprocessorConfig.CropSize {
            if let single { return .init(height: single, width: single) }
            if let height, let width { return .init(height: height, width: width) }
            let side = shortestEdge ?? 0
            return .init(height: side, width: side)
        }
    }

    /// One number (applied to every channel) or a list of numbers.
    struct Numbers: Decodable {
        var values: [Double]

        init(from decoder: any Decoder) throws {
            if let value = try? decoder.singleValueContainer().decode(Double.self) {
                values = [value, value, value]
            } else {
                values = try decoder.singleValueContainer().decode([Double].self)
            }
        }
    }

    /// One line naming the field at fault.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "top level" : keys.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context)): missing key '\(key.stringValue)'"
        @unknown default:
            return "\(error)"
        }
    }
}
