"""Fixtures: a real Lanyard broker for the session, agents enrolled through its /v1 API, and a
scripted stand-in broker for the wire shapes the real one does not answer yet (approvals, AWS).

The broker is the repository's own, started the way `pnpm serve` starts it (TypeScript source
through tsx, so no build is needed), on 127.0.0.1 with an ephemeral port, a temporary data
folder and an admin token from LANYARD_ADMIN_TOKEN. Node and the workspace's node_modules must
be installed (`pnpm install`).
"""

from __future__ import annotations

import json
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lanyard_client.keys import b64url, jwk_thumbprint

REPO_ROOT = Path(__file__).resolve().parents[3]
STARTUP_TIMEOUT_SECONDS = 120
# The systems of the quickstart's lanyard.yaml (`scratch`, type memory), one the test agents are
# never bound to, `aws-prod` on the AWS stand-in (plain http to loopback: a sandbox broker), and
# `tickets-mcp`, the tickets MCP server protected by @lanyard/mcp.
BROKER_CONFIG = """sandbox: true
upstream:
  allowInsecureUpstreamHttp: true
systems:
  - name: scratch
    type: memory
  - name: unbound
    type: memory
  - name: aws-prod
    type: aws
    endpoint: {aws_url}
    region: {aws_region}
  - name: tickets-mcp
    type: mcp
    resource: {mcp_resource}
    scopes: [tickets:read, tickets:write]
    tokenTtlSeconds: 300
    resourceServerToken: {{ env: TICKETS_MCP_TOKEN }}
    allowInsecureUpstreamHttp: true
"""


class LineProcess:
    """A test/support/*-process.ts child, driven one JSON line at a time; its first line is read at start."""

    name = "child process"

    def __init__(self, script: str, env: Dict[str, str], log: Any) -> None:
        command = ["node", "--conditions=lanyard-source", "--import", "tsx", script]
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1)
        self._lines: "queue.Queue[Optional[str]]" = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.started = self._next(STARTUP_TIMEOUT_SECONDS)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _next(self, timeout: float) -> Dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"the {self.name} did not answer within {timeout} s")
        if line is None:
            pytest.fail(f"the {self.name} exited ({self.process.poll()})")
        answer = json.loads(line)
        return answer

    def call(self, command: Dict[str, Any]) -> Dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._next(30)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        _stop(self.process)


class AwsSandbox(LineProcess):
    """test/support/aws-sandbox-process.ts."""

    name = "AWS stand-in"

    def __init__(self, env: Dict[str, str], log: Any) -> None:
        super().__init__("test/support/aws-sandbox-process.ts", env, log)
        self.url: str = self.started["url"]
        self.region: str = self.started["region"]
        self.role_arn = ""

    def trust(self, issuer: str) -> None:
        answer = self.call({"trust": issuer})
        assert "roleArn" in answer, answer
        self.role_arn = answer["roleArn"]

    def check(self, metadata: Dict[str, str], action: str, resource: str) -> str:
        """What AWS would answer to these botocore-metadata credentials: a decision or an error code."""
        answer = self.call({"check": {"accessKeyId": metadata["access_key"], "secretAccessKey": metadata["secret_key"], "sessionToken": metadata["token"], "action": action, "resource": resource}})
        return answer.get("decision") or answer["error"]


class TicketsMcp(LineProcess):
    """test/support/mcp-server-process.ts: a real MCP server (the SDK's streamable HTTP, tools
    tickets.list needing tickets:read and tickets.close needing tickets:write) protected by
    @lanyard/mcp once the broker is up."""

    name = "tickets MCP server"

    def __init__(self, env: Dict[str, str], log: Any) -> None:
        super().__init__("test/support/mcp-server-process.ts", env, log)
        self.resource: str = self.started["resource"]
        self.origin: str = self.started["origin"]

    def protect(self, issuer: str, credential: str) -> None:
        answer = self.call({"protect": {"authorizationServer": issuer, "brokerCredential": credential}})
        assert answer.get("ready") is True, answer


@dataclass
class Broker:
    url: str
    admin_token: str
    workdir: Path
    aws: AwsSandbox
    tickets: TicketsMcp

    def admin(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Tuple[int, Any]:
        """One call to the /v1 admin API: (status, parsed JSON body)."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(f"{self.url}/v1{path}", data=data, method=method, headers={"Authorization": f"Bearer {self.admin_token}", "Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as answer:
            raw = answer.read()
            return answer.code, json.loads(raw) if raw else None

    def admin_ok(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        status, parsed = self.admin(method, path, body)
        assert 200 <= status < 300, f"{method} /v1{path}: HTTP {status} {parsed}"
        return parsed

    def grants(self, handle: str) -> List[Dict[str, Any]]:
        return self.admin_ok("GET", f"/agents/{urllib.parse.quote(handle)}/grants")["grants"]


def _broker_command(config: Path, data_dir: Path) -> List[str]:
    """`pnpm serve`'s command (package.json), with this run's configuration and folders."""
    return ["node", "--conditions=lanyard-source", "--import", "tsx", "apps/cli/src/main.ts", "serve", "--config", str(config), "--listen", "127.0.0.1:0", "--data-dir", str(data_dir)]


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: the Python client's tests run against the repository's broker")
    workdir = Path(tempfile.mkdtemp(prefix="lanyard-pytest-"))
    log_path = workdir / "broker.log"
    admin_token = secrets.token_urlsafe(32)
    env = {name: value for name, value in os.environ.items() if not name.startswith("LANYARD_")}
    env.update({"LANYARD_ADMIN_TOKEN": admin_token, "LANYARD_LOG_LEVEL": "warn"})
    process: Optional[subprocess.Popen] = None
    # The MCP server's own credential at the broker: its event stream and its tokens' introspection.
    tickets_credential = f"rs-{secrets.token_urlsafe(24)}"
    with open(workdir / "aws-sandbox.log", "wb") as aws_log:
        aws = AwsSandbox(env, aws_log)
    with open(workdir / "tickets-mcp.log", "wb") as tickets_log:
        tickets = TicketsMcp(env, tickets_log)
    try:
        config = workdir / "lanyard.yaml"
        config.write_text(BROKER_CONFIG.format(aws_url=aws.url, aws_region=aws.region, mcp_resource=tickets.resource), encoding="utf-8")
        with open(log_path, "wb") as log:
            process = subprocess.Popen(_broker_command(config, workdir / "data"), cwd=REPO_ROOT, env={**env, "TICKETS_MCP_TOKEN": tickets_credential}, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        url = _wait_for_listening(process, log_path)
        with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=30) as discovery:
            issuer = json.loads(discovery.read())["issuer"]
        # What an AWS administrator does once: trust the broker as an OIDC provider.
        aws.trust(issuer)
        tickets.protect(issuer, tickets_credential)
        yield Broker(url=url, admin_token=admin_token, workdir=workdir, aws=aws, tickets=tickets)
    finally:
        if process is not None:
            _stop(process)
        aws.close()
        tickets.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_for_listening(process: subprocess.Popen, log_path: Path) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        output = log_path.read_text(encoding="utf-8", errors="replace")
        match = re.search(r"lanyard broker listening on (http://\S+)", output)
        if match:
            return match.group(1).rstrip("/")
        if process.poll() is not None:
            pytest.fail(f"the broker exited with {process.returncode} before listening:\n{output[-4000:]}")
        time.sleep(0.1)
    pytest.fail(f"the broker did not listen within {STARTUP_TIMEOUT_SECONDS} s:\n{log_path.read_text(errors='replace')[-4000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def private_jwk(alg: str = "EdDSA") -> Tuple[Dict[str, str], Dict[str, str]]:
    """A new (private JWK, public JWK) pair, Ed25519 or P-256, as `keys add --generate` writes it."""
    if alg == "EdDSA":
        key = Ed25519PrivateKey.generate()
        d = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        x = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        public = {"kty": "OKP", "crv": "Ed25519", "x": b64url(x)}
        return {**public, "d": b64url(d), "alg": "EdDSA", "kid": jwk_thumbprint(public)}, public
    key_ec = ec.generate_private_key(ec.SECP256R1())
    numbers = key_ec.private_numbers()
    public = {"kty": "EC", "crv": "P-256", "x": b64url(numbers.public_numbers.x.to_bytes(32, "big")), "y": b64url(numbers.public_numbers.y.to_bytes(32, "big"))}
    return {**public, "d": b64url(numbers.private_value.to_bytes(32, "big")), "alg": "ES256", "kid": jwk_thumbprint(public)}, public


@dataclass
class Agent:
    handle: str
    key_file: Path
    jwk: Dict[str, str]


@pytest.fixture
def enrol(broker: Broker, tmp_path: Path) -> Callable[..., Agent]:
    """Creates an agent with a fresh key and a binding to `scratch` (ceiling read, write), the
    way an admin does it over /v1; writes the private JWK to a 0600 file."""

    def make(alg: str = "EdDSA", ceiling: Tuple[str, ...] = ("read", "write"), register_key: bool = True) -> Agent:
        handle = f"py-{uuid.uuid4().hex[:12]}@agents.test.dev"
        broker.admin_ok("POST", "/agents", {"handle": handle, "owner": "alice@test.dev"})
        private, public = private_jwk(alg)
        if register_key:
            broker.admin_ok("POST", f"/agents/{urllib.parse.quote(handle)}/keys", {"jwk": public})
        broker.admin_ok("POST", f"/agents/{urllib.parse.quote(handle)}/bindings", {"system": "scratch", "target": {"account": "default"}, "ceiling": list(ceiling)})
        key_file = tmp_path / f"{handle}.jwk"
        key_file.write_text(json.dumps(private), encoding="utf-8")
        key_file.chmod(0o600)
        return Agent(handle=handle, key_file=key_file, jwk=private)

    return make


class CountingTransport:
    """Wraps the client's default transport and records every request the broker receives."""

    def __init__(self) -> None:
        from lanyard_client._http import urllib_transport

        self._inner = urllib_transport
        self.requests: List[Tuple[str, str, Dict[str, str]]] = []
        self._lock = threading.Lock()

    def __call__(self, method: str, url: str, headers: Any, body: Optional[bytes], timeout: float) -> Any:
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("ascii")).items()} if body else {}
        with self._lock:
            self.requests.append((method, urllib.parse.urlsplit(url).path, form))
        return self._inner(method, url, headers, body, timeout)

    def grants(self, grant_type: str) -> List[Dict[str, str]]:
        return [form for method, path, form in self.requests if path == "/oauth/token" and form.get("grant_type") == grant_type]


@pytest.fixture
def counting() -> CountingTransport:
    return CountingTransport()


# A scripted stand-in broker -------------------------------------------------------------------

Answer = Tuple[int, Dict[str, str], Dict[str, Any]]


class FakeBroker:
    """Answers discovery itself and /oauth/token from a script: one (status, headers, body) per
    request, in order. Records each token request's form. For wire shapes only."""

    def __init__(self) -> None:
        self.script: List[Answer] = []
        self.forms: List[Dict[str, str]] = []
        self.headers: List[Dict[str, str]] = []  # names lower-cased
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, headers: Dict[str, str], body: Dict[str, Any]) -> None:
                raw = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    self._send(200, {}, {"issuer": fake.url, "token_endpoint": f"{fake.url}/oauth/token"})
                else:
                    self._send(404, {}, {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode("ascii")).items()}
                fake.forms.append(form)
                fake.headers.append({name.lower(): value for name, value in self.headers.items()})
                if not fake.script:
                    self._send(500, {}, {"error": "server_error", "error_description": "script exhausted"})
                    return
                self._send(*fake.script.pop(0))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, status: int, body: Dict[str, Any], headers: Optional[Dict[str, str]] = None) -> None:
        self.script.append((status, headers or {}, body))

    def handle_token(self, expires_in: int = 300) -> None:
        self.answer(200, {"access_token": f"handle-{uuid.uuid4().hex}", "token_type": "Bearer", "expires_in": expires_in, "issued_token_type": "urn:ietf:params:oauth:token-type:jwt"})

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def fake_broker() -> Iterator[FakeBroker]:
    fake = FakeBroker()
    try:
        yield fake
    finally:
        fake.close()
