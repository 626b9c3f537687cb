import Foundation
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import Testing

@Suite struct DiscussionStoreTests {
    @Test(arguments: StoreBackend.allCases)
    func commentsRepliesAndTheVisibleCountMoveTogether(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore(clock: FixedClock(FeedDay("2024-05-28")!, hour: 12))
        defer { cleanUp() }
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 1)])
        let ada = try await store.createUser(email: "a@example.org", name: "ada", passwordHash: "h")
        let bob = try await store.createUser(email: "b@example.org", name: "bob", passwordHash: "h")
        let before = try await store.changeCounter()

        let top = try await store.addComment(paperID: "2405.00001", parentID: nil, by: ada.id, body: "First **thoughts**")
        #expect(top.authorName == "ada")
        #expect(top.parentID == nil)
        #expect(top.createdAt == "2024-05-28T12:00:00Z")
        #expect(try await store.changeCounter() > before, "a comment is a change readers see")
        let reply = try await store.addComment(paperID: "2405.00001", parentID: top.id, by: bob.id, body: "A reply")
        #expect(reply.parentID == top.id)
        let replyToReply = try await store.addComment(paperID: "2405.00001", parentID: reply.id, by: ada.id, body: "Back")
        #expect(replyToReply.parentID == top.id, "one level of replies: a reply to a reply joins the thread")
        #expect(try await store.paper(id: "2405.00001")?.localComments == 3)
        #expect(try await store.comments(onPaper: "2405.00001").map(\.id) == [top.id, reply.id, replyToReply.id])

        await #expect(throws: DiscussionError.unknownPaper) {
            try await store.addComment(paperID: "2405.99999", parentID: nil, by: ada.id, body: "x")
        }
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00002", day: "2024-05-27", upvotes: 1)])
        await #expect(throws: DiscussionError.unknownParent, "the parent must be on the same paper") {
            try await store.addComment(paperID: "2405.00002", parentID: top.id, by: ada.id, body: "x")
        }

        #expect(try await store.editComment(id: reply.id, body: "A better reply"))
        let edited = try #require(try await store.comment(id: reply.id))
        #expect(edited.body == "A better reply")
        #expect(edited.editedAt == "2024-05-28T12:00:00Z")

        #expect(try await store.deleteComment(id: reply.id))
        #expect(try await store.deleteComment(id: reply.id) == false, "deleted once")
        #expect(try await store.editComment(id: reply.id, body: "again") == false, "a deleted comment is not edited")
        let deleted = try #require(try await store.comment(id: reply.id))
        #expect(deleted.deletedAt != nil)
        #expect(deleted.body == "A better reply", "a soft delete keeps the row")
        #expect(try await store.paper(id: "2405.00001")?.localComments == 2)
        await #expect(throws: DiscussionError.unknownParent, "no replies to a removed comment") {
            try await store.addComment(paperID: "2405.00001", parentID: reply.id, by: ada.id, body: "x")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func moderatorsHideAndShowReportsAreSettledAndEveryActionIsLogged(_ backend: StoreBackend) async throws {
        let (store, cleanUp) = try await backend.makeStore(clock: FixedClock(FeedDay("2024-05-28")!, hour: 12))
        defer { cleanUp() }
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 1)])
        let ada = try await store.createUser(email: "a@example.org", name: "ada", passwordHash: "h")
        let bob = try await store.createUser(email: "b@example.org", name: "bob", passwordHash: "h")
        let cyd = try await store.createUser(email: "c@example.org", name: "cyd", passwordHash: "h")
        let spam = try await store.addComment(paperID: "2405.00001", parentID: nil, by: ada.id, body: "Buy things")
        let fine = try await store.addComment(paperID: "2405.00001", parentID: nil, by: ada.id, body: "A fair point")

        #expect(try await store.reportComment(id: spam.id, by: bob.id, reason: "spam"))
        #expect(try await store.reportComment(id: spam.id, by: bob.id, reason: "abuse") == false, "one report per reader")
        #expect(try await store.reportComment(id: spam.id, by: cyd.id, reason: "abuse"))
        #expect(try await store.reportComment(id: fine.id, by: bob.id, reason: "other"))
        let reported = try await store.reportedComments(limit: 10)
        #expect(Set(reported.map(\.comment.id)) == [spam.id, fine.id])
        #expect(reported.first { $0.comment.id == spam.id }?.reasons == ["spam", "abuse"])
        #expect(try await store.comment(id: spam.id)?.openReports == 2)

        let moderator = AdminActor(readerID: cyd.id, name: "cyd")
        #expect(try await store.setCommentHidden(id: spam.id, true, by: moderator) == true)
        #expect(try await store.setCommentHidden(id: spam.id, true, by: moderator) == false, "already hidden")
        #expect(try await store.setCommentHidden(id: 999_999, true, by: moderator) == nil)
        let hidden = try #require(try await store.comment(id: spam.id))
        #expect(hidden.hiddenAt != nil)
        #expect(hidden.body == "Buy things", "hidden comments stay in the database")
        #expect(hidden.openReports == 0, "hiding settles the reports")
        #expect(try await store.paper(id: "2405.00001")?.localComments == 1)

        #expect(try await store.dismissReports(commentID: fine.id, by: moderator) == 1)
        #expect(try await store.reportedComments(limit: 10).isEmpty)
        #expect(try await store.paper(id: "2405.00001")?.localComments == 1, "dismissing leaves the comment shown")

        #expect(try await store.setCommentHidden(id: spam.id, false, by: moderator) == true)
        #expect(try await store.paper(id: "2405.00001")?.localComments == 2)
        #expect(try await store.deleteComment(id: spam.id))
        #expect(try await store.setCommentHidden(id: spam.id, true, by: moderator) == true)
        #expect(try await store.paper(id: "2405.00001")?.localComments == 1, "a deleted comment is not counted twice")

        let log = try await store.adminActions(limit: 10).map { "\($0.kind.rawValue) \($0.target) \($0.detail ?? "")" }
        #expect(
            log == [
                "hide-comment \(spam.id) 2405.00001", "unhide-comment \(spam.id) 2405.00001",
                "dismiss-reports \(fine.id) 2405.00001", "hide-comment \(spam.id) 2405.00001",
            ],
            "newest first"
        )
    }

    @Test(arguments: StoreBackend.allCases)
    func activityCountsARecentWindowAndKnowsWhenTheReaderJoined(_ backend: StoreBackend) async throws {
        let clock = TestClock(now: FeedDay("2024-05-28")!.startTimestamp)
        let (store, cleanUp) = try await backend.makeStore(clock: clock)
        defer { cleanUp() }
        _ = try await store.importFeedDay(FeedDay("2024-05-27")!, entries: [entry("2405.00001", day: "2024-05-27", upvotes: 1)])
        let ada = try await store.createUser(email: "a@example.org", name: "ada", passwordHash: "h")
        _ = try await store.addComment(paperID: "2405.00001", parentID: nil, by: ada.id, body: "one")
        clock.advance(by: .seconds(7200))
        _ = try await store.addComment(paperID: "2405.00001", parentID: nil, by: ada.id, body: "two")
        let activity = try #require(try await store.commentActivity(of: ada.id, since: "2024-05-28T01:00:00Z"))
        #expect(activity == CommentActivity(commentsSince: 1, joinedAt: "2024-05-28T00:00:00Z"))
        #expect(try await store.commentActivity(of: 999, since: "2024-05-28T01:00:00Z") == nil)
    }
}
