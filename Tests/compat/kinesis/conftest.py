"""Fixtures for the Kinesis compatibility suite: a spawned `streamq serve` (or moto's server, with
STREAMQ_COMPAT_TARGET=moto, to see which tests a well-known emulator fails) and boto3 clients for it.

The server binary is STREAMQ_BIN, else <repo>/.build/debug/streamq. Each server gets a fresh data
directory under pytest's temporary directory; `Server.restart()` starts it again on the same one."""
import os, signal, socket, subprocess, sys, threading, time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).parent))
from kinesis_support import ACCOUNT, REGION  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
TARGET = os.environ.get("STREAMQ_COMPAT_TARGET", "streamq")
ON_MOTO = TARGET == "moto"
STARTUP_SECONDS = 30


def streamq_binary():
    return os.environ.get("STREAMQ_BIN") or str(REPO / ".build" / "debug" / "streamq")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `streamq serve` process (or moto server) and what it was started with."""

    def __init__(self, data_dir, arguments=(), tls=None):
        self.data_dir = Path(data_dir)
        self.arguments = list(arguments)
        self.tls = tls  # (cert path, key path) or None
        self.process = None
        self.url = None
        self.log_path = self.data_dir.parent / (self.data_dir.name + ".log")

    def start(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        if ON_MOTO:
            port = free_port()
            command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
            if self.tls:
                command += ["-c", self.tls[0], "-k", self.tls[1]]
            env = dict(os.environ, MOTO_ACCOUNT_ID=ACCOUNT)
            self.process = subprocess.Popen(command, stdout=log, stderr=log, env=env)
            self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"
            self._wait_for_moto()
        else:
            binary = streamq_binary()
            if not os.path.exists(binary):
                pytest.fail(f"no streamq binary at {binary}: build it or set STREAMQ_BIN")
            command = [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(self.data_dir), *self.arguments]
            if self.tls:
                command += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
            self.url = self._read_listening_line()
        log.close()
        return self

    def _read_listening_line(self):
        found = {}

        def read():
            found["line"] = self.process.stdout.readline().decode(errors="replace").strip()
            # Keep draining so a chatty server never blocks on a full pipe.
            for _ in self.process.stdout:
                pass

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while "line" not in found:
            if self.process.poll() is not None:
                pytest.fail(f"streamq serve exited with {self.process.returncode}: {self.log_path.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                self.process.kill()
                pytest.fail("streamq serve printed no 'listening on' line in time")
            time.sleep(0.02)
        line = found["line"]
        scheme = "https" if self.tls else "http"
        assert line.startswith(f"listening on {scheme}://127.0.0.1:"), f"unexpected first line: {line!r}"
        return line.split(" ", 2)[2]

    def _wait_for_moto(self):
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/moto-api/", timeout=1, verify=False)
                return
            except requests.RequestException:
                time.sleep(0.1)
        pytest.fail("moto server did not start")

    def stop(self):
        """SIGTERM and wait; returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("server did not stop within 20 s of SIGTERM")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def restart(self):
        self.stop()
        return self.start()

    def client(self, validate=True, **config):
        return make_client(self.url, validate=validate, **config)


def make_client(url, validate=True, access_key="AKIDEXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                session_token=None, verify=False, region_name=REGION, **config):
    settings = dict(retries={"max_attempts": 1}, parameter_validation=validate, connect_timeout=5, read_timeout=30)
    settings.update(config)
    return boto3.client("kinesis", endpoint_url=url, region_name=region_name, aws_access_key_id=access_key,
                        aws_secret_access_key=secret_key, aws_session_token=session_token, verify=verify,
                        config=Config(**settings))


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The suite's shared server; tests keep to their own uniquely named streams."""
    instance = Server(tmp_path_factory.mktemp("shared") / "data").start()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def kinesis(server):
    """A boto3 client as users make one (client-side validation on)."""
    return server.client()


@pytest.fixture(scope="session")
def raw_kinesis(server):
    """A boto3 client without client-side validation, so the server's own validation is what answers."""
    return server.client(validate=False)


@pytest.fixture
def server_factory(tmp_path):
    """Starts dedicated servers (own flags, own data directory); all stopped at the end of the test."""
    started = []

    def start(arguments=(), tls=None, name="data"):
        instance = Server(tmp_path / name, arguments, tls).start()
        started.append(instance)
        return instance

    yield start
    for instance in started:
        if instance.process and instance.process.poll() is None:
            instance.process.kill()
            instance.process.wait()


@pytest.fixture
def streamq_only():
    if ON_MOTO:
        pytest.skip("needs streamq serve (restart on the same data directory)")


def pytest_configure(config):
    # The TLS test's clients talk to a self-signed certificate on purpose.
    config.addinivalue_line("filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning")


def pytest_report_header(config):
    return f"kinesis compat target: {TARGET} ({streamq_binary() if not ON_MOTO else 'python3 -m moto.server'})"

