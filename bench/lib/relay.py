"""A TCP relay that counts what a server sends: the bytes on the wire as the browser receives them.

CDP's ``encodedDataLength`` on a page sees the page's own requests, not its service worker's (the worker's
install fetches are another target). Put this relay between Chromium and ``lianhu serve`` and every byte the
server writes to any of the browser's connections is counted — HTTP/1.1 headers and bodies, compressed as
sent, whoever asked for them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

__all__ = ["Relay", "relay"]


@dataclass
class Relay:
    port: int
    downstream: int = 0  # bytes the server sent towards the browser
    upstream: int = 0  # bytes the browser sent towards the server
    connections: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, *, down: int = 0, up: int = 0) -> None:
        with self._lock:
            self.downstream += down
            self.upstream += up

    def sent(self) -> int:
        with self._lock:
            return self.downstream


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tally: Relay, down: bool) -> None:
    try:
        while chunk := await reader.read(65536):
            if down:
                tally.count(down=len(chunk))
            else:
                tally.count(up=len(chunk))
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with suppress(Exception):
            writer.close()


@contextmanager
def relay(listen_port: int, target_port: int) -> Iterator[Relay]:
    """Relay ``localhost:listen_port`` (IPv4 and IPv6, as Chromium may try either) to
    ``127.0.0.1:target_port`` in a thread of its own, counting."""
    tally = Relay(listen_port)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: asyncio.Event | None = None

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        tally.connections += 1
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(
            _pipe(client_reader, server_writer, tally, down=False),
            _pipe(server_reader, client_writer, tally, down=True),
        )

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        server = await asyncio.start_server(handle, host="localhost", port=listen_port)
        ready.set()
        async with server:
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError(f"the relay on port {listen_port} did not start")
    try:
        yield tally
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
