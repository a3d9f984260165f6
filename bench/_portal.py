"""Shared by the benchmarks that run the portal for real: a throwaway PostgreSQL database, the production
settings pointed at it, and gunicorn on 127.0.0.1. `args` carries db_host, db_port, db_user and db_name."""

import asyncio
import base64
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

from _common import request_once

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
HOST = "127.0.0.1"


def _pg(args, *command: str) -> None:
    subprocess.run(
        [*command, "-h", args.db_host, "-p", str(args.db_port), "-U", args.db_user, args.db_name],
        check=True,
        timeout=60,
        capture_output=True,
    )


def db_recreate(args) -> None:
    _pg(args, "dropdb", "--if-exists", "--force")
    _pg(args, "createdb")


def db_drop(args) -> None:
    _pg(args, "dropdb", "--if-exists", "--force")


def portal_environment(args, media_root: Path) -> dict[str, str]:
    """The portal's production settings, pointed at the bench database, with throttling out of the way."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "false",
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"postgres://{args.db_user}@{args.db_host}:{args.db_port}/{args.db_name}",
        "CONN_MAX_AGE": "3600",  # connections outlive every run: a backend that exits mid-run loses its CPU time
        "PARTNER_RATE": "10000000/s",
        "PARTNER_BULK_RATE": "10000000/s",
        "LOG_LEVEL": "WARNING",
        # Production settings demand media keys; nothing is uploaded here, but they must be present.
        "MEDIA_MASTER_KEYS": "bench:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        # Production settings demand a receipt signing key (Ed25519, 32 raw bytes) as they do media keys.
        "RECEIPT_SIGNING_KEYS": "bench:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "MEDIA_ROOT": str(media_root),
    }


def gunicorn_start(
    *, wsgi: str, workers: int, worker_class: str, threads: int, env: dict[str, str], port: int, log_path: Path
) -> subprocess.Popen:
    command = [
        str(VENV / "bin" / "gunicorn"),
        wsgi,
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        "--chdir",
        str(ROOT),
    ]
    log = log_path.open("wb")
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches only this script, which then stops gunicorn itself
    )


def gunicorn_wait(process: subprocess.Popen, port: int, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{log_path.read_text()[-2000:]}")
        try:
            response = asyncio.run(request_once(HOST, port, "GET", "/api/v1/ping/"))
            if response.status == 401:  # up, and asking for a token as it should
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{log_path.read_text()[-2000:]}")


def gunicorn_stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # gunicorn's own process group (start_new_session)
        process.wait(timeout=5)
