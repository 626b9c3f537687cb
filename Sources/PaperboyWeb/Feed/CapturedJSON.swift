import Foundation
import NIOCore
import PaperboyCore

/// How captured Hugging Face items are served: as the very bytes they came with, so every
/// field HF sent (known to Paperboy or not) goes back out unchanged, with Paperboy's own data
/// laid over only the fields that mean the same thing here: `paper.upvotes` (captured plus
/// local votes) and `numComments` (captured plus local visible comments).
///
/// Entries without a capture (local submissions) keep the `HFAPI` Codable shapes.
enum CapturedJSON {
    /// The body of `GET /api/daily_papers`: captured items spliced in as bytes, the others
    /// encoded by the one JSON encoder.
    static func dailyItems(_ entries: [DailyEntry]) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(entries.reduce(2) { $0 + ($1.rawItem?.count ?? 2048) + 1 })
        buffer.writeInteger(UInt8(ascii: "["))
        for (index, entry) in entries.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            if let item = dailyItem(entry) {
                buffer.writeBytes(item)
            } else {
                buffer.writeBytes(try JSONResponse.encoder.encode(HFAPI.DailyItem(entry)))
            }
        }
        buffer.writeInteger(UInt8(ascii: "]"))
        return buffer
    }

    /// The entry's captured item with local votes added to `paper.upvotes` and local comments
    /// to `numComments`; nil without a capture, or with one that cannot be read as an item.
    static func dailyItem(_ entry: DailyEntry) -> Data? {
        guard let raw = entry.rawItem else { return nil }
        // With nothing local the overlay is the identity: serve the capture untouched.
        guard entry.paper.localUpvotes != 0 || entry.paper.localComments != 0 else { return raw }
        var item = [UInt8](raw)
        if entry.paper.localUpvotes != 0 {
            guard
                let range = JSONBytes.member("paper", ofObjectAt: 0, in: item),
                let paper = JSONBytes.settingMember(
                    "upvotes",
                    to: upvotes(entry).utf8,
                    inObject: Array(item[range])
                )
            else { return nil }
            item.replaceSubrange(range, with: paper)
        }
        if entry.paper.localComments != 0 {
            guard let overlaid = JSONBytes.settingMember("numComments", to: String(entry.totalComments).utf8, inObject: item) else {
                return nil
            }
            item = overlaid
        }
        return Data(item)
    }

    /// The body of `GET /api/papers/{id}` for a paper whose latest entry has a capture: that
    /// capture's `paper` object with local votes added to `upvotes`, plus what Paperboy knows
    /// and the capture lacks (`categories` from arXiv, `submittedOnDailyAt` on old captures).
    static func paper(_ paper: Paper, latestEntry entry: DailyEntry?) throws -> ByteBuffer? {
        guard let entry, let raw = entry.rawItem else { return nil }
        let item = [UInt8](raw)
        guard let range = JSONBytes.member("paper", ofObjectAt: 0, in: item) else { return nil }
        var object = Array(item[range])
        if paper.localUpvotes != 0 {
            guard let overlaid = JSONBytes.settingMember("upvotes", to: upvotes(entry).utf8, inObject: object) else { return nil }
            object = overlaid
        }
        if !paper.categories.isEmpty, JSONBytes.member("categories", ofObjectAt: 0, in: object) == nil {
            let categories = try JSONResponse.encoder.encode(paper.categories)
            guard let added = JSONBytes.settingMember("categories", to: categories, inObject: object) else { return nil }
            object = added
        }
        let comments = String(entry.numComments + paper.localComments)
        guard let counted = JSONBytes.settingMember("numComments", to: comments.utf8, inObject: object) else { return nil }
        object = counted
        if JSONBytes.member("submittedOnDailyAt", ofObjectAt: 0, in: object) == nil {
            let submittedAt = try JSONResponse.encoder.encode(entry.submittedAt ?? "\(entry.day)T00:00:00.000Z")
            guard let added = JSONBytes.settingMember("submittedOnDailyAt", to: submittedAt, inObject: object) else { return nil }
            object = added
        }
        return ByteBuffer(bytes: object)
    }

    /// Captured for the entry's day plus this server's votes.
    static func upvotes(_ entry: DailyEntry) -> String {
        String(entry.upvotes + entry.paper.localUpvotes)
    }
}
