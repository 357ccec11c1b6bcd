"""maillage behind a real PgBouncer in transaction mode (MAILLAGE_DB_POOLER=pgbouncer-transaction).

Two server connections shared by eight threads: every transaction may land on another server
connection, so anything that lives on one (a server-side cursor of `.iterator()`, a prepared
statement) breaks unless the settings avoid it. Skipped where Debian's pgbouncer is not installed.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
PROJECT = Path(__file__).resolve().parents[2]

# Run in a child process configured through the environment, as a web worker would be.
WORKLOAD = textwrap.dedent(
    """
    import threading, django
    django.setup()
    from django.db import connection, transaction
    from maillage.core.models import Organisation

    errors = []

    def work(number):
        try:
            for round_ in range(10):
                with transaction.atomic():
                    organisation = Organisation.objects.create(
                        short_name=f"Pooled {number}-{round_}", name_fr="Centre", name_nl="Centrum", postal_code="1060"
                    )
                    Organisation.objects.select_for_update().get(pk=organisation.pk)
                # Many rows read in chunks: a server-side cursor unless the settings turn it off.
                assert sum(1 for _ in Organisation.objects.filter(short_name__startswith="Pooled").iterator(chunk_size=2)) >= 1
                # The same statement many times: psycopg would prepare it on one server connection.
                for _ in range(8):
                    Organisation.objects.filter(short_name=f"Pooled {number}-{round_}").exists()
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(len(errors), errors[:1])
    """
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def pgbouncer(tmp_path: Path) -> Iterator[int]:
    if connection.vendor != "postgresql":
        pytest.skip("PgBouncer pools PostgreSQL connections")
    if not Path(PGBOUNCER).exists():
        pytest.skip("Debian's pgbouncer is not installed (apt-get install pgbouncer)")
    db = connection.settings_dict
    port = _free_port()
    tmp_path.chmod(0o755)
    (tmp_path / "users.txt").write_text('"postgres" ""\n')
    (tmp_path / "pgbouncer.ini").write_text(
        textwrap.dedent(
            f"""
            [databases]
            {db["NAME"]} = host={db["HOST"] or "127.0.0.1"} port={db["PORT"] or 5432} dbname={db["NAME"]}
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = {port}
            unix_socket_dir =
            auth_type = trust
            auth_file = {tmp_path / "users.txt"}
            pool_mode = transaction
            default_pool_size = 2
            max_client_conn = 50
            ignore_startup_parameters = extra_float_digits,options
            """
        )
    )
    for name in ("users.txt", "pgbouncer.ini"):
        (tmp_path / name).chmod(0o644)
    # PgBouncer refuses to run as root: -u drops to the postgres user.
    process = subprocess.Popen([PGBOUNCER, "-u", "postgres", str(tmp_path / "pgbouncer.ini")])
    for _ in range(100):
        assert process.poll() is None, "pgbouncer stopped at start"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(timeout=10)


def _run_workload(port: int, pooler: str) -> str:
    db = connection.settings_dict
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "maillage.settings",
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@127.0.0.1:{port}/{db['NAME']}",
        "MAILLAGE_DB_POOLER": pooler,
        "MAILLAGE_SECRET_KEY": settings.SECRET_KEY,
    }
    completed = subprocess.run(
        [sys.executable, "-c", WORKLOAD], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout.strip()


def test_the_pooler_settings_work_behind_pgbouncer_in_transaction_mode(pgbouncer: int) -> None:
    from maillage.core.models import Organisation

    assert _run_workload(pgbouncer, "pgbouncer-transaction") == "0 []"
    assert Organisation.objects.filter(short_name__startswith="Pooled").count() == 80


def test_without_them_the_server_side_cursors_break(pgbouncer: int) -> None:
    errors, first = _run_workload(pgbouncer, "none").split(" ", 1)
    assert int(errors) > 0
    # A named server-side cursor ("_django_curs_…") lost between server connections.
    assert "_django_curs_" in first or "cursor" in first
