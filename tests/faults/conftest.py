"""Killed processes: the real work runs in a child process (tests/faults/worker.py) on a
throwaway database (a SQLite file, and a new PostgreSQL database when TEST_DATABASE_URL is set),
is killed with SIGKILL half-way, and the test then looks at what was left behind."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from supportclub.extensions import db
from tests.conftest import make_test_app
from tests.dbutil import BACKENDS, fresh_database, migrate

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90


class Child:
    """One worker process and its progress file."""

    def __init__(self, task: str, url: str, upload_dir: str, *extra: str):
        fd, self.progress_path = tempfile.mkstemp(prefix="h8-progress-", suffix=".txt")
        os.close(fd)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "tests.faults.worker", task, url, upload_dir]
            + [self.progress_path, *extra],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def lines(self) -> list[str]:
        """The progress lines written so far."""
        return Path(self.progress_path).read_text(encoding="utf-8").splitlines()

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        """Poll `condition` until it holds; fail when the child ends or time runs out first."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition():
            if self.process.poll() is not None:
                output = self.process.stdout.read().decode(errors="replace")
                pytest.fail(f"worker ended before {what}: {self.lines()}\n{output[-3000:]}")
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"worker did not reach {what} in {WAIT_SECONDS} s: {self.lines()}")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no cleanup, no rollback, no atexit; the process is simply gone."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process.stdout.close()
        Path(self.progress_path).unlink(missing_ok=True)

    def finish(self) -> list[str]:
        """Wait for the child to end normally; its progress lines."""
        try:
            output, _ = self.process.communicate(timeout=WAIT_SECONDS * 2)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("worker did not finish")
        lines = self.lines()
        Path(self.progress_path).unlink(missing_ok=True)
        assert self.process.returncode == 0, output.decode(errors="replace")[-3000:]
        assert lines[-1] == "finished", lines
        return lines


@pytest.fixture(params=BACKENDS)
def killable(request):
    """(app, database URL, upload folder) of a fresh, migrated database the children share."""
    with fresh_database(request.param, prefix="h8_") as url:
        upload_dir = tempfile.mkdtemp(prefix="h8-uploads-")
        app = make_test_app(url, UPLOAD_DIR=upload_dir)
        migrate(app)
        try:
            yield app, url, upload_dir
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            shutil.rmtree(upload_dir, ignore_errors=True)


def in_app(app, read: Callable):
    """`read()` in a fresh app context and session (what is committed now)."""
    with app.app_context():
        try:
            return read()
        finally:
            db.session.remove()
