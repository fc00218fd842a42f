"""The queue seam: where a year's batch runs once it is started.

Without `REDIS_URL` (the embedded default) a daemon thread of the app's own process runs it,
with its own app context. With `REDIS_URL` the batch is a job on the RQ queue "supportclub",
so workers on several machines (`flask --app supportclub receipts worker`) share the queue.
Either way the job is the same `batch.run_batch`; a batch that stops half-way is completed by
starting it again.
"""

import logging
import os
import threading

from flask import Flask, current_app, has_app_context

from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _

log = logging.getLogger("supportclub.receipts.jobs")

QUEUE_NAME = "supportclub"
JOB_TIMEOUT = 6 * 60 * 60  # seconds: a large year on a slow machine
_WORKER: dict = {}  # the RQ worker's process id (its jobs may run in forked children)


class QueueUnavailable(DomainError):
    """The job queue (Redis) cannot be reached."""


def redis_connection(url: str | None = None):
    """A Redis connection to `url` (default: the app's REDIS_URL)."""
    from redis import Redis

    return Redis.from_url(url or current_app.config["REDIS_URL"])


def queue(connection=None):
    """The RQ queue of the app's jobs."""
    from rq import Queue

    return Queue(QUEUE_NAME, connection=connection or redis_connection())


def enqueue_batch(batch_id: int):
    """Run the batch in the background: an RQ job with REDIS_URL, else a thread here.

    Returns the RQ job or the started thread.
    """
    if current_app.config.get("REDIS_URL"):
        from redis.exceptions import RedisError

        try:
            return queue().enqueue(
                run_batch_job,
                batch_id,
                job_timeout=JOB_TIMEOUT,
                description=f"Zuwendungsbestätigungen, Lauf {batch_id}",
            )
        except RedisError as exc:
            raise QueueUnavailable(
                _(
                    "Die Warteschlange (Redis unter REDIS_URL) ist nicht erreichbar: %(error)s. "
                    "Bitte den Redis-Dienst prüfen und den Lauf erneut starten.",
                    error=exc,
                )
            ) from exc
    thread = threading.Thread(
        target=_run_in_thread,
        args=(current_app._get_current_object(), batch_id),
        name=f"receipt-batch-{batch_id}",
        daemon=True,
    )
    thread.start()
    return thread


def _run_in_thread(app: Flask, batch_id: int) -> None:
    """The thread's work: the batch in an app context of its own."""
    with app.app_context():
        try:
            run_batch_now(batch_id)
        except Exception:  # noqa: BLE001 - recorded on the batch; the thread just ends
            log.exception("Lauf %s im Hintergrund abgebrochen", batch_id)
        finally:
            db.session.remove()


def run_batch_now(batch_id: int):
    """Run the batch in this process (the current app)."""
    from supportclub.receipts.batch import run_batch

    return run_batch(batch_id)


def run_batch_job(batch_id: int) -> int:
    """The RQ job: run the batch in the worker's app, or in a new app from the environment."""
    if has_app_context():
        if _WORKER.get("pid") not in (None, os.getpid()):
            # a forked work horse: never share the parent's database connections
            db.engine.dispose(close=False)
        run_batch_now(batch_id)
        return batch_id
    from supportclub import create_app

    app = create_app()
    with app.app_context():
        try:
            run_batch_now(batch_id)
        finally:
            db.session.remove()
            db.engine.dispose()
    return batch_id


def run_worker(*, burst: bool = False) -> None:
    """Work the queue "supportclub" (in the current app) until stopped, or until empty."""
    from rq import Worker

    connection = redis_connection()
    _WORKER["pid"] = os.getpid()
    Worker([queue(connection)], connection=connection).work(burst=burst)
