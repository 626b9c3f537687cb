import Foundation
import PaperboyCore
import PaperboyIngest
import PaperboyStore

/// Harvests new and updated arXiv papers with OAI-PMH `ListRecords`, one set at a time,
/// following resumption tokens. Each page's papers and the checkpoint after it are stored in
/// one transaction, so a harvest killed at any point resumes at the page after the last one
/// stored: no record is lost and none is imported twice.
public struct ArxivHarvest: Sendable {
    /// The source's name in the run log, the schedule and the lease.
    public static let source = "arxiv"

    let store: any SyncStore
    let fetcher: any OAIPMHFetching
    let clock: any WallClock
    public var sets: [String]
    public var metadataPrefix: OAIMetadataPrefix
    /// Where a set never harvested starts: this many days before today.
    public var firstHarvestDays = 1

    public init(
        store: any SyncStore,
        fetcher: any OAIPMHFetching,
        clock: any WallClock,
        sets: [String] = ["cs"],
        metadataPrefix: OAIMetadataPrefix = .arXiv
    ) {
        self.store = store
        self.fetcher = fetcher
        self.clock = clock
        self.sets = sets
        self.metadataPrefix = metadataPrefix
    }

    /// The checkpoint's key for a set: `arxiv:cs:arXiv`.
    public func checkpointKey(set: String) -> String {
        "\(Self.source):\(set):\(metadataPrefix.rawValue)"
    }

    /// Harvests every set, resuming each from its checkpoint; `from` (`YYYY-MM-DD`) starts
    /// every set's harvest afresh from that day instead, and `until` bounds a fresh harvest
    /// (a backfill of past days: the next harvest then starts from `until`). An outage ends the
    /// run; any other failure ends that set's harvest and the run goes on with the next set.
    public func run(
        from: String? = nil,
        until: String? = nil,
        onRejection: @Sendable (Rejection) -> Void = { _ in },
        heartbeat: @Sendable () async throws -> Void = {}
    ) async throws -> SyncReport {
        var report = SyncReport(unit: .records)
        for set in sets {
            do {
                try await harvest(set: set, from: from, until: until, report: &report, onRejection: onRejection, heartbeat: heartbeat)
            } catch let failure as SyncFailure {
                report.failure = failure
                if failure.isOutage { return report }
            }
        }
        return report
    }

    private func harvest(
        set: String,
        from: String?,
        until: String?,
        report: inout SyncReport,
        onRejection: (Rejection) -> Void,
        heartbeat: () async throws -> Void
    ) async throws {
        let key = checkpointKey(set: set)
        var checkpoint: HarvestCheckpoint
        if let from {
            checkpoint = HarvestCheckpoint(source: key, from: from, until: until)
            try await store.saveHarvestCheckpoint(checkpoint)
        } else {
            checkpoint =
                try await store.harvestCheckpoint(source: key)
                ?? HarvestCheckpoint(source: key, from: FeedDay(timestamp: clock.now).adding(days: -firstHarvestDays).description)
        }
        var restarted = false
        while true {
            try await heartbeat()
            let page: OAIPage
            do {
                page = try await report.timingUpstream { try await fetcher.listRecords(request(for: checkpoint, set: set)) }
            } catch is CancellationError {
                throw CancellationError()
            } catch UpstreamError.oai(let code, _) where code == "badResumptionToken" && checkpoint.isMidHarvest && !restarted {
                // The token expired (a long pause, a restart): harvest again from the
                // checkpoint's day. Records seen twice merge as unchanged.
                checkpoint = HarvestCheckpoint(source: key, from: checkpoint.from, until: checkpoint.until)
                try await store.saveHarvestCheckpoint(checkpoint)
                restarted = true
                continue
            } catch {
                throw SyncFailure(error, context: key)
            }
            if let token = page.resumptionToken, token == checkpoint.resumptionToken {
                throw SyncFailure(message: "\(key): the upstream sent the same resumption token again", isOutage: false)
            }
            let papers = accept(page, key: key, checkpoint: checkpoint, report: &report, onRejection: onRejection)
            checkpoint = advanced(checkpoint, past: page)
            report.add(try await store.importHarvestPage(papers, checkpoint: checkpoint))
            if page.isLast { return }
        }
    }

    private func request(for checkpoint: HarvestCheckpoint, set: String) -> OAIListRequest {
        if let token = checkpoint.resumptionToken { return .resume(token: token) }
        return .start(metadataPrefix: metadataPrefix, set: set, from: checkpoint.from, until: checkpoint.until)
    }

    /// The page's papers; deleted records are counted, records without usable metadata rejected.
    private func accept(
        _ page: OAIPage,
        key: String,
        checkpoint: HarvestCheckpoint,
        report: inout SyncReport,
        onRejection: (Rejection) -> Void
    ) -> [Paper] {
        var papers: [Paper] = []
        for (offset, record) in page.records.enumerated() {
            report.counts.fetched += 1
            if record.deleted {
                report.deleted += 1
            } else if let paper = record.paper {
                papers.append(paper)
            } else {
                report.counts.rejected += 1
                let reason = "\(record.identifier): \(record.problem ?? "no usable metadata")"
                onRejection(Rejection(file: key, index: checkpoint.records + offset + 1, reason: reason))
            }
        }
        return papers
    }

    /// The checkpoint once `page` is stored. Mid-harvest it holds the next page's token; after
    /// the last page the next harvest starts from the day of the first page's `responseDate`
    /// (the server's clock: nothing changed after it is missed), else the latest datestamp;
    /// a harvest bounded by `until` continues from that day. A bounded harvest keeps its bound
    /// until it completes, so one killed before its first page was stored asks the same again.
    func advanced(_ checkpoint: HarvestCheckpoint, past page: OAIPage) -> HarvestCheckpoint {
        var next = checkpoint
        let latestDatestamp = page.records.map(\.datestamp).max()
        if checkpoint.records == 0 && !checkpoint.isMidHarvest {
            next.nextFrom = checkpoint.until ?? page.responseDate.map { String($0.prefix(10)) } ?? latestDatestamp
        } else if page.responseDate == nil, let latestDatestamp {
            next.nextFrom = max(checkpoint.nextFrom ?? latestDatestamp, latestDatestamp)
        }
        next.records += page.records.count
        if page.isLast {
            return HarvestCheckpoint(source: checkpoint.source, from: next.nextFrom ?? checkpoint.from)
        }
        next.resumptionToken = page.resumptionToken
        return next
    }
}
