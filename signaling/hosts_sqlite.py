"""The hosts store in one SQLite file: `hosts.sqlite3` under VISAVIS_STATE_DIR.

Queries run on the event loop's thread: each is a lookup or a small write on a local file
(well under a millisecond), made only on sign-in, enrolment and `create`, so a thread pool
would cost more than it saves. WAL lets the command line (`python -m signaling hosts`) read
and write while the service runs; `busy_timeout` makes the two wait for each other.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .hosts import ENROLMENT_MEMORY, Credential, Enrolment, EnrolOutcome, Host

FILE_NAME = "hosts.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS hosts (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (
    id BLOB PRIMARY KEY, host_id TEXT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    public_key BLOB NOT NULL, sign_count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS credentials_by_host ON credentials(host_id);
CREATE TABLE IF NOT EXISTS enrolments (
    token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, expires REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS challenges (
    challenge BLOB NOT NULL, purpose TEXT NOT NULL, expires REAL NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (challenge, purpose));
"""


class SqliteHostStore:
    """Implements `hosts.HostStore` in the SQLite file `path` (made, with its folder, on
    `start`; readable by the service's user only)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    @classmethod
    def in_folder(cls, state_dir: str) -> SqliteHostStore:
        return cls(Path(state_dir) / FILE_NAME)

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists()
        # Autocommit; `BEGIN IMMEDIATE` where several statements must hold together.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        if fresh:
            os.chmod(self.path, 0o600)
        db.execute("PRAGMA busy_timeout = 5000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA foreign_keys = ON")
        db.executescript(SCHEMA)
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the hosts store is not started")
        return self._db

    async def add_enrolment(self, token_hash: str, name: str, expires: float) -> None:
        with self._transaction() as db:
            # Old records go when new links are made: the table stays small without a timer.
            db.execute(
                "DELETE FROM enrolments WHERE expires < ?", (expires - 2 * ENROLMENT_MEMORY,)
            )
            db.execute(
                "INSERT INTO enrolments (token_hash, name, expires) VALUES (?, ?, ?)",
                (token_hash, name, expires),
            )

    async def enrolment(self, token_hash: str) -> Enrolment | None:
        row = self.db.execute(
            "SELECT token_hash, name, expires, used FROM enrolments WHERE token_hash = ?",
            (token_hash,),
        ).fetchone()
        return None if row is None else Enrolment(row[0], row[1], row[2], bool(row[3]))

    async def enrol(
        self, token_hash: str, now: float, host: Host, credential: Credential
    ) -> EnrolOutcome:
        with self._transaction() as db:
            row = db.execute(
                "SELECT expires, used FROM enrolments WHERE token_hash = ?", (token_hash,)
            ).fetchone()
            if row is None:
                return "unknown"
            if row[1]:
                return "used"
            if row[0] <= now:
                return "expired"
            db.execute("UPDATE enrolments SET used = 1 WHERE token_hash = ?", (token_hash,))
            db.execute(
                "INSERT INTO hosts (id, name, created) VALUES (?, ?, ?)",
                (host.id, host.name, host.created),
            )
            db.execute(
                "INSERT INTO credentials (id, host_id, public_key, sign_count) VALUES (?,?,?,?)",
                (credential.id, host.id, credential.public_key, credential.sign_count),
            )
        return "ok"

    async def host(self, host_id: str) -> Host | None:
        row = self.db.execute(
            "SELECT id, name, created FROM hosts WHERE id = ?", (host_id,)
        ).fetchone()
        return None if row is None else Host(*row)

    async def hosts(self) -> list[Host]:
        rows = self.db.execute("SELECT id, name, created FROM hosts ORDER BY created, id")
        return [Host(*row) for row in rows]

    async def remove_host(self, host_id: str) -> bool:
        with self._transaction() as db:
            db.execute("DELETE FROM credentials WHERE host_id = ?", (host_id,))
            return db.execute("DELETE FROM hosts WHERE id = ?", (host_id,)).rowcount > 0

    async def credential(self, credential_id: bytes) -> Credential | None:
        row = self.db.execute(
            "SELECT id, host_id, public_key, sign_count FROM credentials WHERE id = ?",
            (credential_id,),
        ).fetchone()
        return None if row is None else Credential(*row)

    async def credentials(self, host_id: str) -> list[Credential]:
        rows = self.db.execute(
            "SELECT id, host_id, public_key, sign_count FROM credentials WHERE host_id = ?",
            (host_id,),
        )
        return [Credential(*row) for row in rows]

    async def update_sign_count(self, credential_id: bytes, sign_count: int) -> None:
        self.db.execute(
            "UPDATE credentials SET sign_count = ? WHERE id = ?", (sign_count, credential_id)
        )

    async def put_challenge(
        self, challenge: bytes, purpose: str, expires: float, data: str
    ) -> None:
        with self._transaction() as db:
            # Expired challenges go when new ones come: no timer needed.
            db.execute("DELETE FROM challenges WHERE expires < ?", (expires - 3600,))
            db.execute(
                "INSERT INTO challenges (challenge, purpose, expires, data) VALUES (?, ?, ?, ?)",
                (challenge, purpose, expires, data),
            )

    async def take_challenge(self, challenge: bytes, purpose: str, now: float) -> str | None:
        row = self.db.execute(
            "DELETE FROM challenges WHERE challenge = ? AND purpose = ? RETURNING expires, data",
            (challenge, purpose),
        ).fetchone()
        if row is None or row[0] <= now:
            return None
        return str(row[1])

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)


class _Transaction:
    """`BEGIN IMMEDIATE` … `COMMIT`, or `ROLLBACK` on an exception (the write lock is taken
    at once, so two writers never both read the same old state)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
