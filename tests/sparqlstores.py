"""Real SPARQL 1.1 stores on free ports, each with a fresh database, for the publish tests
(`tests/test_scale_publish.py`) and the scale benchmark (`bench/bench_scale.py`): the
`oxigraph` server from PyPI and Debian's Virtuoso. A store that is not installed raises
``StoreMissing`` (the tests skip, the benchmark says so)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from serverutil import free_port, stop

from registry.publish import Endpoints, StoreClient


class StoreMissing(RuntimeError):
    """The store's program is not installed here."""


@dataclass
class Server:
    name: str
    base: str
    layout: str
    query: str

    def client(self, **kwargs) -> StoreClient:
        return StoreClient(Endpoints.for_server(self.base, self.layout), timeout=60, **kwargs)


def _oxigraph_binary() -> str | None:
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.exists() else shutil.which("oxigraph")


def _wait(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError(f"the SPARQL server did not start: "
                               f"{proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.2)


@contextlib.contextmanager
def oxigraph_server(folder: Path) -> Iterator[Server]:
    binary = _oxigraph_binary()
    if binary is None:
        raise StoreMissing("the oxigraph server is not installed (pip install -e '.[test]')")
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--location", str(folder / "db"), "--bind",
                             f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{base}/query?query=ASK%7B%7D", proc)
        yield Server("oxigraph", base, "oxigraph", f"{base}/query")
    finally:
        stop(proc)


VIRTUOSO_INI = """[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = {sql_port}
DisableUnixSocket = 1
DirsAllowed = .
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
CheckpointInterval = 60
[HTTPServer]
ServerPort = {http_port}
ServerRoot = {db}
ServerThreads = 10
MaxClientConnections = 10
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""


@contextlib.contextmanager
def virtuoso_server(folder: Path) -> Iterator[Server]:
    binary, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if binary is None or isql is None:
        raise StoreMissing("Virtuoso is not installed (apt-get install virtuoso-opensource-7)")
    db = folder / "virtuoso"
    db.mkdir(parents=True)
    sql_port, http_port = free_port(), free_port()
    ini = db / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(db=db, sql_port=sql_port, http_port=http_port))
    proc = subprocess.Popen([binary, "+configfile", str(ini), "+foreground"], cwd=db,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{http_port}"
    try:
        _wait(f"{base}/sparql?query=ASK%7B%7D", proc, seconds=120)
        # the anonymous SPARQL account may update (test server only)
        subprocess.run([isql, str(sql_port), "dba", "dba",
                        'exec=GRANT SPARQL_UPDATE TO "SPARQL"; '
                        "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);"],
                       check=True, capture_output=True, timeout=60)
        yield Server("virtuoso", base, "virtuoso", f"{base}/sparql")
    finally:
        stop(proc)
