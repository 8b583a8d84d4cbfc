import Foundation

/// One description of an image with what it got right and wrong: the object categories it mentions,
/// those of them not in the image (hallucinated) and the image's objects it left out (missed).
/// Written by organism evaluation (`OrganismEvaluator`), shown by `DemoPage`.
public struct DescribedScene: Codable, Sendable, Equatable {
    public var imageID: Int
    public var description: String
    public var groundTruth: [String]
    public var mentioned: [String]
    public var hallucinated: [String]
    public var missed: [String]

    /// snake_case keys (docs/json.md); lines written before with `imageID` / `groundTruth` read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey { case imageID = "image_id", description, groundTruth = "ground_truth", mentioned, hallucinated, missed }

    public init(imageID: Int, description: String, groundTruth: [String], mentioned: [String], hallucinated: [String], missed: [String]) {
        (self.imageID, self.description, self.groundTruth) = (imageID, description, groundTruth)
        (self.mentioned, self.hallucinated, self.missed) = (mentioned, hallucinated, missed)
    }
}
