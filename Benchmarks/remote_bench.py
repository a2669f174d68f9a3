#!/usr/bin/env python3
"""Remote mode against embedded for `make bench` (issue 11 §5): the same file through `streamq put`
into a data directory, and through `streamq put --endpoint URL` into `streamq serve` on loopback
(default fsync policy both ways), in the same run.

    remote_bench.py STREAMQ_BINARY OUT_DIR

FILE is OUT_DIR/access.ndjson when present, else BENCH_REMOTE_RECORDS (default 300,000) generated
records. Prints a Markdown table with records/s and the remote/embedded ratio (goal >= 0.5)."""
import os, shutil, signal, subprocess, sys, tempfile, time

RUNS = 3
STREAM = "access"
MODES = [("random keys", []), ("--key-field user", ["--key-field", "user"])]


class BenchError(Exception):
    pass


def input_file(streamq, out):
    records = int(os.environ.get("BENCH_REMOTE_RECORDS") or 300_000)
    path = os.path.join(out, "remote-access.ndjson")
    with open(path, "wb") as f:
        subprocess.run([streamq, "gen", "access-logs", "--count", str(records), "--seed", "7"], stdout=f, check=True)
    return path, records


def timed_put(streamq, path, records, arguments, env):
    with open(path, "rb") as stdin:
        start = time.perf_counter()
        result = subprocess.run([streamq, "put", STREAM, *arguments], stdin=stdin, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=env)
        seconds = time.perf_counter() - start
    message = result.stderr.decode(errors="replace").strip()
    if result.returncode != 0 or not message.endswith(f"stored {records} records in {STREAM}"):
        raise BenchError(f"streamq put {' '.join(arguments)} said: {message}")
    return seconds


def embedded(streamq, path, records, arguments):
    data = tempfile.mkdtemp(prefix="remote-bench-")
    try:
        env = dict(os.environ, STREAMQ_DATA_DIR=data)
        subprocess.run([streamq, "create-stream", STREAM, "--shards", "4"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        return timed_put(streamq, path, records, arguments, env)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def remote(streamq, path, records, arguments):
    data = tempfile.mkdtemp(prefix="remote-bench-")
    server = subprocess.Popen([streamq, "serve", "--listen", "127.0.0.1:0", "--data-dir", os.path.join(data, "d"),
                               "--master-key-file", os.path.join(data, "keys")],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = server.stdout.readline().decode().strip()
        if not line.startswith("listening on "):
            raise BenchError(f"streamq serve did not start: {line!r}")
        url = line[len("listening on "):]
        env = dict(os.environ, STREAMQ_ENDPOINT=url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
        subprocess.run([streamq, "create-stream", STREAM, "--shards", "4"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        return timed_put(streamq, path, records, arguments, env)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


def main():
    streamq, out = sys.argv[1], os.path.abspath(sys.argv[2])
    path, records = input_file(streamq, out)
    rows = []
    for mode, arguments in MODES:
        local = min(embedded(streamq, path, records, arguments) for _ in range(RUNS))
        far = min(remote(streamq, path, records, arguments) for _ in range(RUNS))
        rows.append((mode, records / local, records / far))
    print(f"\nRemote mode against embedded: `streamq put` of {records:,} access-log records into a 4-shard stream, "
          "into a data directory and through `streamq put --endpoint` to `streamq serve` on loopback (fsync always "
          "both ways), best of 3.\n")
    print("| put | embedded records/s | remote records/s | remote / embedded |")
    print("|---|---:|---:|---:|")
    for mode, local, far in rows:
        print(f"| {mode} | {local:,.0f} | {far:,.0f} | {far / local:.2f}x |")


if __name__ == "__main__":
    try:
        main()
    except (BenchError, subprocess.CalledProcessError, OSError, subprocess.TimeoutExpired) as error:
        sys.exit(f"make bench: cannot measure remote mode: {error}")
