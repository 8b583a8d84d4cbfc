/// What a beam hypothesis's length counts, the length its score is divided by (to the power of the length penalty)
/// and the early-stopping bound is judged at.
///
/// Current transformers (5.23, Lucid's beam search reference) counts the new tokens, an end token included. The
/// transformers 4.29.2 that OPERA's official code forks divides by the whole `input_ids` row: the ids generation
/// started from (the prompt's ids; from `inputs_embeds` alone, the BOS token) and the new tokens, an ending end token
/// not counted (`BeamHypotheses.add(input_ids[beam], …)` runs before the end token is appended). With a long prompt
/// the start ids dominate the length, so short hypotheses fare better than under the current rule.
public enum HypothesisLength: String, CaseIterable, Sendable {
    /// The new tokens, an end token included (current transformers; the default).
    case new
    /// The ids generation started from (`GenerationLimits.startLength`: the prompt's ids, or those the repetition
    /// context names) plus the new tokens, an ending end token not counted (transformers 4.29, OPERA's fork).
    case sequence
}
