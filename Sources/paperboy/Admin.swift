import ArgumentParser
import Foundation
import PaperboyApp
import PaperboyCore
import PaperboyStore

/// `paperboy admin grant|revoke|list|log`: who may use /admin, and what editors did. Changes
/// made here are logged as done by "cli".
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grant or revoke the admin role (the /admin area), list admins, show the admin log.",
        subcommands: [Grant.self, Revoke.self, List.self, Log.self]
    )

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the reader with EMAIL an admin.")

        @OptionGroup var options: StoreOptions

        @Argument(help: "The email address the reader signed up with (any case).")
        var email: String

        func run() async throws {
            let change = try await Admin.changeRole(email: email, grant: true, options: options)
            print(
                change.changed
                    ? "\(change.reader.name) <\(change.reader.email)> is now an admin"
                    : "\(change.reader.name) <\(change.reader.email)> already was an admin"
            )
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take the admin role from the reader with EMAIL.")

        @OptionGroup var options: StoreOptions

        @Argument(help: "The email address the reader signed up with (any case).")
        var email: String

        func run() async throws {
            let change = try await Admin.changeRole(email: email, grant: false, options: options)
            print(
                change.changed
                    ? "\(change.reader.name) <\(change.reader.email)> is no longer an admin"
                    : "\(change.reader.name) <\(change.reader.email)> was not an admin"
            )
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print each admin: name, email.")

        @OptionGroup var options: StoreOptions

        func run() async throws {
            let admins = try await Admin.service(options).admins()
            for reader in admins { print("\(reader.name)\t\(reader.email)") }
            if admins.isEmpty { FileHandle.standardError.write(Data("no admins yet: paperboy admin grant EMAIL\n".utf8)) }
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the latest admin actions: when, who, action, target, detail.")

        @OptionGroup var options: StoreOptions

        @Option(name: .long, help: "How many actions, newest first.")
        var limit = 50

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
        }

        func run() async throws {
            for action in try await Admin.service(options).actions(limit: limit) {
                print([action.at, action.actor.name, action.kind.rawValue, action.target, action.detail ?? ""].joined(separator: "\t"))
            }
        }
    }

    static func service(_ options: StoreOptions) async throws -> AdminService {
        AdminService(store: try await options.settings().openStore(), clock: SystemClock())
    }

    static func changeRole(email: String, grant: Bool, options: StoreOptions) async throws -> RoleChange {
        let service = try await service(options)
        do {
            return grant ? try await service.grant(email: email) : try await service.revoke(email: email)
        } catch let refusal as AdminService.Refusal {
            throw CommandFailure(refusal.message)
        }
    }
}
