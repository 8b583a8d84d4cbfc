/// A model, tokenizer or image that cannot be opened for a model: one line saying what and where.
public struct ModelOpenError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
