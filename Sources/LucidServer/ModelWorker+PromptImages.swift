import Foundation
import LucidModels
import LucidTensor
import LucidText
import LucidVision
import NIOConcurrencyHelpers

/// A piece of model work that is not a generation, run on the worker thread between decoding steps:
/// `run` does it and answers its caller, `refuse` answers without doing it (the server shut down first,
/// or the client went away while it waited: `isAbandoned`).
struct ModelTask {
    let run: () -> Void
    let refuse: (APIError) -> Void
    let isAbandoned: () -> Bool
}

extension ModelWorker {
    /// Runs `body` on the worker thread (where every libtorch call and the model's per-request state
    /// live), between decoding steps, admitted as one more waiting job: 429 past the queue limit.
    /// `onClose` registers what to call when the client goes away: from then on, as when the calling task
    /// is cancelled, `body` is skipped if it has not started (the caller gets 499).
    func onModelThread<T: Sendable>(onClose: ((@escaping @Sendable () -> Void) -> Void)? = nil,
                                    _ body: @escaping () throws(APIError) -> T) async throws(APIError) -> T {
        let abandoned = NIOLockedValueBox(false)
        let abandon: @Sendable () -> Void = { abandoned.withLockedValue { $0 = true } }
        onClose?(abandon)
        let result: Result<T, APIError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let task = ModelTask(run: {
                    do throws(APIError) { continuation.resume(returning: .success(try body())) } catch { continuation.resume(returning: .failure(error)) }
                }, refuse: { continuation.resume(returning: .failure($0)) }, isAbandoned: { abandoned.withLockedValue { $0 } })
                do throws(APIError) { try submit(task) } catch { continuation.resume(returning: .failure(error)) }
            }
        } onCancel: {
            abandon()
        }
        return try result.get()
    }

    /// `ids` (one placeholder per image, as the chat template writes them) with each image's placeholder
    /// repeated once per feature the model makes of it: the processor's `input_ids`, as long as the prompt
    /// the model reads (`VisionLanguageModel.expandedIDs`). The images go through the model's own
    /// processor on the worker thread, as a chat request's do before its prefill; skipped, if it has not
    /// started, once the client goes away (`onClose`, see `onModelThread`).
    public func expandedPrompt(ids: [Int], images: [RGBImage], param: String = "messages",
                               onClose: ((@escaping @Sendable () -> Void) -> Void)? = nil) async throws(APIError) -> [Int] {
        guard !images.isEmpty else { return ids }
        return try await onModelThread(onClose: onClose) { () throws(APIError) -> [Int] in
            guard let vision = self.opened.vision else {
                throw .invalid("\(self.opened.name) is a text-only model: image parts need a vision-language model", param: param,
                               code: "images_unsupported")
            }
            do {
                return try withNoGrad { () throws -> [Int] in
                    let pixels = try self.opened.pixelValues(prompt: images, padToSquare: false)
                    return try vision.expandedIDs(ids: ids, images: pixels)
                }
            } catch let error as APIError {
                throw error
            } catch {
                throw Self.requestFault(error, param: param) ?? APIError(.internalServerError, "reading the images failed: \(error)", type: "server_error")
            }
        }
    }

    /// An error from reading a request's images or laying out its prompt that is the request's fault, as the
    /// client gets it (400: a prompt the model cannot lay out, an image its processor refuses); nil where it is
    /// the server's.
    static func requestFault(_ error: any Error, param: String) -> APIError? {
        switch error {
        case let error as PromptError: return .invalid("\(error)", param: param)
        case ImageError.invalidImage(let reason): return .invalid("an image cannot be read by this model: \(reason)", param: param)
        default: return nil
        }
    }
}
