"""Compressed answers (issue 8): brotli or gzip as the client accepts, every header kept, app files
compressed once per content and never stale."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import brotli
import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from server.app import create_app
from server.compression import MINIMUM_BYTES, Compression, choose_encoding
from server.routes.pwa import first_screen_modules, precache_manifest, shell_files
from server.settings import Settings
from tests.server.conftest import ORIGIN, SECRET
from tests.server.factories import World


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """SQLite only: compression sits above the store and does not care which one answers."""
    path = tmp_path / "lianhu.sqlite3"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite+aiosqlite:///{path}"


def raw_client(app: object) -> httpx.AsyncClient:
    """A client that sends exactly the headers a test gives (no default Accept-Encoding) and hands back
    the body as it came over the wire, undecoded."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(
        transport=transport, base_url="http://localhost", headers={"Accept-Encoding": ""}
    )


def decoded(response: httpx.Response) -> bytes:
    """The body of a ``wire_get`` answer, decoded by hand."""
    raw = response.content
    coding = response.headers.get("content-encoding")
    if coding == "br":
        out: bytes = brotli.decompress(raw)
        return out
    if coding == "gzip":
        return gzip.decompress(raw)
    return raw


async def wire_get(client: httpx.AsyncClient, path: str, **headers: str) -> httpx.Response:
    """GET with the body kept as sent (httpx would decode it)."""
    async with client.stream("GET", path, headers=headers) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    response._content = body
    return response


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip, deflate", "gzip"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=0, gzip;q=0", None),
        ("identity", None),
        ("", None),
        ("*", "br"),
        ("*;q=0.1, br;q=0", "gzip"),
        ("GZIP", "gzip"),
        ("br;q=oops, gzip", "gzip"),
    ],
    ids=["chromium", "no-brotli", "brotli-weighed-lower", "both-refused", "identity", "none", "star",
         "star-minus-brotli", "upper-case", "bad-q"],
)  # fmt: skip
def test_the_best_accepted_coding_is_chosen(accept: str, chosen: str | None) -> None:
    assert choose_encoding(accept) == chosen


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app), raw_client(app) as http:
        yield http


async def pushed_visits(client: httpx.AsyncClient, world: World, count: int) -> None:
    notes = "次走访：老人身体尚好，独自居住，女儿每周来看望一次。"
    households = world.households_a
    ops = [
        world.alice.op(household=households[n % len(households)],
                       fields={"date": "2026-11-21", "items": ["policy"], "notes": f"第{n}{notes}"})
        for n in range(count)
    ]  # fmt: skip
    response = await client.post(
        "/api/sync/push", json={"ops": ops}, headers={**world.alice.headers, "Accept-Encoding": "br"}
    )
    assert response.status_code == 200
    results = response.json()["results"]  # httpx decoded it
    assert {r["status"] for r in results} == {"accepted"}


@pytest.mark.parametrize("coding", ["br", "gzip"])
@pytest.mark.parametrize("path", ["/api/sync/pull?limit=1000", "/api/households"], ids=["pull", "households"])
async def test_api_answers_are_compressed_and_keep_their_headers(
    app_client: httpx.AsyncClient, world: World, path: str, coding: str
) -> None:
    await pushed_visits(app_client, world, 60)
    plain = await wire_get(app_client, path, **world.alice.headers)
    packed = await wire_get(app_client, path, **world.alice.headers, **{"Accept-Encoding": coding})

    assert plain.status_code == packed.status_code == 200
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == coding
    same_but_fresh = {"server_time": 0, "cursor": ""}  # cursors are sealed with a fresh nonce each time
    assert json.loads(decoded(packed)) | same_but_fresh == json.loads(plain.content) | same_but_fresh
    assert len(packed.content) < len(plain.content) / 3
    assert int(packed.headers["content-length"]) == len(packed.content)
    for response in (plain, packed):
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["cache-control"] == "no-store"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_small_answers_are_sent_as_they_are(app_client: httpx.AsyncClient, world: World) -> None:
    response = await wire_get(app_client, "/api/nothing", **{"Accept-Encoding": "br, gzip"})

    assert response.status_code == 404
    assert len(response.content) < MINIMUM_BYTES
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["cache-control"] == "no-store"


def streaming_app(chunks: list[bytes]) -> Starlette:
    async def stream(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        return StreamingResponse(body(), media_type="text/plain", headers={"ETag": '"v1"'})

    return Starlette(routes=[Route("/", stream)], middleware=[Middleware(Compression)])


@pytest.mark.parametrize("coding", ["br", "gzip"])
async def test_a_streamed_answer_is_compressed_as_it_streams(coding: str) -> None:
    chunks = [f"第{n}行：楼道灯不亮，老人晚上出门不便。\n".encode() * 20 for n in range(50)]
    async with raw_client(streaming_app(chunks)) as client:
        response = await wire_get(client, "/", **{"Accept-Encoding": coding})

    assert response.headers["content-encoding"] == coding
    assert "content-length" not in response.headers
    assert response.headers["etag"] == 'W/"v1"', "the compressed body is not the plain one's strong validator"
    assert decoded(response) == b"".join(chunks)


async def test_ranges_and_head_requests_are_left_alone() -> None:
    chunks = [b"x" * 5000]
    async with raw_client(streaming_app(chunks)) as client:
        ranged = await wire_get(client, "/", **{"Accept-Encoding": "br", "Range": "bytes=0-9"})

    assert "content-encoding" not in ranged.headers


def make_pwa(root: Path) -> Path:
    (root / "js" / "ui").mkdir(parents=True)
    (root / "css").mkdir()
    (root / "icons").mkdir()
    (root / "index.html").write_text(
        '<!doctype html><html><head><link rel="manifest" href="/manifest.webmanifest">'
        '<link rel="stylesheet" href="/css/app.css"><script src="/js/register-sw.js" defer></script>'
        '<script type="module" src="/js/app.js"></script>\n  <!-- modulepreload -->\n</head>'
        "<body><p>联户 加载中…</p></body></html>",
        encoding="utf-8",
    )
    (root / "js" / "app.js").write_text(
        "/** @type {import('./types.js').T} */\n"
        "import { screen } from './ui/screen.js';\nexport { helper } from './helper.js';\n"
        "const lazy = () => import('./later.js');\n" + "// 联户的入口：每一屏都从这里开始。\n" * 40,
        encoding="utf-8",
    )
    (root / "js" / "ui" / "screen.js").write_text(
        "import {\n  t,\n} from '../i18n.js';\n"
        "export const screen = () => h('img', { src: '/icons/icon-192.png' });\n",
        encoding="utf-8",
    )
    for name in ("helper.js", "later.js", "i18n.js", "register-sw.js", "types.js", "unused.js"):
        (root / "js" / name).write_text(f"export const x = '{name}';\n", encoding="utf-8")
    (root / "css" / "app.css").write_text("body { color: #222; }\n" * 30, encoding="utf-8")
    (root / "manifest.webmanifest").write_text('{"name": "联户", "icons": [{"src": "/icons/icon-512.png"}]}')
    (root / "icons" / "icon-192.png").write_bytes(b"\x89PNG small")
    (root / "icons" / "icon-512.png").write_bytes(b"\x89PNG big")
    (root / "sw.js").write_text('const MANIFEST = "__PRECACHE_MANIFEST__";\n')
    return root


@pytest.fixture
def pwa_dir(tmp_path: Path) -> Path:
    return make_pwa(tmp_path / "pwa")


@pytest.fixture
async def pwa_client(tmp_path: Path, pwa_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}", origin=ORIGIN, secret_key=SECRET,
        pwa_dir=pwa_dir,
    )  # fmt: skip
    app = create_app(settings)
    async with app.router.lifespan_context(app), raw_client(app) as http:
        yield http


def test_the_shell_is_what_the_page_reaches_and_nothing_else(pwa_dir: Path) -> None:
    names = [path.as_posix() for path in shell_files(pwa_dir)]

    assert names == [
        "css/app.css", "icons/icon-192.png", "index.html", "js/app.js", "js/helper.js", "js/i18n.js",
        "js/later.js", "js/register-sw.js", "js/ui/screen.js", "manifest.webmanifest",
    ]  # fmt: skip
    # Not reached: a module only named in a JSDoc type, one nobody imports, the manifest's install icon.


@pytest.mark.parametrize("coding", ["br", "gzip"])
async def test_app_files_are_sent_precompressed_with_a_validator(
    pwa_client: httpx.AsyncClient, coding: str
) -> None:
    response = await wire_get(pwa_client, "/js/app.js", **{"Accept-Encoding": coding})
    plain = await wire_get(pwa_client, "/js/app.js")

    assert response.status_code == 200
    assert response.headers["content-encoding"] == coding
    assert decoded(response) == plain.content
    assert len(response.content) < len(plain.content) / 4
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["etag"] != plain.headers["etag"], "each coding is its own representation"

    again = await wire_get(
        pwa_client, "/js/app.js", **{"Accept-Encoding": coding, "If-None-Match": plain.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == response.headers["etag"]


async def test_images_are_not_compressed_again(pwa_client: httpx.AsyncClient) -> None:
    response = await wire_get(pwa_client, "/icons/icon-192.png", **{"Accept-Encoding": "br"})

    assert "content-encoding" not in response.headers
    assert response.headers["content-type"] == "image/png"
    assert response.content == b"\x89PNG small"


async def test_an_edited_file_is_never_answered_with_its_old_content(
    pwa_client: httpx.AsyncClient, pwa_dir: Path
) -> None:
    before = await wire_get(pwa_client, "/css/app.css", **{"Accept-Encoding": "br"})
    (pwa_dir / "css" / "app.css").write_text("body { color: #b71c1c; }\n" * 30, encoding="utf-8")
    after = await wire_get(pwa_client, "/css/app.css", **{"Accept-Encoding": "br"})
    revalidated = await wire_get(
        pwa_client, "/css/app.css", **{"Accept-Encoding": "br", "If-None-Match": before.headers["etag"]}
    )

    assert decoded(after) == (pwa_dir / "css" / "app.css").read_bytes()
    assert after.headers["etag"] != before.headers["etag"]
    assert revalidated.status_code == 200 and decoded(revalidated) == decoded(after)


async def test_the_page_preloads_the_modules_of_its_first_screen_and_not_what_loads_later(
    pwa_client: httpx.AsyncClient, pwa_dir: Path
) -> None:
    html = decoded(await wire_get(pwa_client, "/", **{"Accept-Encoding": "br"})).decode()

    preloaded = [
        line.split('href="')[1].split('"')[0] for line in html.splitlines() if "modulepreload" in line
    ]
    assert preloaded == ["/js/app.js", "/js/helper.js", "/js/i18n.js", "/js/ui/screen.js"]
    assert [f"/{path}" for path in first_screen_modules(pwa_dir)] == preloaded
    # later.js comes with import() (a screen loaded on demand): not preloaded, but precached for offline use.
    urls = precache_manifest(pwa_dir)["urls"]
    assert isinstance(urls, list) and "/js/later.js" in urls
    assert "<!-- modulepreload -->" not in html


async def test_the_service_worker_knows_the_integrity_of_every_file_it_precaches(
    pwa_client: httpx.AsyncClient, pwa_dir: Path
) -> None:
    manifest = precache_manifest(pwa_dir)
    worker = decoded(await wire_get(pwa_client, "/sw.js", **{"Accept-Encoding": "gzip"})).decode()

    assert json.dumps(manifest, ensure_ascii=False) in worker
    integrity = manifest["integrity"]
    assert isinstance(integrity, dict) and isinstance(manifest["urls"], list)
    assert set(integrity) == set(manifest["urls"])
    assert "/icons/icon-512.png" not in integrity and "/js/unused.js" not in integrity
    for url, expected in integrity.items():
        body = decoded(await wire_get(pwa_client, url, **{"Accept-Encoding": "br"}))
        assert expected == "sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode(), url
