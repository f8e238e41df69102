"""One load-generator process: WebSocket members of signaling rooms, driven over stdin.

The orchestrator (bench/capacity.py) starts several of these and writes one JSON command a
line on stdin; each answer is one JSON line on stdout:

    {"cmd": "grow", "rooms": K}            hold K rooms (2K sockets: one creates, one joins)
    {"cmd": "rate", "rate": R, "seconds": S, "warmup": W}
                                            send R signal frames/s for S seconds on an
                                            absolute schedule; latencies of those sent after
                                            W seconds come back in microseconds
    {"cmd": "quit"}                        close every socket and exit

The client is deliberately lean so the generator does not eat the cores it shares with the
server: a raw asyncio protocol on uvloop, frames built from pre-encoded bytes, and an
all-zero masking key (legal for the server, which unmasks every frame as usual; it only
spares this process the XOR). Received `signal` frames are not parsed: the send time sits at
a fixed offset at the start of `data`.

Handshake `browser` (the default) asks for compression exactly as Chromium does
(`permessage-deflate; client_max_window_bits`) and, when the server agrees, compresses what
it sends and inflates what it receives, as a browser would: the server then pays for the
compression state and work real clients cause. Handshake `plain` asks for no extension.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import resource
import struct
import sys
import time
import zlib
from pathlib import Path
from urllib.parse import urlsplit

SAMPLES = json.loads((Path(__file__).parent / "signal_samples.json").read_text())
# What the server sends for a relayed frame: our `data` after this fixed prefix.
RELAYED_PREFIX = b'{"type":"signal","data":{"t":'
SENT_PREFIX = b'{"type":"signal","data":{"t":'
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA
CONNECT_CONCURRENCY = 200


BROWSER_EXTENSIONS = "permessage-deflate; client_max_window_bits"
SYNC_TAIL = b"\x00\x00\xff\xff"


def _tail(data: dict) -> bytes:
    """`data` without its opening brace, so `{"t":<ns>,` can go in front of it."""
    return b"," + json.dumps(data, separators=(",", ":")).encode()[1:] + b"}"


# One call's negotiation: the offer and the caller's candidates, then the answer and the
# callee's. `True` means from the room's creator to the joiner.
def _negotiation() -> list[tuple[bool, bytes]]:
    candidates = [_tail({"candidate": c}) for c in SAMPLES["candidates"]]
    pattern = [(True, _tail({"description": SAMPLES["offer"]}))]
    pattern += [(True, candidates[i % len(candidates)]) for i in range(4)]
    pattern += [(False, _tail({"description": SAMPLES["answer"]}))]
    pattern += [(False, candidates[(i + 2) % len(candidates)]) for i in range(4)]
    return pattern


NEGOTIATION = _negotiation()


def frame(payload: bytes, opcode: int = OP_TEXT, compressed: bool = False) -> bytes:
    """A masked client frame with the all-zero key (the payload goes out unchanged)."""
    length = len(payload)
    first = 0x80 | opcode | (0x40 if compressed else 0)
    if length < 126:
        header = struct.pack("!BB", first, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", first, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, length)
    return header + b"\0\0\0\0" + payload


class Member(asyncio.Protocol):
    """One WebSocket; control replies go to `replies`, relayed frames to the recorder."""

    __slots__ = (
        "transport",
        "buffer",
        "handshake",
        "replies",
        "recorder",
        "closed",
        "_request",
        "deflate",
        "inflate",
    )

    def __init__(
        self, key: str, host: str, path: str, recorder: Recorder, extensions: str = ""
    ) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.handshake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.replies: asyncio.Queue[dict] = asyncio.Queue()
        self.recorder = recorder
        self.closed = False
        self.deflate = self.inflate = None
        offer = f"Sec-WebSocket-Extensions: {extensions}\r\n" if extensions else ""
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n{offer}\r\n"
        ).encode()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.handshake.done():
            self.handshake.set_exception(ConnectionError("closed during the handshake"))
        self.replies.put_nowait({"type": "closed"})

    def send(self, payload: bytes) -> None:
        if self.deflate is None:
            self.transport.write(frame(payload))
        else:
            data = self.deflate.compress(payload) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
            self.transport.write(frame(data[:-4], compressed=True))

    def _agreed(self, response: bytes) -> None:
        """Set up permessage-deflate if the server's 101 response accepted it."""
        for line in response.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() != "sec-websocket-extensions":
                continue
            params = dict(
                (part.split("=") + [""])[:2]
                for part in (p.strip() for p in value.split(";"))
                if part
            )
            if "permessage-deflate" not in params:
                continue
            client_bits = int(params.get("client_max_window_bits") or 15)
            server_bits = int(params.get("server_max_window_bits") or 15)
            # Chromium's settings: its own window as agreed, zlib's default memory level.
            self.deflate = zlib.compressobj(wbits=-client_bits)
            self.inflate = zlib.decompressobj(wbits=-server_bits)

    def data_received(self, data: bytes) -> None:
        if self.handshake.cancelled():
            # Its opener gave up waiting (grow's timeout): a late 101 is not a frame.
            self.transport.close()
            return
        buffer = self.buffer
        buffer += data
        if not self.handshake.done():
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[:12])
            response = bytes(buffer[:end])
            del buffer[: end + 4]
            if status != b"HTTP/1.1 101":
                self.handshake.set_exception(ConnectionError(f"refused: {status!r}"))
                self.transport.close()
                return
            self._agreed(response)
            self.handshake.set_result(None)
        while len(buffer) >= 2:
            compressed = buffer[0] & 0x40
            opcode = buffer[0] & 0x0F
            length = buffer[1] & 0x7F
            start = 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length = int.from_bytes(buffer[2:4], "big")
                start = 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length = int.from_bytes(buffer[2:10], "big")
                start = 10
            end = start + length
            if len(buffer) < end:
                return
            payload = bytes(buffer[start:end])
            del buffer[:end]
            if compressed:
                payload = self.inflate.decompress(payload + SYNC_TAIL)
            if opcode == OP_TEXT:
                if payload.startswith(RELAYED_PREFIX):
                    self.recorder.received(payload)
                else:
                    self.replies.put_nowait(json.loads(payload))
            elif opcode == OP_PING:
                self.transport.write(frame(payload, OP_PONG))
            elif opcode == OP_CLOSE:
                self.transport.write(frame(payload[:2], OP_CLOSE))
                self.transport.close()
                return


class Recorder:
    """Latencies of relayed frames, in microseconds, while recording is on."""

    __slots__ = ("recording", "latencies", "received_count", "since")

    def __init__(self) -> None:
        self.recording = False
        self.latencies: list[int] = []
        self.received_count = 0
        self.since = 0

    def received(self, payload: bytes) -> None:
        now = time.monotonic_ns()
        self.received_count += 1
        sent = int(payload[len(RELAYED_PREFIX) : payload.index(b",", len(RELAYED_PREFIX))])
        if self.recording and sent >= self.since:
            self.latencies.append((now - sent) // 1000)


class Generator:
    def __init__(self, url: str, handshake: str = "browser") -> None:
        self.extensions = {"browser": BROWSER_EXTENSIONS, "plain": ""}[handshake]
        parts = urlsplit(url)
        if parts.scheme != "ws":
            raise SystemExit("the load generator speaks plain ws:// (TLS ends at nginx)")
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = parts.path or "/"
        self.rooms: list[tuple[Member, Member]] = []
        self.recorder = Recorder()
        self.errors: list[str] = []

    async def open_member(self) -> Member:
        """One WebSocket to the server, its handshake done; OSError or ConnectionError if
        refused."""
        loop = asyncio.get_running_loop()
        key = base64.b64encode(os.urandom(16)).decode()
        _, member = await loop.create_connection(
            lambda: Member(
                key, f"{self.host}:{self.port}", self.path, self.recorder, self.extensions
            ),
            self.host,
            self.port,
        )
        await member.handshake
        return member

    async def _room(self) -> tuple[Member, Member]:
        creator = await self.open_member()
        creator.send(b'{"type":"create"}')
        joined = await creator.replies.get()
        if joined.get("type") != "joined":
            raise ConnectionError(f"create: {joined}")
        joiner = await self.open_member()
        joiner.send(json.dumps({"type": "join", "room": joined["room"]}).encode())
        for member, expected in ((joiner, "joined"), (creator, "peer-joined")):
            reply = await member.replies.get()
            if reply.get("type") != expected:
                raise ConnectionError(f"join: expected {expected}, got {reply}")
        return creator, joiner

    async def grow(self, rooms: int) -> dict:
        started = time.monotonic()
        wanted = rooms - len(self.rooms)
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one() -> None:
            async with gate:
                try:
                    self.rooms.append(await asyncio.wait_for(self._room(), 30))
                except (TimeoutError, OSError, ConnectionError) as error:
                    self.errors.append(f"{type(error).__name__}: {error}"[:200])

        await asyncio.gather(*(one() for _ in range(max(0, wanted))))
        return {
            "rooms": len(self.rooms),
            "sockets": 2 * len(self.rooms),
            "seconds": round(time.monotonic() - started, 3),
            "errors": len(self.errors),
            "compressed": sum(1 for pair in self.rooms for m in pair if m.deflate is not None),
            "first_errors": self.errors[:3],
        }

    async def rate(self, rate: float, seconds: float, warmup: float) -> dict:
        if not self.rooms:
            raise RuntimeError("no rooms: grow first")
        recorder = self.recorder
        recorder.latencies = []
        cpu_before = time.process_time()
        interval = 1e9 / rate
        start = time.monotonic_ns() + 20_000_000
        record_from = start + int(warmup * 1e9)
        end = start + int((warmup + seconds) * 1e9)
        recorder.since = record_from
        recorder.recording = True
        received_before = recorder.received_count
        rooms, pattern = self.rooms, NEGOTIATION
        n_rooms, n_pattern = len(rooms), len(pattern)
        sent = sent_recorded = 0
        lags: list[int] = []
        sleep = asyncio.sleep
        while True:
            now = time.monotonic_ns()
            if now >= end:
                break
            due = int((now - start) // interval) + 1 if now >= start else 0
            while sent < due:
                from_creator, tail = pattern[sent % n_pattern]
                creator, joiner = rooms[(sent // n_pattern) % n_rooms]
                member = creator if from_creator else joiner
                stamp = time.monotonic_ns()
                if not member.closed:
                    member.send(SENT_PREFIX + str(stamp).encode() + tail)
                # The same test as the recorder's, so the counts compare.
                if stamp >= record_from:
                    sent_recorded += 1
                    lags.append((stamp - (start + int(sent * interval))) // 1000)
                sent += 1
            # The event loop's timers have millisecond resolution: shorter sleeps would spin.
            await sleep(max(0.001, (start + sent * interval - time.monotonic_ns()) / 1e9))
        # Let the last frames arrive (bounded), then stop recording.
        deadline = time.monotonic() + 2.0
        while len(recorder.latencies) < sent_recorded and time.monotonic() < deadline:
            await sleep(0.01)
        recorder.recording = False
        lags.sort()
        return {
            "rate": rate,
            "sent": sent,
            "sent_recorded": sent_recorded,
            "received": recorder.received_count - received_before,
            "latencies_us": recorder.latencies,
            "schedule_lag_us": {
                "p50": lags[len(lags) // 2] if lags else None,
                "p99": lags[int(len(lags) * 0.99)] if lags else None,
                "max": lags[-1] if lags else None,
            },
            "cpu_seconds": round(time.process_time() - cpu_before, 3),
        }

    def close(self) -> None:
        for pair in self.rooms:
            for member in pair:
                if member.transport is not None and not member.closed:
                    member.transport.write(frame(struct.pack("!H", 1000), OP_CLOSE))
                    member.transport.close()


def raise_open_files_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def serve(url: str, handshake: str) -> None:
    generator = Generator(url, handshake)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def answer(body: dict) -> None:
        sys.stdout.write(json.dumps(body) + "\n")
        sys.stdout.flush()

    answer({"ready": True, "pid": os.getpid(), "open_files_limit": raise_open_files_limit()})
    while line := await reader.readline():
        command = json.loads(line)
        kind = command["cmd"]
        if kind == "grow":
            answer(await generator.grow(command["rooms"]))
        elif kind == "rate":
            answer(await generator.rate(command["rate"], command["seconds"], command["warmup"]))
        elif kind == "quit":
            break
        else:
            answer({"error": f"unknown command {kind!r}"})
    generator.close()
    await asyncio.sleep(0.2)
    answer({"bye": True, "cpu_seconds": round(time.process_time(), 3)})


def main() -> None:
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(serve(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "browser"))


if __name__ == "__main__":
    main()
