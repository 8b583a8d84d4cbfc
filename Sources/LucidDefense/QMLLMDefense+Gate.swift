import LucidModels

extension QMLLMDefense {
    /// The defended model: the quantiser installed (`install(on:)`) and the refusing gate set, so an
    /// image whose semantic code the safety map flags is answered with `configuration.refusal` instead
    /// of being described (`Decoding.generate` honours `imageGate`). The gate reads `safetyMap` when it
    /// runs, so a recalibrated map takes effect without reinstalling. The released variant reads the
    /// projected features the prompt embeds (`ImageGateInput.features`), so screening adds no tower pass.
    public func installWithGate(on model: any VisionLanguageModel) throws(DefenseError) {
        try install(on: model)
        model.imageGate = { [unowned model, self] image in
            screen(model, image: image).harmful ? configuration.refusal : nil
        }
    }

    /// Runs `body` with the defence taken off `model` (no quantiser, no gate) and puts back what was
    /// installed afterwards: the undefended computation on the same weights (latency comparisons).
    public func withoutDefense<T>(on model: any VisionLanguageModel, _ body: () throws -> T) rethrows -> T {
        let llava = model as? LlavaForConditionalGeneration
        let (gate, transform, projected) = (model.imageGate, model.visionFeatureTransform, llava?.projectedFeatureTransform)
        model.imageGate = nil
        model.visionFeatureTransform = nil
        llava?.projectedFeatureTransform = nil
        defer {
            model.imageGate = gate
            model.visionFeatureTransform = transform
            llava?.projectedFeatureTransform = projected
        }
        return try body()
    }
}
