extension SafetyCodeMap {
    /// A semantic codebook re-fitted for the token gate, class by class (`QMLLMTokenCodebook`): K − H
    /// codes on projected tokens that show no hazard, H on tokens that show one. Recorded with the map
    /// calibrated on it, so a model directory says where its codes came from.
    public struct CodebookFit: Codable, Sendable, Equatable {
        /// H: codes fitted to hazard tokens (the last H of the codebook).
        public var hazardCodes: Int
        /// K − H: codes fitted to benign tokens (the first K − H).
        public var benignCodes: Int
        /// Scenes whose tokens the codes were fitted to.
        public var scenes: Int
        public var hazardTokens: Int
        public var benignTokens: Int
        /// The ShapesWorld seed of those scenes, when they were generated (nil: a labelled folder).
        public var worldSeed: UInt64?

        public init(hazardCodes: Int, benignCodes: Int, scenes: Int, hazardTokens: Int, benignTokens: Int, worldSeed: UInt64? = nil) {
            self.hazardCodes = hazardCodes
            self.benignCodes = benignCodes
            self.scenes = scenes
            self.hazardTokens = hazardTokens
            self.benignTokens = benignTokens
            self.worldSeed = worldSeed
        }

        enum CodingKeys: String, CodingKey {
            case hazardCodes = "hazard_codes", benignCodes = "benign_codes", scenes, hazardTokens = "hazard_tokens", benignTokens = "benign_tokens",
                 worldSeed = "world_seed"
        }
    }
}
