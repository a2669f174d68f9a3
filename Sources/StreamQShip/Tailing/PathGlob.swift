#if canImport(Glibc)
import Glibc
#endif

/// The files that `--path` patterns name, less those an `--exclude` pattern names.
///
/// A pattern is matched one path component at a time with `fnmatch` (`*`, `?`, `[…]`); a `**`
/// component stands for any number of directories (symbolic links to directories are not followed
/// there, so a loop cannot trap the walk). Hidden names match only a pattern that spells the dot.
/// An exclude pattern matches either the whole path or the file's name.
struct PathGlob: Sendable {
    var patterns: [String]
    var excludes: [String]

    /// Every regular file matched, each file (by inode) once, with its status.
    func files() -> [(path: String, status: FileStatus)] {
        var found: [(path: String, status: FileStatus)] = []
        var seen = Set<Inode>()
        for pattern in patterns {
            let absolute = pattern.hasPrefix("/")
            let components = pattern.split(separator: "/").map(String.init)
            var paths: [String] = []
            walk(absolute ? "/" : "", components[...], into: &paths)
            for path in paths.sorted() where !isExcluded(path) {
                guard let status = FileStatus.of(path), seen.insert(status.inode).inserted else { continue }
                found.append((path, status))
            }
        }
        return found
    }

    private func isExcluded(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return excludes.contains { fnmatch($0, path, 0) == 0 || fnmatch($0, name, 0) == 0 }
    }

    private func walk(_ directory: String, _ components: ArraySlice<String>, into paths: inout [String]) {
        guard let component = components.first else { return }
        let rest = components.dropFirst()
        let join = { (name: String) in
            directory.isEmpty ? name : (directory.hasSuffix("/") ? directory : directory + "/") + name
        }
        if component == "**" {
            walk(directory, rest, into: &paths)
            for name in entries(directory) where !name.hasPrefix(".") && isRealDirectory(join(name)) {
                walk(join(name), components, into: &paths)
            }
            return
        }
        let hasWildcard = component.contains { "*?[".contains($0) }
        let names = hasWildcard ? entries(directory).filter { fnmatch(component, $0, FNM_PERIOD) == 0 } : [component]
        for name in names {
            let path = join(name)
            if rest.isEmpty {
                paths.append(path)
            } else if isDirectory(path) {
                walk(path, rest, into: &paths)
            }
        }
    }

    private func entries(_ directory: String) -> [String] {
        guard let handle = opendir(directory.isEmpty ? "." : directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    private func isRealDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
