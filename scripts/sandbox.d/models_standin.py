"""What runs a hosted model in AWS, played on 127.0.0.1: the ECS service's task (a small
OpenAI-compatible model server that loads for a while, then answers its health route) and the
load balancer's health check (it probes the target group's health path on that server and
registers the server in the target group once it has answered `HealthyThresholdCount` times in a
row, so that DescribeTargetHealth in the emulator says what it would say in AWS).

moto runs no tasks and checks no health: without this, a hosted model's registration, which
waits for a healthy target, would wait until its load budget runs out.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable

import common

# Between two health probes. The target group's interval (tens of seconds) is scaled down.
PROBE_INTERVAL_SECONDS = 1.0


class ModelServer:
    """One model's task: loading for `load_seconds`, then serving."""

    def __init__(self, model_id: str, model_name: str, health_path: str, load_seconds: float):
        self.model_id = model_id
        self.model_name = model_name
        self.health_path = health_path
        self.ready_at = time.monotonic() + load_seconds
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _reply(self, status: int, value: Any) -> None:
                data = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                loading = time.monotonic() < server.ready_at
                path = self.path.split("?")[0]
                if path == server.health_path:
                    return self._reply(503 if loading else 200, {"status": "loading" if loading else "ok"})
                if path == "/v1/models" and not loading:
                    return self._reply(200, {"object": "list", "data": [
                        {"id": server.model_name, "object": "model", "owned_by": "sandbox"}]})
                self._reply(503 if loading else 404, {"error": "loading" if loading else "not found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if time.monotonic() < server.ready_at:
                    return self._reply(503, {"error": "loading"})
                if self.path.split("?")[0] != "/v1/chat/completions":
                    return self._reply(404, {"error": "not found"})
                try:
                    messages = json.loads(body).get("messages") or []
                    said = str(messages[-1].get("content", "")) if messages else ""
                except (ValueError, AttributeError):
                    return self._reply(400, {"error": "the body is not a chat completion request"})
                text = f"(sandbox {server.model_id}) you said: {said}"
                self._reply(200, {
                    "id": f"chatcmpl-sandbox-{int(time.time() * 1000)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": server.model_name,
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text}}],
                    "usage": {"prompt_tokens": len(said.split()), "completion_tokens": len(text.split()),
                              "total_tokens": len(said.split()) + len(text.split())},
                })

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.http = common.Server(0, Handler)
        self.port = self.http.server_address[1]
        threading.Thread(target=self.http.serve_forever, name=f"model-{model_id}", daemon=True).start()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


class Fleet:
    """The hosted models' tasks and their places in their target groups."""

    def __init__(self, elb, load_seconds: float, log: Callable[[str], None]):
        self.elb = elb
        self.load_seconds = load_seconds
        self.log = log
        self.running: dict[str, tuple[ModelServer, str, threading.Event]] = {}
        self.lock = threading.Lock()

    def start(self, model_id: str, model_name: str, target_group_arn: str) -> None:
        """The service runs one task for the model (again, after a stop); idempotent."""
        with self.lock:
            if model_id in self.running:
                return
            group = self.elb.describe_target_groups(TargetGroupArns=[target_group_arn])["TargetGroups"][0]
            server = ModelServer(model_id, model_name, group.get("HealthCheckPath") or "/", self.load_seconds)
            retired = threading.Event()
            self.running[model_id] = (server, target_group_arn, retired)
        self.log(f"models: {model_id}: task started on 127.0.0.1:{server.port} (loading for {self.load_seconds:g} s)")
        threshold = int(group.get("HealthyThresholdCount") or 2)
        threading.Thread(target=self._check_health, args=(server, target_group_arn, threshold, retired),
                         name=f"health-{model_id}", daemon=True).start()

    def _check_health(self, server: ModelServer, target_group_arn: str, threshold: int,
                      retired: threading.Event) -> None:
        url = f"http://127.0.0.1:{server.port}{server.health_path}"
        passed = 0
        while not retired.wait(PROBE_INTERVAL_SECONDS):
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    passed = passed + 1 if response.status == 200 else 0
            except OSError:
                passed = 0
            if passed >= threshold:
                self.elb.register_targets(TargetGroupArn=target_group_arn,
                                          Targets=[{"Id": "127.0.0.1", "Port": server.port}])
                self.log(f"models: {server.model_id}: healthy ({threshold} health checks of "
                         f"{server.health_path} passed); registered in its target group")
                return

    def retire(self, model_id: str) -> None:
        """The service runs no task for the model any more (stopped or deleted); idempotent."""
        with self.lock:
            entry = self.running.pop(model_id, None)
        if entry is None:
            return
        server, target_group_arn, retired = entry
        retired.set()
        try:
            self.elb.deregister_targets(TargetGroupArn=target_group_arn,
                                        Targets=[{"Id": "127.0.0.1", "Port": server.port}])
        except Exception:  # noqa: BLE001 (never registered, or the group went with its stack)
            pass
        server.stop()
        self.log(f"models: {model_id}: task stopped")

    def endpoints(self) -> dict[str, str]:
        with self.lock:
            return {m: f"http://127.0.0.1:{s.port}" for m, (s, _, _) in self.running.items()}

    def stop(self) -> None:
        for model_id in list(self.running):
            self.retire(model_id)
