"""A stand-in of AWS Lambda for one function: runs its packaged `bootstrap` (the `provided.al2023`
runtime's entry point) as Lambda does, and serves it the Lambda Runtime API
(`GET /2018-06-01/runtime/invocation/next`, `POST .../invocation/<id>/response` and `.../error`,
`POST .../init/error`) on 127.0.0.1.

Like Lambda, an instance handles one invocation at a time: when an invocation waits and no
instance is idle, another instance is started (up to `max_instances`); idle instances stay warm.
Each invocation gets the function's timeout as its deadline. Lambda's Invoke,
`POST /2015-03-31/functions/<name>/invocations`, is served on the same port: asynchronously
(`X-Amz-Invocation-Type: Event`, how the registration function hands a long wait on to a fresh
invocation) or waiting for the result (`scripts/sandbox fire`).
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Callable

import common

RUNTIME_PREFIX = "/2018-06-01/runtime/"


class Invocation:
    def __init__(self, payload: bytes, label: str):
        self.request_id = str(uuid.uuid4())
        self.payload = payload
        self.label = label
        self.started: float | None = None
        self.done = threading.Event()
        self.failed = False
        self.result = b""


class Function:
    """One function: its code (an unpacked directory holding `bootstrap`), its environment, the
    instances running it and the invocations waiting for one."""

    def __init__(self, name: str, arn: str, code_dir: Path, environment: dict[str, str],
                 timeout_seconds: int, memory_mib: int, log_path: Path, instances_file: Path,
                 log: Callable[[str], None], max_instances: int = 4):
        self.name = name
        self.arn = arn
        self.code_dir = code_dir
        self.environment = environment
        self.timeout_seconds = timeout_seconds
        self.memory_mib = memory_mib
        self.log_path = log_path
        self.instances_file = instances_file
        self.log = log
        self.max_instances = max_instances
        self.pending: "queue.Queue[Invocation]" = queue.Queue()
        self.running: dict[str, Invocation] = {}
        self.instances: list[subprocess.Popen] = []
        self.idle = 0  # instances waiting in `invocation/next`
        self.lock = threading.Lock()
        self.runtime_api = ""  # host:port, once served
        self.stopping = False

    def invoke(self, payload: bytes, label: str) -> Invocation:
        """Queues an invocation (asynchronous, as `InvocationType=Event`)."""
        invocation = Invocation(payload, label)
        self.pending.put(invocation)
        self.scale()
        return invocation

    def scale(self) -> None:
        with self.lock:
            self.instances = [p for p in self.instances if p.poll() is None]
            if self.stopping or self.pending.qsize() <= self.idle or len(self.instances) >= self.max_instances:
                return
            self.instances.append(self._start_instance(len(self.instances)))
            self._record_instances()

    def _record_instances(self) -> None:
        self.instances_file.write_text("".join(f"{p.pid}\n" for p in self.instances))

    def _start_instance(self, index: int) -> subprocess.Popen:
        stream = time.strftime("%Y/%m/%d") + f"/[$LATEST]{uuid.uuid4().hex}"
        environment = {
            **self.environment,
            "AWS_LAMBDA_RUNTIME_API": self.runtime_api,
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mib),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "LAMBDA_TASK_ROOT": str(self.code_dir),
            "PATH": "/usr/local/bin:/usr/bin:/bin",
        }
        log = open(self.log_path, "ab")
        process = subprocess.Popen(
            [str(self.code_dir / "bootstrap")],
            cwd=self.code_dir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.log(f"lambda: started instance {index + 1} of {self.name} (pid {process.pid})")
        return process

    def next_invocation(self) -> Invocation | None:
        """What an instance asking for work gets; None when the stand-in stops."""
        with self.lock:
            self.idle += 1
        try:
            while not self.stopping:
                try:
                    invocation = self.pending.get(timeout=1)
                except queue.Empty:
                    continue
                invocation.started = time.monotonic()
                with self.lock:
                    self.running[invocation.request_id] = invocation
                return invocation
            return None
        finally:
            with self.lock:
                self.idle -= 1

    def finished(self, request_id: str, outcome: str, body: bytes) -> None:
        with self.lock:
            invocation = self.running.pop(request_id, None)
        if invocation is None:
            return
        invocation.failed, invocation.result = outcome != "answered", body
        invocation.done.set()
        took = time.monotonic() - (invocation.started or time.monotonic())
        text = body.decode(errors="replace").strip()
        try:
            text = str(json.loads(text))
        except ValueError:
            pass
        self.log(f"lambda: {invocation.label}: {outcome} in {took:.1f} s: {text[:300]}")

    def stop(self) -> None:
        self.stopping = True
        with self.lock:
            instances = list(self.instances)
        for process in instances:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 5
        for process in instances:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.instances_file.write_text("")


def serve(function: Function, port: int) -> common.Server:
    """The function's Runtime API, and Lambda's Invoke for it. A runtime client takes only
    host:port (AWS_LAMBDA_RUNTIME_API), so each function has a port of its own."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self) -> None:
            if self.path != RUNTIME_PREFIX + "invocation/next":
                return self._reply(404, b'{"errorType":"NotFound"}')
            invocation = function.next_invocation()
            if invocation is None:
                return self._reply(500, b'{"errorType":"ShuttingDown"}')
            deadline_ms = int(time.time() * 1000) + function.timeout_seconds * 1000
            self._reply(200, invocation.payload, {
                "Content-Type": "application/json",
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": function.arn,
                "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}",
            })

        def do_POST(self) -> None:
            body = self._body()
            parts = self.path.split("/")
            if self.path.startswith(RUNTIME_PREFIX + "invocation/") and parts[-1] in ("response", "error"):
                function.finished(parts[-2], "answered" if parts[-1] == "response" else "failed", body)
                return self._reply(202, b'{"status":"OK"}')
            if self.path == RUNTIME_PREFIX + "init/error":
                function.log(f"lambda: {function.name} failed to start: {body.decode(errors='replace')[:300]}")
                return self._reply(202, b'{"status":"OK"}')
            if self.path.startswith("/2015-03-31/functions/") and self.path.split("?")[0].endswith("/invocations"):
                if self.headers.get("X-Amz-Invocation-Type") == "Event":
                    # Asynchronous (the registration function handing a request on): queued.
                    function.invoke(body, "handed-on request")
                    return self._reply(202, b"", {"X-Amz-Executed-Version": "$LATEST"})
                invocation = function.invoke(body, "direct invocation")
                if not invocation.done.wait(function.timeout_seconds + 5):
                    return self._reply(200, b'{"errorType":"Sandbox.Timedout"}', {"X-Amz-Function-Error": "Unhandled"})
                headers = {"X-Amz-Executed-Version": "$LATEST", "Content-Type": "application/json"}
                if invocation.failed:
                    headers["X-Amz-Function-Error"] = "Unhandled"
                return self._reply(200, invocation.result, headers)
            self._reply(404, b'{"errorType":"NotFound"}')

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = common.Server(port, Handler)
    function.runtime_api = f"127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name=f"lambda-{function.name}", daemon=True).start()
    return server
