import LucidTraining

// Which fields of each recipe identify its training runs (`TrainingIdentity`): all that training
// reads. Names, summaries, evaluation settings and (for Q-MLLM) what happens after stage 1 are
// cleared first, so changing them leaves a checkpoint resumable; anything else refuses it.

extension OrganismRecipe {
    /// The identity of this recipe's language stages (alignment, instruction tuning) on data `dataHash`.
    public func trainingIdentity(dataHash: String) throws -> String {
        var trained = self
        trained.name = ""
        trained.summary = ""
        trained.evaluationSeed = 0
        trained.evaluationScenes = 0
        return try TrainingIdentity.of(trained, dataHash)
    }
}

extension QMLLMRecipe {
    /// The identity of stage 1 (projector and codebooks): not the name, the refusal text, the gate,
    /// calibration, evaluation or stage 2, which come after it.
    public func stage1Identity() throws -> String {
        try TrainingIdentity.of(stage1Fields)
    }

    /// The identity of stage 2 (`stage2` on this recipe's scenes) on the Q-MLLM model `model`
    /// identifies (its stage-1 identity, or its path where it has no record).
    public func stage2Identity(_ stage2: QMLLMStage2Recipe, model: String) throws -> String {
        try TrainingIdentity.of(stage2, try stage1Identity(), model)
    }

    var stage1Fields: QMLLMRecipe {
        var trained = self
        trained.name = ""
        trained.gate = nil
        trained.defense.refusal = ""
        trained.stage2 = nil
        trained.calibrationSeed = 0
        trained.calibrationScenes = 0
        trained.calibrationHazardProbability = 0
        trained.threshold = 0
        trained.evaluationSeed = 0
        trained.evaluationScenes = 0
        trained.evaluationHazardProbability = 0
        return trained
    }
}

extension SafetyAlignmentRecipe {
    /// The identity of the safety LoRA's training on data `dataHash`: not the name or the evaluation length.
    public func trainingIdentity(dataHash: String) throws -> String {
        var trained = self
        trained.name = ""
        trained.evaluationTokens = 0
        return try TrainingIdentity.of(trained, dataHash)
    }
}
