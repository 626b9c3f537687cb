import Foundation
import Logging
import PaperboyCore
import PaperboyIngest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The one place the command line makes the live upstream clients (`sync` and `serve`).
///
/// Interim, until the upstream clients (`HFDailyClient`, `OAIPMHClient`) are merged: Hugging
/// Face is fetched with a minimal URLSession client, and the OAI-PMH harvest answers that it
/// has no client yet. Replace both bodies with the real clients; the signatures stay.
enum UpstreamClients {
    static func hfDaily(endpoint: String, token: String?, logger: Logger) -> any HFDailyFetching {
        InterimHFDailyClient(endpoint: endpoint, token: token)
    }

    static func oaiPMH(baseURL: String, spacing: Duration?, logger: Logger) -> any OAIPMHFetching {
        MissingOAIPMHClient()
    }
}

/// `GET {endpoint}/api/daily_papers?date=D`, errors mapped to `UpstreamError`; no retries.
private struct InterimHFDailyClient: HFDailyFetching {
    let endpoint: String
    let token: String?
    var timeout: TimeInterval = 30

    func dailyPapers(on day: FeedDay) async throws -> Data {
        let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        guard let url = URL(string: "\(base)/api/daily_papers?date=\(day)") else {
            throw UpstreamError.unreachable("bad endpoint \(endpoint)")
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.setValue("Paperboy (self-hosted paper hub)", forHTTPHeaderField: "User-Agent")
        if let token, !token.isEmpty { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch let error as URLError where error.code == .timedOut {
            throw UpstreamError.timedOut(seconds: Int(timeout))
        } catch {
            throw UpstreamError.unreachable(error.localizedDescription)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        switch status {
        case 200..<300: return data
        case 429, 503: throw UpstreamError.throttled(status: status, retryAfter: nil)
        default: throw UpstreamError.status(status, String(decoding: data.prefix(200), as: UTF8.self))
        }
    }
}

/// Stands in for the OAI-PMH client until it is merged: every harvest fails, and says why.
private struct MissingOAIPMHClient: OAIPMHFetching {
    func listRecords(_ request: OAIListRequest) async throws -> OAIPage {
        throw UpstreamError.status(501, "this build has no OAI-PMH client yet")
    }
}
