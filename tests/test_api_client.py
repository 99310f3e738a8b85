"""A client generated from the OpenAPI document works against a real server.

The generator (openapi-python-client, pinned in tests/tools-requirements.txt) pins an
older typer than the project, so it lives in its own environment: `.cache/tools/`
(`python -m venv .cache/tools && .cache/tools/bin/pip install -r
tests/tools-requirements.txt`), or any `openapi-python-client` on PATH, or the one named
by $POWERS_OPENAPI_GENERATOR. Without it this test is skipped.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from serverutil import REPO, running_server

from registry.snapshot import load_snapshot

pytestmark = pytest.mark.slow


def generator() -> str | None:
    for candidate in (os.environ.get("POWERS_OPENAPI_GENERATOR"),
                      str(REPO / ".cache" / "tools" / "bin" / "openapi-python-client"),
                      shutil.which("openapi-python-client")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def test_a_generated_client_reads_powers_laws_and_search(small_registry, tmp_path):
    tool = generator()
    if tool is None:
        pytest.skip("openapi-python-client not installed (see tests/tools-requirements.txt)")
    snap = load_snapshot(small_registry)
    with running_server(small_registry) as base:
        spec = tmp_path / "openapi.json"
        spec.write_bytes(httpx.get(f"{base}/api/openapi.json", timeout=10).content)
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
        run = subprocess.run([tool, "generate", "--path", str(spec), "--meta", "none",
                              "--output-path", str(tmp_path / "powers_client")],
                             capture_output=True, text=True, timeout=300, env=env)
        assert run.returncode == 0, run.stdout + run.stderr
        sys.path.insert(0, str(tmp_path))
        try:
            client_mod = importlib.import_module("powers_client")
            get_power = importlib.import_module("powers_client.api.powers.get_power")
            list_powers = importlib.import_module("powers_client.api.powers.list_powers")
            get_law = importlib.import_module("powers_client.api.laws.get_law")
            stats = importlib.import_module("powers_client.api.stats.stats")
            health = importlib.import_module("powers_client.api.meta.health")
            search = importlib.import_module("powers_client.api.search.search")
            error = importlib.import_module("powers_client.models.error")

            client = client_mod.Client(base_url=base, timeout=httpx.Timeout(30))
            code = sorted(snap.powers)[0]
            power = get_power.sync(client=client, code=code)
            assert power.code == code and power.title == snap.powers[code].title
            missing = get_power.sync(client=client, code="339999999999")
            assert isinstance(missing, error.Error) and missing.error == "POWER_NOT_FOUND"

            seen, cursor = [], None
            while True:
                page = list_powers.sync(client=client, limit=10, status="all",
                                        cursor=cursor if cursor else client_mod.types.UNSET)
                seen += [item.code for item in page.items]
                cursor = page.next_cursor
                if not isinstance(cursor, str):
                    break
            assert seen == sorted(snap.powers)

            law_id = next(iter(snap.powers_citing()))
            law = get_law.sync(client=client, law_id=law_id)
            assert law.id == law_id and law.powers
            assert stats.sync(client=client).in_force == snap.stats()["in_force"]
            for _ in range(100):  # the index is opened in the background at start-up
                if health.sync(client=client).search == "ready":
                    break
                import time

                time.sleep(0.2)
            title = snap.powers[code].title
            found = search.sync(client=client, q=title[-4:])
            assert found.total >= 1 and found.hits
        finally:
            sys.path.remove(str(tmp_path))
            for name in [m for m in sys.modules if m.startswith("powers_client")]:
                del sys.modules[name]
