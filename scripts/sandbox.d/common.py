"""What the sandbox command and its agent share: the state directory's files, the region and
credentials the emulator takes, small HTTP and process helpers."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

REGION = "us-east-1"
# moto's default account: every ARN the emulator makes is in it.
ACCOUNT = "123456789012"
# Static credentials: moto accepts any, and with them the AWS SDKs never look for real ones.
ACCESS_KEY_ID = "sandbox"
SECRET_ACCESS_KEY = "sandbox"

# Files of the state directory.
STATE_FILE = "state.json"  # what `up` made; present while a sandbox runs
ENV_FILE = "env"  # the `export` lines
READY_FILE = "agent.ready"  # written by the agent once it serves
INSTANCES_SUFFIX = ".instances"  # <function>.instances: pids of its running instances, one a line
PID_FILES = ("moto.pid", "agent.pid")


class SandboxError(Exception):
    """An expected failure: printed as one line (with what to do), never as a traceback."""


def aws_env(endpoint: str) -> dict[str, str]:
    """The variables every AWS SDK (and so `lisa-ops`) needs to talk to the emulator."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
    }


# Variables of a real AWS setup that would mix with the sandbox's: `env` unsets them.
FOREIGN_AWS_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE")


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(path: Path, value: Any) -> None:
    """Written whole or not at all: a reader never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
        f.write("\n")
    os.replace(partial, path)


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 10) -> tuple[int, bytes]:
    """One HTTP exchange: (status, body); a connection failure raises OSError."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until(what: str, ready, seconds: float, interval: float = 0.1, alive=None) -> None:
    """Polls `ready()` until it is true; gives up after `seconds`, or as soon as `alive()` is false."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if ready():
                return
        except OSError:
            pass
        if alive is not None and not alive():
            raise SandboxError(f"{what}: the process exited")
        if time.monotonic() >= deadline:
            raise SandboxError(f"{what}: not ready after {seconds:.0f} s")
        time.sleep(interval)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cmdline(pid: int) -> str:
    """The process's command line ('' when it is gone or not ours to read)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int, marker: str) -> bool:
    """Whether `pid` runs and is the process we started (its command line holds `marker`): a pid
    file left from before a reboot may name another program by now."""
    if pid <= 0:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False  # a zombie has finished; only its parent's wait is missing
    except (OSError, IndexError):
        return False
    return marker in cmdline(pid)


def stop(pid: int, marker: str, grace: float = 10) -> bool:
    """SIGTERM, then SIGKILL after `grace` seconds; True when it had to be stopped."""
    if not alive(pid, marker):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + grace
    while alive(pid, marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid, marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 5
        while alive(pid, marker) and time.monotonic() < deadline:
            time.sleep(0.05)
    return True


class Server(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 whose handlers run in daemon threads; a client that hangs up
    mid-answer (a function instance stopped while it waited for work) is no error worth a
    traceback in the log."""

    daemon_threads = True

    def __init__(self, port: int, handler):
        super().__init__(("127.0.0.1", port), handler)

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            print(f"{time.strftime('%H:%M:%S')} http: {client_address[0]}:{client_address[1]}: {error!r}", flush=True)
