import LucidAttacks
import LucidDefense
import LucidEval
import LucidFiles
import LucidGeneration
import LucidModels
import LucidNN
import LucidOrganisms
import LucidRuns
import LucidSupport
import LucidTensor
import LucidText
import LucidTraining
import LucidVision
import LucidWorld

// The library errors of the modules below the orchestration layer render through `LucidError`
// (LucidSupport): they conform here, so those modules need no import for it. `BenchError` conforms in
// LucidBench, which sits beside this layer rather than below it.

extension ModelOpenError: LucidError {}
extension RunSpecError: LucidError {}
extension ModelLoadError: LucidError {}
extension ModelConfigError: LucidError {}
extension ModelLoadOptionsError: LucidError {}
extension PromptError: LucidError {}
extension CheckpointError: LucidError {}
extension GGMLError: LucidError {}
extension TorchError: LucidError {}
extension ModuleLoadError: LucidError {}
extension LoRAError: LucidError {}
extension OptimizerError: LucidError {}
extension GenerationError: LucidError {}
extension AttackError: LucidError {}
extension DefenseError: LucidError {}
extension TrainingError: LucidError {}
extension ImageError: LucidError {}
extension ChatTemplateError: LucidError {}
extension TokenizerError: LucidError {}
extension EvalError: LucidError {}
extension JudgeError: LucidError {}
extension ManifestError: LucidError {}
extension DatasetError: LucidError {}
extension RunError: LucidError {}
extension ShardSpecError: LucidError {}
extension ShapesWorldError: LucidError {}
extension BiasSpecError: LucidError {}
extension FileAccessError: LucidError {}
