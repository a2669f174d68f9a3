#!/usr/bin/env python3
"""`streamq ship` benchmarks for `make bench`: lines/s shipped from one file into a local stream.

    ship_bench.py STREAMQ_BINARY OUT_DIR [LINES]

On the same file of LINES nginx combined access-log lines (default 1,000,000; BENCH_SHIP_LINES), side
by side in one run, each the whole process from its start until the last line is stored (median of
3 runs, peak RSS the largest):
  - `streamq ship --once` with `--parser none` and with `--parser nginx` into a fresh 1-shard stream
    (fsync always, exactly once: every append carries its producer stamp);
  - `tail -n +1 FILE | streamq put` into a fresh 1-shard stream (what people do without ship);
  - rsyslog's imfile into omfile (`apt-get install rsyslog`), timed until its output file holds
    every line.
Goals (issue 12): raw at least the speed of `streamq put`; parsed at least 2x rsyslog. Prints a
Markdown table."""
import os, random, shutil, statistics, subprocess, sys, tempfile, time

RUNS = 3


class BenchError(Exception):
    pass


def generate(path, lines):
    """Deterministic nginx combined lines with the variety of a real access log."""
    rng = random.Random(7)
    paths = ["/", "/index.html", "/api/v1/orders", "/api/v1/users/{}", "/static/app.{}.js", "/search?q=item{}",
             "/checkout", "/health", "/login", "/images/{}.png"]
    agents = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
              "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2",
              "curl/8.5.0", "Go-http-client/1.1", "python-requests/2.31.0"]
    referers = ["-", "https://example.com/", "https://www.google.com/search?q=streamq"]
    methods = ["GET"] * 8 + ["POST", "PUT"]
    statuses = [200] * 14 + [301, 304, 404, 500, 503]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    start = 1_764_000_000
    with open(path, "w") as f:
        for n in range(lines):
            t = time.gmtime(start + n // 50)
            ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            user = "-" if rng.random() < 0.9 else f"user{rng.randrange(1000)}"
            target = rng.choice(paths).format(rng.randrange(10000))
            f.write(f'{ip} - {user} [{t.tm_mday:02d}/{months[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:'
                    f'{t.tm_min:02d}:{t.tm_sec:02d} +0000] "{rng.choice(methods)} {target} HTTP/1.1" '
                    f'{rng.choice(statuses)} {rng.randrange(200, 60000)} "{rng.choice(referers)}" '
                    f'"{rng.choice(agents)}"\n')


def timed(command, env=None, stdin_command=None):
    """Seconds, peak RSS (bytes) and stderr of one run of `command`, optionally fed by `stdin_command`."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        feeder = subprocess.Popen(stdin_command, stdout=subprocess.PIPE) if stdin_command else None
        child = subprocess.Popen(command, stdin=feeder.stdout if feeder else subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=errors, env=env)
        if feeder:
            feeder.stdout.close()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        if feeder:
            feeder.wait()
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise BenchError(f"`{' '.join(command)}` exited with {code}: {message}")
    return seconds, usage.ru_maxrss * 1024, message


def streamq_run(streamq, work, lines, command_for, expected, stdin_command=None):
    data = tempfile.mkdtemp(prefix="ship-bench-", dir=work)
    try:
        env = dict(os.environ, STREAMQ_DATA_DIR=data + "/data")
        subprocess.run([streamq, "create-stream", "access", "--shards", "1"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        command = command_for(data)
        seconds, rss, message = timed(command, env=env, stdin_command=stdin_command)
        if expected not in message:
            raise BenchError(f"`{' '.join(command)}` of {lines} lines said: {message}")
        return seconds, rss
    finally:
        shutil.rmtree(data, ignore_errors=True)


def rsyslog_run(path, work, lines):
    """imfile → omfile: from rsyslogd's start until the output holds every line."""
    directory = tempfile.mkdtemp(prefix="rsyslog-bench-", dir=work)
    try:
        output = directory + "/out.log"
        config = directory + "/rsyslog.conf"
        with open(config, "w") as f:
            f.write(f'global(workDirectory="{directory}")\n'
                    'module(load="imfile")\n'
                    f'input(type="imfile" file="{path}" tag="access" freshStartTail="off")\n'
                    'template(name="line" type="string" string="%msg%\\n")\n'
                    f'action(type="omfile" file="{output}" template="line")\n')
        check = subprocess.run(["rsyslogd", "-N1", "-f", config], capture_output=True, text=True)
        if check.returncode != 0:
            raise BenchError(f"rsyslogd refuses the benchmark's configuration: {check.stderr.strip()}")
        start = time.perf_counter()
        child = subprocess.Popen(["rsyslogd", "-n", "-f", config, "-i", directory + "/rsyslogd.pid"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seen, offset, deadline = 0, 0, start + 600
        while seen < lines:
            if child.poll() is not None:
                raise BenchError(f"rsyslogd exited early: {child.stderr.read().decode(errors='replace')}")
            if time.perf_counter() > deadline:
                child.kill()
                raise BenchError(f"rsyslogd wrote {seen} of {lines} lines in 600 s")
            if os.path.exists(output):
                with open(output, "rb") as f:
                    f.seek(offset)
                    chunk = f.read()
                offset += len(chunk)
                seen += chunk.count(b"\n")
            if seen < lines:
                time.sleep(0.02)
        seconds = time.perf_counter() - start
        child.terminate()
        _, _, usage = os.wait4(child.pid, 0)
        return seconds, usage.ru_maxrss * 1024
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def interleaved_medians(contenders):
    """Runs each contender RUNS times, round by round (so a busy moment of the machine falls on
    all of them alike); returns (name, median seconds, largest peak RSS) for each."""
    runs = {name: [] for name, _ in contenders}
    for _ in range(RUNS):
        for name, run in contenders:
            runs[name].append(run())
    return [(name, statistics.median(s for s, _ in runs[name]), max(r for _, r in runs[name]))
            for name, _ in contenders]


def main():
    streamq, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    lines = int(sys.argv[3] if len(sys.argv) > 3 else os.environ.get("BENCH_SHIP_LINES") or 1_000_000)
    path = os.path.join(out, "nginx-access.log")
    generate(path, lines)
    size = os.path.getsize(path)
    shipped = f"shipped {lines} lines from 1 file to access"

    def ship(parser):
        return lambda: streamq_run(streamq, out, lines, lambda data: [
            streamq, "ship", "--path", path, "--stream", "access", "--once", "--parser", parser,
            "--state-dir", data + "/state"], shipped)

    contenders = [
        ("`streamq ship --parser none`", ship("none")),
        ("`streamq ship --parser nginx`", ship("nginx")),
        ("`tail -n +1 FILE \\| streamq put`", lambda: streamq_run(
            streamq, out, lines, lambda data: [streamq, "put", "access"], f"stored {lines} records in access",
            stdin_command=["tail", "-n", "+1", path])),
    ]
    if shutil.which("rsyslogd"):
        contenders.append(("rsyslog imfile → omfile", lambda: rsyslog_run(path, out, lines)))
    results = interleaved_medians(contenders)
    put_seconds = results[2][1]
    rsyslog_seconds = results[3][1] if len(results) > 3 else None

    print(f"\n`streamq ship`: {lines:,} nginx combined access-log lines ({size / lines:.0f} bytes each on average) "
          "from one file into a 1-shard stream (fsync always), each the whole process until the last line is "
          f"stored; median of {RUNS} runs taken in turns, peak RSS the largest.\n")
    print("| shipper | lines/s | MB/s | peak RSS MiB | vs `streamq put` | vs rsyslog |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, seconds, rss in results:
        against_rsyslog = f"{rsyslog_seconds / seconds:.2f}x" if rsyslog_seconds else "n/a"
        print(f"| {name} | {lines / seconds:,.0f} | {size / seconds / 1e6:,.0f} | {rss / 2**20:,.0f} | "
              f"{put_seconds / seconds:.2f}x | {against_rsyslog} |")
    if rsyslog_seconds is None:
        print("\n(rsyslogd is not installed: `apt-get install rsyslog` adds its row.)")


if __name__ == "__main__":
    try:
        main()
    except (BenchError, subprocess.CalledProcessError, OSError) as error:
        sys.exit(f"make bench: cannot measure streamq ship: {error}")
