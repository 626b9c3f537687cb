import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyApp
import PaperboyCore
import PaperboyStore

/// `/admin`: the editors' dashboard and its forms. For anyone but an admin (visitors and
/// readers alike) every route answers 404, before the form is even read, so the area does not
/// show; for an admin, forms need the session's CSRF token (403 without it). Each form posts,
/// then redirects (to the dashboard, or to the page its `next` names).
struct AdminRoutes: Sendable {
    let admin: AdminService
    let health: HealthService
    let forms: AccountRoutes
    let renderer: PageRenderer
    let clock: any WallClock

    func register(on router: Router<AppRequestContext>) {
        router.get("/admin") { _, context in
            let reader = try await adminReader(context)
            return try await dashboard(context, reader: reader)
        }
        router.post("/admin/feature") { request, context in
            let (reader, form) = try await verified(request, context)
            let input = form.id ?? ""
            // A refusal is shown on the dashboard, beside the form it came from.
            func refused(_ message: String, _ status: HTTPResponse.Status) async throws -> Response {
                try await dashboard(context, reader: reader, error: message, input: input, date: form.date, status: status)
            }
            do {
                let paper = try await admin.feature(input, on: try Self.day(form.date), by: reader)
                return redirect(to: "/papers/\(paper.id)")
            } catch let refusal as AdminService.Refusal {
                return try await refused(refusal.message, ErrorMapping(refusal).status)
            } catch let refusal as SubmissionService.Refusal {
                return try await refused(refusal.message, ErrorMapping(refusal).status)
            }
        }
        for (action, hidden) in [("hide", true), ("unhide", false)] {
            router.post("/admin/papers/\(action)") { request, context in
                let (reader, form) = try await verified(request, context)
                try await admin.setPaperHidden(try Self.paperID(form.id), hidden, by: reader)
                return redirect(to: form.next)
            }
            router.post("/admin/entries/\(action)") { request, context in
                let (reader, form) = try await verified(request, context)
                try await admin.setEntryHidden(try Self.paperID(form.id), on: try Self.day(form.date), hidden, by: reader)
                return redirect(to: form.next)
            }
        }
    }

    /// The logged-in admin, or `AdminService.Refusal.notAnAdmin` (404).
    func adminReader(_ context: AppRequestContext) async throws -> Reader {
        guard let reader = context.reader, try await admin.isAdmin(reader) else { throw AdminService.Refusal.notAnAdmin }
        return reader
    }

    /// An admin's form with a valid CSRF token; who is asking is checked first.
    func verified(_ request: Request, _ context: AppRequestContext) async throws -> (Reader, AdminForm) {
        let reader = try await adminReader(context)
        let (_, form) = try await forms.verifiedForm(AdminForm.self, request, context)
        return (reader, form)
    }

    func dashboard(
        _ context: AppRequestContext,
        reader: Reader,
        error: String? = nil,
        input: String = "",
        date: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let session = context.session else { throw AdminService.Refusal.notAnAdmin }
        let board = try await admin.dashboard(for: reader)
        let report = try await health.health()
        let csrf = session.csrfToken
        var page = Self.context(board, csrf: csrf)
        page["pageTitle"] = "Admin"
        page["featureInput"] = input
        page["featureDate"] = date ?? FeedDay(timestamp: clock.now).description
        page["sync"] = Self.sync(report)
        if let error { page["error"] = error }
        let html = try renderer.render("admin", page, viewer: PageRenderer.Viewer(reader: reader, csrf: csrf, isAdmin: true))
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    func redirect(to next: String?) -> Response {
        Response(status: .seeOther, headers: [.location: next.map { AccountRoutes.safeNext($0) } ?? "/admin"])
    }

    static func day(_ text: String?) throws -> FeedDay {
        let text = (text ?? "").trimmingWhitespace()
        guard let day = FeedDay(text) else {
            throw DomainError.invalid("“\(text.prefix(40))” is not a date: use YYYY-MM-DD, e.g. 2024-05-27.")
        }
        return day
    }

    static func paperID(_ text: String?) throws -> String {
        let text = (text ?? "").trimmingWhitespace()
        guard let id = ArxivID(text) else { throw DomainError.invalid("“\(text.prefix(80))” is not an arXiv id or arXiv URL.") }
        return id.base
    }

    // MARK: - View models

    static func context(_ board: AdminService.Dashboard, csrf: String) -> [String: Any] {
        let entries = board.recentEntries.map { curated -> [String: Any] in
            let entry = curated.entry
            var row: [String: Any] = [
                "day": entry.day.description,
                "dayURL": FeedPeriod.day(entry.day).path,
                "id": entry.paper.id,
                "url": "/papers/\(entry.paper.id)",
                "title": entry.paper.title,
                "submitter": entry.submitter.map { $0.fullname ?? $0.name } ?? "",
                "csrf": csrf,
            ]
            if curated.entryHidden { row["entryHidden"] = true }
            if curated.paperHidden { row["paperHidden"] = true }
            return row
        }
        let hidden = board.hiddenPapers.map { ["id": $0.id, "url": "/papers/\($0.id)", "title": $0.title, "csrf": csrf] }
        let readers = board.recentReaders.map { signUp -> [String: Any] in
            [
                "name": signUp.reader.name, "email": signUp.reader.email, "url": "/u/\(signUp.reader.name)",
                "createdAt": signUp.createdAt, "isAdmin": signUp.isAdmin,
            ]
        }
        let actions = board.actions.map { action -> [String: Any] in
            [
                "at": action.at, "actor": action.actor.name, "action": action.kind.rawValue,
                "target": action.target, "detail": action.detail ?? "",
            ]
        }
        return [
            "entries": entries, "hasEntries": !entries.isEmpty,
            "hiddenPapers": hidden, "hasHiddenPapers": !hidden.isEmpty,
            "readers": readers, "hasReaders": !readers.isEmpty,
            "actions": actions, "hasActions": !actions.isEmpty,
        ]
    }

    /// The sync-status section (`admin-sync.mustache`): what `/healthz` reports today.
    static func sync(_ health: HealthService.Health) -> [String: Any] {
        var sync: [String: Any] = [
            "papers": health.papers,
            "feedDays": health.feedDays,
            "dailyEntries": health.dailyEntries,
            "indexedPapers": health.search.indexedPapers,
            "embeddedPapers": health.search.embeddedPapers,
            "semantic": health.search.semantic,
            "backfillRunning": health.embeddingBackfill.running,
            "backfillEmbedded": health.embeddingBackfill.embedded,
            "backfillTotal": health.embeddingBackfill.total,
            "backfillRate": health.embeddingBackfill.papersPerSecond,
            "mail": health.digest.mail,
            "confirmedSubscribers": health.digest.subscribers["confirmed", default: 0],
            "today": health.digest.today.date,
            "sentToday": health.digest.today.deliveries["sent", default: 0],
            "pendingToday": health.digest.today.deliveries["pending", default: 0],
            "failedToday": health.digest.today.deliveries["failed", default: 0],
        ]
        if let sendsAt = health.digest.sendsAtUTC { sync["sendsAtUTC"] = sendsAt }
        sync["sources"] = health.sync.sources.map(source)
        return sync
    }

    /// One upstream's row: its last run, last error, next run and harvest checkpoints.
    static func source(_ source: SyncStatus.Source) -> [String: Any] {
        var row: [String: Any] = [
            "name": source.source == "hf-daily" ? "Hugging Face daily papers" : "arXiv (OAI-PMH)",
            "source": source.source,
            "unit": source.fetches,
            "nextRunAt": source.nextRunAt ?? "not scheduled",
            "harvests": source.harvests.map { harvest in
                [
                    "key": harvest.key, "from": harvest.from ?? "the beginning", "midHarvest": harvest.midHarvest,
                    "recordsSoFar": harvest.recordsSoFar,
                ] as [String: Any]
            },
        ]
        if let run = source.lastRun {
            row["lastRun"] =
                [
                    "startedAt": run.startedAt, "endedAt": run.endedAt ?? "running (or its process stopped)", "fetched": run.fetched,
                    "new": run.new, "updated": run.updated, "rejected": run.rejected,
                ] as [String: Any]
        }
        if let failure = source.lastError { row["lastError"] = ["at": failure.at, "message": failure.message] }
        return row
    }
}
