import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird

/// A POST to a live test server that may wait long for its answer. HummingbirdTesting's live client
/// gives up after 15 s without a read; tests whose generation may take longer on a slow machine, and
/// that only need the answer (not the client's framing), post through this instead.
func postSlowly(port: Int, path: String = "/v1/chat/completions", body: ByteBuffer,
                timeout: TimeInterval = 600) async throws -> (status: Int, body: Data) {
    guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { throw URLError(.badURL) }
    var request = URLRequest(url: url, timeoutInterval: timeout)
    request.httpMethod = "POST"
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.httpBody = Data(String(buffer: body).utf8)
    let finalRequest = request
    return try await withCheckedThrowingContinuation { continuation in
        URLSession.shared.dataTask(with: finalRequest) { data, response, error in
            if let error {
                continuation.resume(throwing: error)
            } else {
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                continuation.resume(returning: (status, data ?? Data()))
            }
        }.resume()
    }
}
