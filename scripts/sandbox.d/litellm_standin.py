"""A stand-in of the LiteLLM proxy's model endpoints, as `contracts/litellm-model-endpoints.openapi.json`
(LiteLLM 1.108.7's own OpenAPI description) has them: `POST /model/new`, `POST /model/update`,
`POST /model/delete`, `GET /model/info` (all, or one by `litellm_model_id`), `GET /v1/models` and
the health routes. Every request is checked against the contract (path, method, query, body) and
against the master key; the entries are kept in memory and answered in the shapes a real proxy
with a database answers (LiteLLM without one cannot store models, so the sandbox cannot use it).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import common


class Contract:
    """The OpenAPI description, and the checks a request must pass."""

    def __init__(self, path: Path):
        with open(path, encoding="utf-8") as f:
            self.document = json.load(f)

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        return self.document.get("paths", {}).get(path, {}).get(method.lower())

    def knows_path(self, path: str) -> bool:
        return path in self.document.get("paths", {})

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.document
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def problems(self, value: Any, schema: dict[str, Any], where: str) -> list[str]:
        """What in `value` the JSON schema (the subset OpenAPI 3.1 files of FastAPI use) refuses."""
        schema = self._resolve(schema)
        if "anyOf" in schema:
            if any(not self.problems(value, option, where) for option in schema["anyOf"]):
                return []
            return [f"{where}: matches none of the allowed shapes"]
        if "const" in schema and value != schema["const"]:
            return [f"{where}: must be {schema['const']!r}"]
        if "enum" in schema and value not in schema["enum"]:
            return [f"{where}: must be one of {schema['enum']}"]
        kind = schema.get("type")
        checks = {
            "string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "null": lambda v: v is None,
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
        }
        if kind in checks and not checks[kind](value):
            return [f"{where}: must be of type {kind}"]
        found: list[str] = []
        if isinstance(value, dict):
            properties = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in value:
                    found.append(f"{where}.{name}: required")
            for name, item in value.items():
                if name in properties:
                    found += self.problems(item, properties[name], f"{where}.{name}")
                elif schema.get("additionalProperties") is False:
                    found.append(f"{where}.{name}: not allowed")
                elif isinstance(schema.get("additionalProperties"), dict):
                    found += self.problems(item, schema["additionalProperties"], f"{where}.{name}")
        if isinstance(value, list) and "items" in schema:
            for i, item in enumerate(value):
                found += self.problems(item, schema["items"], f"{where}[{i}]")
        return found

    def check(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> list[str]:
        operation = self.operation(method, path)
        if operation is None:
            return []  # the caller answers 404/405 as FastAPI does
        found: list[str] = []
        declared = {p["name"]: p for p in operation.get("parameters", []) if p.get("in") == "query"}
        for name, parameter in declared.items():
            if parameter.get("required") and name not in query:
                found.append(f"query.{name}: required")
        request_body = operation.get("requestBody")
        if request_body is not None:
            schema = request_body.get("content", {}).get("application/json", {}).get("schema", {})
            try:
                value = json.loads(body or b"null")
            except ValueError:
                return ["body: not JSON"]
            if value is None and request_body.get("required"):
                return ["body: required"]
            found += self.problems(value, schema, "body")
        return found


def _id_of(entry: dict[str, Any]) -> str | None:
    info = entry.get("model_info")
    return info.get("id") if isinstance(info, dict) else None


class LiteLlm:
    """The proxy's state: its entries, and one line per call for the log."""

    def __init__(self, contract: Contract, master_key: str, log):
        self.contract = contract
        self.master_key = master_key
        self.log = log
        self.entries: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def answer(self, method: str, raw_path: str, headers, body: bytes) -> tuple[int, Any]:
        url = urllib.parse.urlsplit(raw_path)
        path, query = url.path, urllib.parse.parse_qs(url.query)
        if path in ("/health/liveliness", "/health/liveness") and method == "GET":
            return 200, "I'm alive!"
        if path == "/health/readiness" and method == "GET":
            return 200, {"status": "healthy", "db": "connected", "litellm_version": "sandbox"}
        if not self.contract.knows_path(path):
            return 404, {"detail": "Not Found"}
        if self.contract.operation(method, path) is None:
            return 405, {"detail": "Method Not Allowed"}
        problems = self.contract.check(method, path, query, body)
        if problems:
            self.log(f"litellm: {method} {path} refused by the contract: {'; '.join(problems)}")
            return 422, {"detail": [{"loc": p.split(":")[0].split("."), "msg": p, "type": "value_error"} for p in problems]}
        if headers.get("Authorization") != f"Bearer {self.master_key}":
            # LiteLLM 1.108.7's answer to a missing or wrong key.
            return 401, {"error": {"message": "Authentication Error, Invalid proxy server token passed.",
                                   "type": "auth_error", "param": "None", "code": "401"}}
        value = json.loads(body) if body else None
        with self.lock:
            return self._route(method, path, query, value)

    def _route(self, method: str, path: str, query: dict[str, list[str]], value: Any) -> tuple[int, Any]:
        if (method, path) in (("GET", "/model/info"), ("GET", "/v2/model/info")):
            wanted = query.get("litellm_model_id", [None])[0]
            if wanted is None:
                return 200, {"data": self.entries}
            found = [e for e in self.entries if _id_of(e) == wanted]
            if not found:
                return 400, {"detail": {"error": f"Model id = {wanted} not found on litellm proxy"}}
            return 200, {"data": found}
        if (method, path) == ("GET", "/v1/models"):
            names = list(dict.fromkeys(e["model_name"] for e in self.entries))
            return 200, {"data": [{"id": n, "object": "model", "created": 1677610602, "owned_by": "openai"} for n in names],
                         "object": "list"}
        if (method, path) == ("POST", "/model/new"):
            entry = dict(value)
            entry["model_info"] = dict(entry.get("model_info") or {})
            entry["model_info"].setdefault("id", f"sandbox-{int(time.time() * 1000)}")
            entry["model_info"]["db_model"] = True
            if any(_id_of(e) == _id_of(entry) for e in self.entries):
                return 400, {"detail": {"error": f"Model with id={_id_of(entry)} already exists"}}
            self.entries.append(entry)
            self.log(f"litellm: added {entry['model_name']} ({_id_of(entry)})")
            return 200, {"model_id": _id_of(entry), "model_name": entry["model_name"],
                         "litellm_params": entry.get("litellm_params"), "model_info": entry["model_info"]}
        if (method, path) == ("POST", "/model/update"):
            wanted = _id_of(value) if isinstance(value.get("model_info"), dict) else None
            for entry in self.entries:
                if wanted is not None and _id_of(entry) == wanted:
                    for key in ("model_name", "blocked"):
                        if value.get(key) is not None:
                            entry[key] = value[key]
                    for key in ("litellm_params", "model_info"):
                        if value.get(key):
                            entry[key] = {**entry.get(key, {}), **value[key]}
                    self.log(f"litellm: updated {entry['model_name']} ({wanted})")
                    return 200, entry
            return 400, {"detail": {"error": f"Model id = {wanted} not found on litellm proxy"}}
        if (method, path) == ("POST", "/model/delete"):
            wanted = value["id"]
            kept = [e for e in self.entries if _id_of(e) != wanted]
            if len(kept) == len(self.entries):
                return 400, {"detail": {"error": f"Model with id={wanted} not found in db"}}
            gone = next(e for e in self.entries if _id_of(e) == wanted)
            self.entries = kept
            self.log(f"litellm: removed {gone['model_name']} ({wanted})")
            return 200, {"message": f"Model: {wanted} deleted successfully"}
        return 404, {"detail": "Not Found"}


def serve(litellm: LiteLlm, port: int) -> common.Server:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, value = litellm.answer(self.command, self.path, self.headers, body)
            data = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the stand-in logs what it changes, not every read

    server = common.Server(port, Handler)
    threading.Thread(target=server.serve_forever, name="litellm", daemon=True).start()
    return server
