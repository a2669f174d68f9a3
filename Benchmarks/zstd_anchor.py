#!/usr/bin/env python3
"""The anchor of `make bench`: the zstd CLI compressing (level 1) and decompressing a file on one core.

    zstd_anchor.py FILE RECORDS OUT_JSON

Times `zstd -1 -c FILE > /dev/null` and `zstd -d -c FILE.zst > /dev/null` (single-threaded, best of
3 runs each) and writes records/s, MB/s (of the uncompressed file) and the compression ratio to
OUT_JSON. Other scripts import measure(). Exits non-zero with the reason when zstd cannot be
measured, so `make bench` stops instead of printing a table without its anchor."""
import json, os, shutil, subprocess, sys, time

RUNS = 3


class AnchorError(Exception):
    pass


def _best_seconds(command, stdin_path):
    """The shortest wall time of RUNS runs of `command` reading stdin_path, output discarded."""
    best = None
    for _ in range(RUNS):
        with open(stdin_path, "rb") as source:
            start = time.perf_counter()
            done = subprocess.run(command, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise AnchorError(f"`{' '.join(command)} < {stdin_path}` exited with {done.returncode}: "
                              f"{done.stderr.decode(errors='replace').strip()}")
        best = seconds if best is None else min(best, seconds)
    return best


def measure(path, records):
    """zstd -1 compress and zstd -d decompress rates of `path` (holding `records` records) on one core."""
    zstd = shutil.which("zstd")
    if zstd is None:
        raise AnchorError("zstd is not on PATH (scripts/install-deps.sh installs it)")
    size = os.path.getsize(path)
    if size == 0 or records <= 0:
        raise AnchorError(f"{path} holds {size} bytes and {records} records: nothing to measure")
    compressed = path + ".zst"
    with open(path, "rb") as source, open(compressed, "wb") as target:
        done = subprocess.run([zstd, "-1", "--single-thread", "-q", "-c"], stdin=source, stdout=target, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise AnchorError(f"zstd -1 could not compress {path}: {done.stderr.decode(errors='replace').strip()}")
    compress = _best_seconds([zstd, "-1", "--single-thread", "-q", "-c"], path)
    decompress = _best_seconds([zstd, "-d", "--single-thread", "-q", "-c"], compressed)
    return {
        "file": path,
        "records": records,
        "bytes": size,
        "ratio": size / os.path.getsize(compressed),
        "compress_seconds": compress,
        "compress_records_per_second": records / compress,
        "compress_mb_per_second": size / compress / 1e6,
        "decompress_seconds": decompress,
        "decompress_records_per_second": records / decompress,
        "decompress_mb_per_second": size / decompress / 1e6,
    }


if __name__ == "__main__":
    path, records, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    try:
        anchor = measure(path, records)
    except (AnchorError, OSError) as error:
        sys.exit(f"make bench: cannot measure the zstd anchor: {error}")
    with open(out, "w") as f:
        json.dump(anchor, f, indent=2)
