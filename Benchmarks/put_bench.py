#!/usr/bin/env python3
"""`streamq put` benchmarks for `make bench`: the whole process, stdin to durable (fsync always).

    put_bench.py STREAMQ_BINARY OUT_DIR RECORDS

For each key mode (random keys, --key-field user, --partition-key K) on 1 and on 4 shards: a fresh
data directory and stream, then `cat FILE | streamq put`, timed from start to put's exit (median of
3 runs), with put's peak RSS from its resource usage. The zstd -1 anchor is measured on the same
file in the same run (zstd_anchor.py). FILE is OUT_DIR/access.ndjson, the RECORDS records of the
main anchor; BENCH_PUT_RECORDS sets another count, for which OUT_DIR/put-access.ndjson is
generated. Prints a Markdown table."""
import os, shutil, statistics, subprocess, sys, tempfile, time

from zstd_anchor import AnchorError, measure

RUNS = 3
KEY_MODES = [("random keys", []), ("--key-field user", ["--key-field", "user"]), ("--partition-key K", ["--partition-key", "K"])]
SHARDS = [1, 4]


class BenchError(Exception):
    pass


def input_file(streamq, out, records, shared_records):
    """The access-log file with `records` records: the main benchmark's when it holds as many, else one generated here."""
    shared = os.path.join(out, "access.ndjson")
    if records == shared_records and os.path.exists(shared):
        return shared
    path = os.path.join(out, "put-access.ndjson")
    with open(path, "wb") as f:
        subprocess.run([streamq, "gen", "access-logs", "--count", str(records), "--seed", "7"], stdout=f, check=True)
    return path


def put_once(streamq, path, records, shards, key_arguments):
    """Seconds and peak RSS (bytes) of one `streamq put` of `path` into a fresh stream."""
    data = tempfile.mkdtemp(prefix="put-bench-", dir=os.path.dirname(path))
    try:
        env = dict(os.environ, STREAMQ_DATA_DIR=data)
        subprocess.run([streamq, "create-stream", "access", "--shards", str(shards)], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        command = [streamq, "put", "access", *key_arguments]
        with tempfile.TemporaryFile() as errors:
            start = time.perf_counter()
            cat = subprocess.Popen(["cat", path], stdout=subprocess.PIPE)
            child = subprocess.Popen(command, stdin=cat.stdout, stdout=subprocess.DEVNULL, stderr=errors, env=env)
            cat.stdout.close()  # put alone holds the pipe's read end
            _, status, usage = os.wait4(child.pid, 0)
            seconds = time.perf_counter() - start
            child.returncode = os.waitstatus_to_exitcode(status)
            cat.wait()
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
        if child.returncode != 0:
            raise BenchError(f"`{' '.join(command)}` exited with {child.returncode}: {message}")
        if message != f"stored {records} records in access":
            raise BenchError(f"`{' '.join(command)}` of {records} records said: {message}")
        return seconds, usage.ru_maxrss * 1024  # Linux reports kilobytes
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main():
    streamq, out = sys.argv[1], os.path.abspath(sys.argv[2])
    shared_records = int(sys.argv[3])
    records = int(os.environ.get("BENCH_PUT_RECORDS") or shared_records)
    path = input_file(streamq, out, records, shared_records)
    size = os.path.getsize(path)
    anchor = measure(path, records)
    rows = []
    for shards in SHARDS:
        for mode, key_arguments in KEY_MODES:
            runs = [put_once(streamq, path, records, shards, key_arguments) for _ in range(RUNS)]
            seconds = statistics.median(seconds for seconds, _ in runs)
            peak = max(rss for _, rss in runs)
            rows.append((mode, shards, records / seconds, size / seconds / 1e6, peak))

    print(f"\n`streamq put`, the whole process from stdin to durable (fsync always), {records:,} access-log records "
          f"({size / records:.0f} bytes each on average) piped in by cat; median of 3 runs, peak RSS the largest of the 3; "
          "ratio against the zstd -1 records/s of the same file in the same run (best of 3).\n")
    print("| put | shards | records/s | MB/s | peak RSS MiB | ratio to zstd -1 |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode, shards, rps, mbs, peak in rows:
        print(f"| {mode} | {shards} | {rps:,.0f} | {mbs:,.0f} | {peak / 2**20:,.0f} | "
              f"{rps / anchor['compress_records_per_second']:.2f}x |")
    print(f"| anchor: zstd -1 compress (1 core) | | {anchor['compress_records_per_second']:,.0f} | "
          f"{anchor['compress_mb_per_second']:,.0f} | | |")


if __name__ == "__main__":
    try:
        main()
    except AnchorError as error:
        sys.exit(f"make bench: cannot measure the zstd anchor for put: {error}")
    except (BenchError, subprocess.CalledProcessError, OSError) as error:
        sys.exit(f"make bench: cannot measure streamq put: {error}")
