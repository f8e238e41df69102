"""A TCP proxy on loopback that can freeze its connections: bytes stop moving both ways, and
neither end gets a FIN or a RST — what a sleeping laptop, or a NAT or proxy that silently
forgot a connection, leaves behind. TLS passes through untouched."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from tests.loopback import free_port

CHUNK = 65536


@dataclass(eq=False)
class _Link:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    frozen: bool = False
    pumps: list[asyncio.Task] = field(default_factory=list)


class FreezingProxy:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`target_port` in a thread of its own."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.accepted = 0  # connections taken so far
        self._links: list[_Link] = []
        self._refusing = False
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def freeze(self) -> int:
        """Freeze every connection open now; later ones still pass. Returns how many."""
        return self._call(self._freeze)

    def refuse(self, refusing: bool) -> None:
        """While refusing, a new connection is closed as soon as it is accepted (the path is
        down for new connections too)."""
        self._refusing = refusing

    # --- the proxy's own thread

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", self.port)
        )
        self._started.set()
        self._loop.run_forever()
        server.close()
        for link in self._links:
            for pump in link.pumps:
                pump.cancel()
            link.client.transport.abort()
            link.upstream.transport.abort()
        self._loop.run_until_complete(asyncio.sleep(0))
        self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self._refusing:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        link = _Link(writer, up_writer)
        self._links.append(link)
        link.pumps = [
            asyncio.create_task(self._pump(link, reader, up_writer)),
            asyncio.create_task(self._pump(link, up_reader, writer)),
        ]

    async def _pump(
        self, link: _Link, source: asyncio.StreamReader, sink: asyncio.StreamWriter
    ) -> None:
        forever = asyncio.Event()
        with suppress(OSError, asyncio.IncompleteReadError):
            while not link.frozen:
                data = await source.read(CHUNK)
                if link.frozen:
                    break  # held, never delivered
                if not data:
                    sink.close()
                    return
                sink.write(data)
                await sink.drain()
        await forever.wait()  # frozen: neither read nor close, until the proxy stops

    def _freeze(self) -> int:
        open_links = [link for link in self._links if not link.frozen]
        for link in open_links:
            link.frozen = True
        return len(open_links)

    def _call(self, function):
        async def run():
            return function()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(5)

    def start(self) -> None:
        self._thread.start()
        self._started.wait(5)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@contextmanager
def freezing_proxy(target_port: int) -> Iterator[FreezingProxy]:
    proxy = FreezingProxy(target_port)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
