"""The server as `python -m signaling` runs it: slow readers, metrics, logs and SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from tests.loopback import signaling_server
from tests.service.conftest import member_at
from tests.service.raw_socket import RawWebSocket

TOKEN = "metrics-token-for-the-test"


def _rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))


def _metrics(url: str, token: str | None = TOKEN) -> str:
    request = urllib.request.Request(f"{url}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read().decode()


def _sample(exposition: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", exposition, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def _wait_for(url: str, name: str, value: float, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while _sample(exposition := _metrics(url), name) != value:
        assert time.monotonic() < deadline, f"{name} never became {value}:\n{exposition}"
        time.sleep(0.1)
    return exposition


def test_a_reader_that_never_reads_is_cut_off_and_memory_stays_bounded(tmp_path: Path, broker):
    flood_env = {
        "VISAVIS_OUTBOX_BYTES": str(256 * 1024),
        "VISAVIS_MESSAGE_RATE": "1000000",
        "VISAVIS_MESSAGE_BURST": "1000000",
        "VISAVIS_BYTE_RATE": "1000000000",
        "VISAVIS_BYTE_BURST": "1000000000",
        "VISAVIS_METRICS_TOKEN": TOKEN,
    }
    with signaling_server(tmp_path, env=flood_env, broker=broker) as server, ExitStack() as sockets:
        flooder = member_at(sockets, server.ws_url)
        room = flooder.create()["room"]
        stuck = RawWebSocket(server.ws_url, receive_buffer=4096)
        stuck.send_json({"type": "join", "room": room})
        flooder.expect("peer-joined")
        before = _rss_kb(server.pid)
        chunk = {"type": "signal", "data": "x" * 60_000}

        for _ in range(1500):  # 90 MB at a peer that reads nothing
            flooder.send(chunk)
        # Its seat waits out the grace period (it may come back); frames for it are dropped.
        exposition = _wait_for(server.url, 'visavis_rooms{state="reconnecting"}', 1)
        grown_kb = _rss_kb(server.pid) - before

        assert _sample(exposition, 'visavis_forced_disconnects_total{reason="slow-reader"}') == 1
        assert grown_kb < 40_000, f"server grew by {grown_kb} kB"
        stuck.read_until_closed(timeout=10)  # what was queued, then the server hangs up
        flooder.send({"type": "leave"})  # the flooder's own socket is unaffected
        flooder.expect_silence()


def test_metrics_need_the_token_and_move_with_events(tmp_path: Path, broker):
    env = {"VISAVIS_METRICS_TOKEN": TOKEN}
    with signaling_server(tmp_path, env=env, broker=broker) as server, ExitStack() as sockets:
        for token, status in ((None, 401), ("wrong", 401)):
            with pytest.raises(urllib.error.HTTPError) as refused:
                _metrics(server.url, token)
            assert refused.value.code == status
        alice = member_at(sockets, server.ws_url)
        joined = alice.create()
        bob = member_at(sockets, server.ws_url)
        bob.join(joined["room"])
        alice.send({"type": "signal", "data": {"a": 1}})
        bob.recv()
        bob.join("zzzz-zzzz-zzzz")
        alice.socket.close()
        carol = member_at(sockets, server.ws_url)
        assert carol.join(joined["room"], joined["resume"])["resumed"] is True

        exposition = _metrics(server.url)

    expected = {
        "visavis_connections": 2,
        'visavis_joins_total{outcome="created"}': 1,
        'visavis_joins_total{outcome="joined"}': 1,
        'visavis_joins_total{outcome="resumed"}': 1,
        'visavis_errors_total{code="already-in-room"}': 1,
        "visavis_relayed_messages_total": 1,
        "visavis_relayed_bytes_total": len(json.dumps({"a": 1})),  # as the client sent it
        "visavis_resumes_total": 1,
        'visavis_rooms{state="in-call"}': 1,
    }
    assert {name: _sample(exposition, name) for name in expected} == expected


def test_metrics_are_not_served_without_a_token(tmp_path: Path, broker):
    with (
        signaling_server(tmp_path, broker=broker) as server,
        pytest.raises(urllib.error.HTTPError) as missing,
    ):
        _metrics(server.url)
    assert missing.value.code == 404


def test_logs_are_json_lines_without_addresses_or_session_descriptions(tmp_path: Path, broker):
    with signaling_server(tmp_path, broker=broker) as server, ExitStack() as sockets:
        alice = member_at(sockets, server.ws_url)
        room = alice.create()["room"]
        bob = member_at(sockets, server.ws_url)
        bob.join(room)
        alice.expect("peer-joined")
        sdp = "v=0\r\nc=IN IP4 198.51.100.7\r\na=candidate:1 1 udp 1 198.51.100.7 9 typ host"
        alice.send({"type": "signal", "data": {"description": {"type": "offer", "sdp": sdp}}})
        bob.recv()
        bob.send({"type": "leave"})
        alice.expect("peer-left")
        alice.close()
        bob.close()
        time.sleep(0.3)
        lines = server.log.read_text().splitlines()

    events = [json.loads(line) for line in lines if line.startswith("{")]
    names = [event["event"] for event in events]
    if broker is None:  # no VISAVIS_RESUME_SECRET: seats do not survive a restart
        assert names.pop(0) == "resume-secret-missing"
    assert names[:4] == ["room-created", "seat-taken", "seat-taken", "seat-left"]
    log = "\n".join(lines)
    assert room not in log  # rooms appear as a hash: the code itself lets people in
    for private in ("127.0.0.1", "198.51.100.7", "v=0", "candidate"):
        assert private not in log.replace(server.url, ""), private


def test_sigterm_closes_sockets_for_a_resume_and_exits_promptly(tmp_path: Path, broker):
    env = {"VISAVIS_SHUTDOWN_TIMEOUT": "3"}
    with signaling_server(tmp_path, env=env, broker=broker) as server, ExitStack() as sockets:
        alice = member_at(sockets, server.ws_url)
        bob = member_at(sockets, server.ws_url)
        bob.join(alice.create()["room"])
        alice.expect("peer-joined")

        stopped_at = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        codes = []
        for member in (alice, bob):
            with pytest.raises(ConnectionClosed) as closed:
                member.recv(timeout=5)
            codes.append(closed.value.rcvd.code)
        server.process.wait(timeout=10)
        took = time.monotonic() - stopped_at

    assert codes == [1012, 1012]  # "service restart": the client reconnects and resumes
    assert server.process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
    assert took < 3 + 2, took
