"""Real Chromium against a real ``lianhu serve`` process on a fresh SQLite file.

- ``template_db`` (session): ``lianhu db upgrade`` + ``lianhu demo load`` once; each test module's server
  starts from a copy, so one module's visits never show up in another's assertions.
- ``server`` (module): ``lianhu serve`` on a free port; its log is attached to every failing test's report.
  The server's origin is ``http://localhost:PORT`` (``LIANHU_ORIGIN``, ``LIANHU_RP_ID=localhost``): passkeys
  and device-key signatures are bound to it.
- ``browser`` (session) and ``new_phone`` (function): phone-sized contexts (360×740, zh-CN) opened at
  ``http://localhost:PORT`` (service workers need a secure context; on 127.0.0.1 WebAuthn refuses the RP id).
  A phone has no WebAuthn by default (``PublicKeyCredential`` removed, so enrollment falls back to a
  device key at once); ``webauthn="virtual"`` gives it a CDP virtual authenticator with user verification
  instead. Console messages and page errors are attached to failing reports too, and an uncaught page
  error fails the test.

HOME and TMPDIR point inside the project (``.tmp/``) because Chromium litters both.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
LIANHU = ROOT / ".venv" / "bin" / "lianhu"
TMP = ROOT / ".tmp"
RUNS = TMP / "e2e"
RUN_DIR = RUNS / f"run-{os.getpid()}"  # own folder: two runs at once must not share databases
SCREENSHOTS = TMP / "screenshots"
CHROMIUM = os.environ.get("LIANHU_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = ViewportSize(width=360, height=740)
SECRET_KEY = "e2e-secret-key-0123456789abcdefghijklmnop"
NO_WEBAUTHN = "delete window.PublicKeyCredential;"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="session", autouse=True)
def isolated_env() -> Iterator[dict[str, str]]:
    """HOME and TMPDIR inside .tmp/ for this process, the server and Chromium."""
    RUNS.mkdir(parents=True, exist_ok=True)
    for old in RUNS.glob("run-*"):
        if time.time() - old.stat().st_mtime > 3600:
            shutil.rmtree(old, ignore_errors=True)
    home, tmp = TMP / "e2e-home", TMP / "e2e-tmp"
    for folder in (RUN_DIR, home, tmp, SCREENSHOTS):
        folder.mkdir(parents=True, exist_ok=True)
    saved = {key: os.environ.get(key) for key in ("HOME", "TMPDIR")}
    os.environ.update(HOME=str(home), TMPDIR=str(tmp))
    yield dict(os.environ)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def run_cli(db_path: Path, *args: str) -> str:
    """Run ``lianhu ARGS`` against ``db_path``; a failure shows the command's output."""
    if not LIANHU.exists():
        pytest.fail(
            f"{LIANHU} does not exist: install the project into .venv first (pip install -e '.[dev]')"
        )
    env = {**os.environ, "LIANHU_DATABASE_URL": sqlite_url(db_path)}
    done = subprocess.run(
        [str(LIANHU), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        pytest.fail(
            f"lianhu {' '.join(args)} exited {done.returncode}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
    return done.stdout


@pytest.fixture(scope="session")
def template_db(isolated_env: dict[str, str]) -> Path:
    path = RUN_DIR / "template.sqlite3"
    run_cli(path, "db", "upgrade")
    run_cli(path, "demo", "load", "--if-empty")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One running ``lianhu serve`` and its database file."""

    url: str
    db_path: Path
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def cli_json(self, *args: str) -> Any:
        return json.loads(run_cli(self.db_path, *args, "--json"))

    def add_member(self, name: str, *grids: int) -> dict[str, Any]:
        grid_args = [arg for grid in grids for arg in ("--grid", str(grid))]
        member: dict[str, Any] = self.cli_json("member", "add", "--name", name, *grid_args)
        return member

    def code_for(self, member_id: int) -> str:
        return str(self.cli_json("code", "create", "--member", str(member_id))["code"])

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Read the server's store directly (read-only)."""
        with closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)) as conn:
            conn.row_factory = sqlite3.Row
            return conn.execute(sql, params).fetchall()

    def api(self, method: str, path: str, *, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        """Call the API from the test itself (as a third device would)."""
        headers = {"Accept": "application/json"}
        data = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read() or b"null")

    def enroll_token(self, member_id: int, label: str = "e2e") -> str:
        """Enroll a device key from the test itself (a script's device: ``"session": "token"``), as a
        third device would; returns its bearer token."""
        status, start = self.api("POST", "/api/enroll/start", body={"code": self.code_for(member_id)})
        assert status == 200, start
        key = ec.generate_private_key(ec.SECP256R1())
        message = f"lianhu-enroll\n{self.url}\n{start['device_key']['challenge']}".encode()
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
        numbers = key.public_key().public_numbers()
        jwk = {"kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(32, "big")),
               "y": b64url(numbers.y.to_bytes(32, "big"))}  # fmt: skip
        body = {"ceremony": start["ceremony"], "public_key": jwk, "label": label, "session": "token",
                "signature": b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))}  # fmt: skip
        status, enrolled = self.api("POST", "/api/enroll/device-key", body=body)
        assert status == 201, enrolled
        return str(enrolled["token"])

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def wait_until_up(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"lianhu serve exited with {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url + "/manifest.webmanifest", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"lianhu serve did not answer within {timeout} s:\n{server.log()}")


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """Extra ``LIANHU_*`` settings for the module's server; a test module overrides this fixture (say, an
    early ``LIANHU_CURTAIN_DEADLINE`` so that today's curtain checks are already overdue)."""
    return {}


@pytest.fixture(scope="module")
def server(template_db: Path, server_env: dict[str, str], request: pytest.FixtureRequest) -> Iterator[Server]:
    name = request.module.__name__.rsplit(".", 1)[-1]
    db_path = RUN_DIR / f"{name}.sqlite3"
    # The backup API, not a file copy: it also takes whatever still sits in the template's WAL.
    with closing(sqlite3.connect(template_db)) as source, closing(sqlite3.connect(db_path)) as target:
        source.backup(target)
    log_path = RUN_DIR / f"{name}.serve.log"
    port = free_port()
    env = {
        **os.environ,
        "LIANHU_DATABASE_URL": sqlite_url(db_path),
        "LIANHU_ORIGIN": f"http://localhost:{port}",
        "LIANHU_RP_ID": "localhost",
        "LIANHU_SECRET_KEY": SECRET_KEY,
        # Every test enrolls and logs in from 127.0.0.1; the limit itself is the server suite's business.
        "LIANHU_AUTH_RATE_PER_MINUTE": "1000",
        **server_env,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(LIANHU), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    running = Server(url=f"http://localhost:{port}", db_path=db_path, log_path=log_path, process=process)
    try:
        wait_until_up(running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(isolated_env: dict[str, str]) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set LIANHU_E2E_CHROMIUM)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class PageLog:
    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


WebAuthn = Literal["none", "virtual"]


class NewPhone(Protocol):
    """The type of the ``new_phone`` fixture."""

    def __call__(self, name: str, *, webauthn: WebAuthn = "none", user_agent: str | None = None) -> Page: ...


@pytest.fixture
def new_phone(browser: Browser, request: pytest.FixtureRequest) -> Iterator[NewPhone]:
    """``new_phone(name)``: a fresh phone (its own context: storage, service worker, network) and its page."""
    contexts: list[BrowserContext] = []
    logs: dict[str, PageLog] = {}
    request.node.page_logs = logs

    def open_phone(name: str, *, webauthn: WebAuthn = "none", user_agent: str | None = None) -> Page:
        extra: dict[str, Any] = {"user_agent": user_agent} if user_agent else {}
        context = browser.new_context(
            **extra,
            viewport=PHONE,
            screen={"width": PHONE["width"], "height": PHONE["height"]},
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        if webauthn == "none":
            context.add_init_script(NO_WEBAUTHN)
        page = context.new_page()
        if webauthn == "virtual":
            cdp = context.new_cdp_session(page)
            cdp.send("WebAuthn.enable")
            options = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                       "hasUserVerification": True, "isUserVerified": True}  # fmt: skip
            cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
        log = logs[name] = PageLog()
        page.on("console", lambda message: log.lines.append(f"[{message.type}] {message.text}"))
        page.on("pageerror", lambda error: log.errors.append(str(error)))
        return page

    yield open_phone
    for context in contexts:
        context.close()
    errors = {name: log.errors for name, log in logs.items() if log.errors}
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        running = item.funcargs.get("server") if hasattr(item, "funcargs") else None
        if isinstance(running, Server):
            report.sections.append(("lianhu serve log", running.log()[-20_000:]))
        for name, log in getattr(item, "page_logs", {}).items():
            text = "\n".join(log.lines + [f"[pageerror] {e}" for e in log.errors])
            report.sections.append((f"browser console: {name}", text[-20_000:]))
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped browser test is a failure: CI must prove the browser path (as in tests/conftest.py)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        reporter.write_line(f"FAILED: {skipped} browser test(s) skipped; every test must run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
