/// A run manifest's model, method or attack option that is not valid, or a work item that cannot run.
public struct RunSpecError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
