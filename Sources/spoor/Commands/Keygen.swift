import ArgumentParser
import Foundation
import SpoorCase
import SpoorCore
import SpoorIntake
import SpoorIntel
import SpoorStore
import SpoorLogs
import SpoorReport

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make an Ed25519 key pair for signing annexes.",
        discussion:
            "Writes the private key (readable by you only) and KEY.pub beside it. Publish the public key or its fingerprint, so that others can check your signature."
    )

    @Argument(help: ArgumentHelp("Where to write the private key.", valueName: "key-file")) var path: String

    func run() throws {
        do {
            let (publicPath, fingerprint) = try SigningKeys.generate(privatePath: path)
            print("private key: \(SafeText.terminal(path)) (keep it secret)")
            print("public key:  \(SafeText.terminal(publicPath))")
            print("fingerprint: \(fingerprint)")
        } catch {
            Console.error(
                "spoor: error: \(SafeText.terminal(path)): cannot write a new key there (\(SafeText.terminal(error.localizedDescription)))"
            )
            throw ExitStatus.failure
        }
    }
}
