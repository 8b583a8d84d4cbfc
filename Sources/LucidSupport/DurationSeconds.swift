extension Duration {
    /// The duration in seconds, as a `Double` (what run records and step costs report).
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
