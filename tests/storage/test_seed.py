"""`db seed`: bulk-loaded Items and tokens are ordinary, usable records on every backend."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.storage import factories as f
from tokenbridge.domain.link import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tokenbridge.domain.models import AccountTemplate
from tokenbridge.domain.ports import Store
from tokenbridge.domain.randomness import RandomSource, hash_token
from tokenbridge.sandbox.bank import SandboxBank
from tokenbridge.storage.seed import seed

pytestmark = pytest.mark.anyio

INSTITUTION_ID = "ins_109508"


def checking_template() -> AccountTemplate:
    """The first account the sandbox's default user links: what every seeded Item holds."""
    login = SandboxBank().accounts_for_login(
        INSTITUTION_ID, DEFAULT_USERNAME, DEFAULT_PASSWORD, "seed"
    )
    assert login
    return login.accounts[0]


async def test_seeded_tokens_work_through_the_store(store: Store) -> None:
    owner = f.client()
    await store.create_client(owner)
    out = io.StringIO()
    report = await seed(
        store, owner.client_id, 250, random=RandomSource(), account=checking_template(),
        institution_id=INSTITUTION_ID, tokens_out=out, sample=7, processor="dwolla", batch=100,
    )  # fmt: skip
    assert (report.items, report.sampled) == (250, 7)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 7
    for line in lines:
        token = await store.get_processor_token(hash_token(line["processor_token"]))
        assert token is not None
        assert (token.item_id, token.account_id) == (line["item_id"], line["account_id"])
        assert (token.client_id, token.processor, token.products) == (
            owner.client_id, "dwolla", ()
        )  # fmt: skip
        item = await store.get_item_by_access_token(hash_token(line["access_token"]))
        assert item is not None
        assert item.item_id == line["item_id"]
        assert [a.account_id for a in await store.get_accounts(item.item_id)] == [
            line["account_id"]
        ]


async def test_seed_needs_an_existing_client(store: Store) -> None:
    with pytest.raises(ValueError, match="no client"):
        await seed(
            store, "no-such-client", 10, random=RandomSource(), account=checking_template(),
            institution_id=INSTITUTION_ID,
        )  # fmt: skip


def test_db_seed_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    env_cmd = [sys.executable, "-m", "tokenbridge"]
    created = subprocess.run(
        [*env_cmd, "clients", "create", "--name", "bench", "--json", "--database-url", url],
        capture_output=True, check=True, text=True,
    )  # fmt: skip
    client_id = json.loads(created.stdout)["client_id"]
    out = tmp_path / "tokens.jsonl"
    done = subprocess.run(
        [*env_cmd, "db", "seed", "--items", "120", "--client-id", client_id,
         "--tokens-out", str(out), "--sample", "5", "--database-url", url],
        capture_output=True, check=True, text=True,
    )  # fmt: skip
    assert "loaded 120 items" in done.stdout
    assert len(out.read_text().splitlines()) == 5
    unknown = subprocess.run(
        [*env_cmd, "db", "seed", "--items", "1", "--client-id", "nobody", "--database-url", url],
        capture_output=True, text=True,
    )  # fmt: skip
    assert unknown.returncode == 2
    assert "no client 'nobody'" in unknown.stderr
