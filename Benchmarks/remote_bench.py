#!/usr/bin/env python3
"""Remote mode against embedded for `make bench` (issue 11 §5), in the same run:
- ingest: the same file through `streamq put` into a data directory, and through
  `streamq put --endpoint URL` into `streamq serve` on loopback (default fsync policy both ways);
- a bounded query: the tumbling-window query of sql_bench.py over the same stored records, through
  `streamq query` on the data directory, and through `streamq query --endpoint URL` while
  `streamq serve` holds that directory (results compared).

    remote_bench.py STREAMQ_BINARY OUT_DIR

BENCH_REMOTE_RECORDS (default 300,000) generated records. Prints Markdown tables with records/s and
the remote/embedded ratio (goal >= 0.5)."""
import math, os, shutil, signal, subprocess, sys, tempfile, time

RUNS = 3
STREAM = "access"
MODES = [("random keys", []), ("--key-field user", ["--key-field", "user"])]
QUERY = ("SELECT window_start, status, count(*) AS n, avg(latency_ms) AS avg_latency, max(latency_ms) AS max_latency, "
         "sum(bytes) AS bytes FROM access WHERE method = 'GET' GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status "
         "ORDER BY window_start, status")


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


class Server:
    """`streamq serve` on a loopback port over `directory`, stopped on exit."""

    def __init__(self, streamq, directory, keys):
        self.process = subprocess.Popen([streamq, "serve", "--listen", "127.0.0.1:0", "--data-dir", directory,
                                         "--master-key-file", keys], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def __enter__(self):
        line = self.process.stdout.readline().decode().strip()
        if not line.startswith("listening on "):
            self.__exit__()
            raise BenchError(f"streamq serve did not start: {line!r}")
        url = line[len("listening on "):]
        return dict(os.environ, STREAMQ_ENDPOINT=url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")

    def __exit__(self, *exception):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def remote(streamq, path, records, arguments):
    data = tempfile.mkdtemp(prefix="remote-bench-")
    try:
        with Server(streamq, os.path.join(data, "d"), os.path.join(data, "keys")) as env:
            subprocess.run([streamq, "create-stream", STREAM, "--shards", "4"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            return timed_put(streamq, path, records, arguments, env)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def timed_query(streamq, env):
    start = time.perf_counter()
    result = subprocess.run([streamq, "query", QUERY, "--format", "csv"], capture_output=True, env=env)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise BenchError(f"streamq query said: {result.stderr.decode(errors='replace').strip()}")
    return seconds, result.stdout


def same_rows(left, right):
    """CSV results equal up to the last digits of averages (partial sums merge in another order)."""
    def cells(text):
        return [line.split(",") for line in text.decode().splitlines()]
    def close(a, b):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9)
        except ValueError:
            return a == b
    a, b = cells(left), cells(right)
    return len(a) == len(b) and all(len(x) == len(y) and all(map(close, x, y)) for x, y in zip(a, b))


def queries(streamq, path, records):
    """Best-of-3 seconds of the bounded query embedded and remote, over the same stored records."""
    data = tempfile.mkdtemp(prefix="remote-bench-")
    try:
        directory, keys = os.path.join(data, "d"), os.path.join(data, "keys")
        env = dict(os.environ, STREAMQ_DATA_DIR=directory, STREAMQ_MASTER_KEY_FILE=keys)
        subprocess.run([streamq, "create-stream", STREAM, "--shards", "4"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        timed_put(streamq, path, records, [], env)
        local = [timed_query(streamq, env) for _ in range(RUNS)]
        with Server(streamq, directory, keys) as remote_env:
            far = [timed_query(streamq, remote_env) for _ in range(RUNS)]
        if not same_rows(far[0][1], local[0][1]):
            raise BenchError("the remote query's rows differ from the embedded query's")
        return min(s for s, _ in local), min(s for s, _ in far)
    finally:
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
    local, far = queries(streamq, path, records)
    print(f"\nA bounded query over the same {records:,} stored records (the tumbling-window query of sql_bench.py), "
          "through `streamq query` on the data directory and through `streamq query --endpoint` to `streamq serve` "
          "holding it, whole process, best of 3:\n")
    print("| query | embedded records/s | remote records/s | remote / embedded |")
    print("|---|---:|---:|---:|")
    print(f"| tumble 1 min by status | {records / local:,.0f} | {records / far:,.0f} | {local / far:.2f}x |")


if __name__ == "__main__":
    try:
        main()
    except (BenchError, subprocess.CalledProcessError, OSError, subprocess.TimeoutExpired) as error:
        sys.exit(f"make bench: cannot measure remote mode: {error}")
