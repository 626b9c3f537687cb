import Foundation
@_exported import UpstreamReplay

/// The team's recorded upstream answers (`shared/data` beside the repository: arXiv OAI-PMH
/// pages, Hugging Face days), which the replay server serves to the clients under test.
public enum Recordings {
    /// `../shared/data` next to the repository (CI and the main checkout), or `$PAPERBOY_SHARED_DATA`.
    public static let sharedData: URL = {
        if let override = ProcessInfo.processInfo.environment["PAPERBOY_SHARED_DATA"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return TestSMTPServer.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    }()

    /// `shared/data/upstream`: OAI-PMH, arXiv API and Hugging Face captures (see its README).
    public static let upstream = sharedData.appendingPathComponent("upstream")
    /// `shared/data/hf-daily-papers`: one `YYYY-MM-DD.json` per day.
    public static let hfDailyPapers = sharedData.appendingPathComponent("hf-daily-papers")

    public static var available: Bool {
        FileManager.default.fileExists(atPath: upstream.appendingPathComponent("README.md").path)
            && FileManager.default.fileExists(atPath: hfDailyPapers.path)
    }

    /// A file under `shared/data/upstream`, e.g. `arxiv-oai/errors/error_badResumptionToken.xml`.
    public static func upstreamFile(_ relativePath: String) -> URL {
        upstream.appendingPathComponent(relativePath)
    }

    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: upstreamFile(relativePath))
    }

    /// The legacy service's three-page `oai_dc` harvest of `cs`, 2021-03-20 to 2021-03-30
    /// (2,358 records, followed through its resumption tokens).
    public static let legacyHarvestPages: [URL] = (1...3).map {
        upstreamFile("arxiv-oai/legacy-export-oai2/listrecords_oai_dc_set-cs_2021-03-20_2021-03-30_page\($0).xml")
    }
}
