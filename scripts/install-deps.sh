#!/usr/bin/env bash
# Installs what building and testing streamq needs on a fresh Debian/Ubuntu machine that already
# has the Swift toolchain: libzstd, zlib and libedit (headers + pkg-config files), pkg-config, the zstd CLI
# (benchmark anchor), GNU time (peak memory in the SQL benchmark), python3 and script (the `streamq sql`
# terminal test). Does nothing when everything is
# present.
set -euo pipefail

missing=()
pkg-config --exists libzstd 2>/dev/null || missing+=(libzstd-dev)
pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)
pkg-config --exists libedit 2>/dev/null || missing+=(libedit-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v zstd >/dev/null || missing+=(zstd)
[ -x /usr/bin/time ] || missing+=(time)
command -v python3 >/dev/null || missing+=(python3)
command -v script >/dev/null || missing+=(bsdutils)

if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# DuckDB and pyarrow (Python) are the references the SQL and sink tests compare against.
for module in duckdb pyarrow; do
    if ! python3 -c "import $module" 2>/dev/null; then
        echo "installing: $module (PyPI)" >&2
        python3 -m pip install -q "$module" >/dev/null 2>&1 || python3 -m pip install -q --break-system-packages "$module" >/dev/null
    fi
done

command -v swift >/dev/null || { echo "swift is not on PATH; install the Swift 6 toolchain first" >&2; exit 1; }
