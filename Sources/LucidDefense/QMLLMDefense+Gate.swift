import LucidModels

extension QMLLMDefense {
    /// The defended model: the quantiser installed (`install(on:)`) and the refusing gate set, so an
    /// image whose semantic code the safety map flags is answered with `configuration.refusal` instead
    /// of being described (`Decoding.generate` honours `imageGate`). The gate reads `safetyMap` when it
    /// runs, so a recalibrated map takes effect without reinstalling.
    public func installWithGate(on model: any VisionLanguageModel) throws(DefenseError) {
        try install(on: model)
        model.imageGate = { [unowned model, self] pixels in
            screen(model, pixels: pixels).first?.harmful == true ? configuration.refusal : nil
        }
    }
}
