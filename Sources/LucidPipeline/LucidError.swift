import LucidAttacks
import LucidBench
import LucidDefense
import LucidEval
import LucidFiles
import LucidGeneration
import LucidModels
import LucidNN
import LucidOrganisms
import LucidRuns
import LucidTensor
import LucidText
import LucidTraining
import LucidVision
import LucidWorld

/// A library failure a user can act on: one line (`description`) that says what and where.
///
/// Front ends render these once at the top (the CLI prints `Error: <description>`); code in between
/// lets them pass instead of re-wrapping. Every Lucid error type conforms here, at the orchestration
/// layer, so the modules below keep no dependency for it.
public protocol LucidError: Error, CustomStringConvertible {}

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
extension BenchError: LucidError {}
