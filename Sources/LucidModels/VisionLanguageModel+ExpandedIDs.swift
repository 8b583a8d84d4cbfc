import LucidTensor

extension VisionLanguageModel {
    /// The prompt's ids with each image's placeholder repeated once per feature the image becomes: the
    /// `input_ids` a transformers processor writes, as long as the embedded sequence the model reads.
    ///
    /// `ids` may hold one placeholder per image or each image's run already (then they come back as
    /// given). The counts are the model's own (`imageSpans(ids:images:)`): an image's size decides
    /// them for LLaVA-NeXT (its tiles and unpadding) and Qwen2-VL (its grid), an image among several
    /// for LLaVA-OneVision (its base tile). Ids are not range-checked here; embedding them is.
    public func expandedIDs(ids: [Int], images: [Tensor]) throws(PromptError) -> [Int] {
        let spans = try imageSpans(ids: ids, images: images)
        let placeholder = imagePlaceholderID
        let text = ids.filter { $0 != placeholder }
        var expanded: [Int] = []
        expanded.reserveCapacity(text.count + spans.reduce(0) { $0 + $1.count })
        var next = text.startIndex
        for span in spans {
            // The spans are positions in the embedded sequence, in order: the text before each comes first.
            let before = span.lowerBound - expanded.count
            guard before >= 0, before <= text.endIndex - next else {
                throw .placeholderCount(found: ids.count - text.count, expected: "image spans within the prompt (\(spans))")
            }
            expanded.append(contentsOf: text[next..<(next + before)])
            next += before
            expanded.append(contentsOf: repeatElement(placeholder, count: span.count))
        }
        expanded.append(contentsOf: text[next...])
        return expanded
    }
}
