"""The database files of a real `tokenbridge serve`: only their owner may read them.

The SQLite file holds every Item and the hashes of every token and secret; its -wal and
-shm files hold the same pages. SQLite would create all three 0644 (readable by every local
user); tokenbridge creates them 0600, and the folders it creates for them 0700.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx

from tests.helpers import LiveServer


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_some(server: LiveServer) -> None:
    """Link an Item and make a processor token: writes, so that -wal and -shm exist."""
    headers = {"PLAID-CLIENT-ID": server.client_id, "PLAID-SECRET": server.secret}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        made = client.post("/sandbox/processor_token/create", json={"institution_id": "ins_109508"})
        assert made.status_code == 200, made.text
        token = made.json()["processor_token"]
        got = client.post("/processor/token/permissions/get", json={"processor_token": token})
        assert got.status_code == 200, got.text


def test_a_served_database_its_wal_and_shm_and_new_folders_are_private(tmp_path: Path) -> None:
    # The default location (an explicit URL's folder must exist): neither folder exists,
    # and the server makes both.
    folder = tmp_path / "state" / "tokenbridge"
    db = folder / "tokenbridge.db"
    server = LiveServer(
        "", env={"XDG_DATA_HOME": str(tmp_path / "state")}, log_path=tmp_path / "serve.log"
    ).start()
    try:
        write_some(server)
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert all(p.exists() for p in files)
        assert {str(p): oct(mode(p)) for p in files} == {str(p): "0o600" for p in files}
        assert mode(folder) == 0o700
        assert mode(folder.parent) == 0o700
    finally:
        server.stop()
    assert "mode" not in (tmp_path / "serve.log").read_text()  # nothing to report


def test_a_loose_database_is_left_as_it_is_and_reported_once(tmp_path: Path) -> None:
    db = tmp_path / "tb.db"
    log = tmp_path / "serve.log"
    first = LiveServer(f"sqlite:///{db}").start()
    try:
        write_some(first)
    finally:
        first.stop()
    os.chmod(db, 0o644)  # as an operator (or an older tokenbridge) left it
    server = LiveServer(f"sqlite:///{db}", log_path=log).start()
    try:
        write_some(server)
        assert mode(db) == 0o644
        # SQLite gives a -wal or -shm it creates the database file's mode.
        assert mode(Path(f"{db}-wal")) == 0o644
    finally:
        server.stop()
    # The command opens the store once to prepare and the app once to serve: one report.
    reports = [line for line in log.read_text().splitlines() if "chmod 600" in line]
    assert len(reports) == 1, reports
    assert str(db) in reports[0] and "0o644" in reports[0]
