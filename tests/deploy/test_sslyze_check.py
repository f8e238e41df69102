"""How make verify's sslyze check reads a failed CCS-injection probe (infra/verify/
sslyze_check.py), run by the Python of sslyze's own virtualenv as make verify runs it. The
server's reset after the early ChangeCipherSpec is timing (one probe in 8 to 20 against
coturn), so the traces are made here: real socket errors raised on the probe's own lines."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SSLYZE_PYTHON = REPO / ".venv/sslyze/bin/python"

# The probe's shape (sslyze/plugins/openssl_ccs_injection_plugin.py): a ClientHello send, then,
# after the server's hello, the early CCS and an application data record. The socket's peer is
# gone, so a send fails in C as a real one does (no Python frame of ours below the probe's).
TRACES = """
import json, socket, sys, traceback
sys.path.insert(0, sys.argv[1])
import sslyze_check


class Record:
    def to_bytes(self):
        return b"x"


app_data_record, payload, handshake_data_out = Record(), b"x", b"x"


def gone():
    ours, theirs = socket.socketpair()
    theirs.close()
    return ours


class Client:
    def __init__(self, sock):
        self._sock = sock

    def _do_handshake_with_ccs_injection(self, step):
        if step == "hello":
            self._sock.send(handshake_data_out)
        elif step == "ccs":
            self._sock.send(payload)
        else:
            self._sock.send(app_data_record.to_bytes())


def trace(step, sock):
    try:
        try:
            Client(sock)._do_handshake_with_ccs_injection(step)
        except ConnectionError:
            raise RuntimeError("Server rejected the connection")  # as sslyze's connect() does
    except Exception as error:
        return traceback.TracebackException.from_exception(error)


closed = gone()
closed.close()
print(json.dumps({
    "reset after the CCS": sslyze_check.rejected_early_ccs(trace("ccs", gone())),
    "reset after the data record": sslyze_check.rejected_early_ccs(trace("data", gone())),
    "reset on the ClientHello": sslyze_check.rejected_early_ccs(trace("hello", gone())),
    "another error after the CCS": sslyze_check.rejected_early_ccs(trace("data", closed)),
    "no error": sslyze_check.rejected_early_ccs(None),
}))
"""


@pytest.fixture(scope="module")
def sslyze_python() -> Path:
    """The Python of sslyze's virtualenv, made as make verify makes it."""
    subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), ".venv/sslyze/.installed"],
        check=True,
        capture_output=True,
    )
    return SSLYZE_PYTHON


def test_only_a_reset_after_the_early_ccs_reads_as_not_vulnerable(sslyze_python, tmp_path):
    script = tmp_path / "traces.py"
    script.write_text(TRACES)
    done = subprocess.run(
        [str(sslyze_python), str(script), str(REPO / "infra/verify")],
        capture_output=True,
        text=True,
        check=True,
    )

    assert json.loads(done.stdout) == {
        "reset after the CCS": True,
        "reset after the data record": True,
        # The controls: a server that refuses the hello, or another failure, stays an error.
        "reset on the ClientHello": False,
        "another error after the CCS": False,
        "no error": False,
    }
