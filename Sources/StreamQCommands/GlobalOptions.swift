import ArgumentParser
import FoundationEssentials

/// The global options: every option of ``StoreOptions``, accepted before or after the subcommand
/// (`streamq --data-dir D list-streams` and `streamq list-streams --data-dir D`).
///
/// ArgumentParser only takes a command's options after the command's name, so before parsing,
/// ``placedAfterSubcommand(_:)`` moves global options written before the subcommand to just after
/// it. The option names come from ``StoreOptions`` itself, so an option added there is global
/// without further changes.
enum GlobalOptions {
    /// `arguments` (without the program name) with the global options written before the subcommand
    /// moved, in their order, to just after the subcommand's path (`gen access-logs` for a nested
    /// one). Arguments are returned unchanged when no global option leads or no subcommand follows,
    /// so ArgumentParser reports those cases itself.
    static func placedAfterSubcommand(
        _ arguments: [String],
        root: any ParsableCommand.Type = StreamQCommand.self
    ) -> [String] {
        var index = arguments.startIndex
        var moved: [String] = []
        var kept: [String] = []
        while index < arguments.endIndex, arguments[index].hasPrefix("-"), arguments[index] != "--" {
            let token = arguments[index]
            index += 1
            guard let option = options.first(where: { $0.matches(token) }) else {
                kept.append(token)
                continue
            }
            moved.append(token)
            if option.takesValue, !token.contains("="), index < arguments.endIndex {
                moved.append(arguments[index])
                index += 1
            }
        }
        let pathStart = index
        var command = root
        while index < arguments.endIndex, let subcommand = command.subcommand(named: arguments[index]) {
            command = subcommand
            index += 1
        }
        guard !moved.isEmpty, index > pathStart else { return arguments }
        return kept + arguments[pathStart..<index] + moved + arguments[index...]
    }

    /// The global options with their value names (`--data-dir <data-dir>, --fsync <fsync>, …`),
    /// derived from ``StoreOptions``: what the root command's discussion must spell out (it lists
    /// them literally, so that no start pays for deriving them; a test compares the two).
    static var summary: String {
        let spelled = options.map { $0.spellings.joined(separator: ", ") + ($0.valueName.map { " <\($0)>" } ?? "") }
        return spelled.joined(separator: ", ")
    }

    /// The options of ``StoreOptions``, read from ArgumentParser's description of it (the tool-info
    /// JSON behind `--experimental-dump-help`), less the built-in ones every type has (`--help`).
    private static let options: [Description] = {
        let builtIn = Set(describe(NoOptions.self).flatMap(\.spellings))
        return describe(StoreOptions.self).filter { builtIn.isDisjoint(with: $0.spellings) }
    }()

    private struct NoOptions: ParsableArguments {}

    private static func describe(_ type: any ParsableArguments.Type) -> [Description] {
        // The JSON comes from ArgumentParser's own encoder, so failing to decode it is a programming
        // error (a changed schema), caught by the tests on the first run.
        guard let info = try? JSONDecoder().decode(ToolInfo.self, from: Data(type._dumpHelp().utf8)) else {
            preconditionFailure("ArgumentParser's description of \(type) is not the tool-info JSON this code reads")
        }
        return (info.command.arguments ?? []).compactMap { argument in
            guard argument.kind != "positional", let names = argument.names, !names.isEmpty else { return nil }
            return Description(
                spellings: names.map { $0.kind == "long" ? "--\($0.name)" : "-\($0.name)" },
                takesValue: argument.kind == "option",
                valueName: argument.kind == "option" ? argument.valueName : nil
            )
        }
    }

    /// One global option: how it is spelled and whether a value follows it.
    private struct Description {
        var spellings: [String]
        var takesValue: Bool
        var valueName: String?

        /// `token` is this option, alone or as `--name=value`.
        func matches(_ token: String) -> Bool {
            spellings.contains { token == $0 || (takesValue && $0.hasPrefix("--") && token.hasPrefix($0 + "=")) }
        }
    }

    /// The part of ArgumentParser's tool-info JSON (`ToolInfoV0`) read here.
    private struct ToolInfo: Decodable {
        struct Command: Decodable { var arguments: [Argument]? }
        struct Argument: Decodable {
            struct Name: Decodable {
                var kind: String
                var name: String
            }
            var kind: String
            var names: [Name]?
            var valueName: String?
        }
        var command: Command
    }
}

extension ParsableCommand {
    /// The direct subcommand called `name` (or one of its aliases), if any.
    fileprivate static func subcommand(named name: String) -> (any ParsableCommand.Type)? {
        configuration.subcommands.first { $0._commandName == name || $0.configuration.aliases.contains(name) }
    }
}
