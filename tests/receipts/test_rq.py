"""With REDIS_URL the batch is a job on the RQ queue "supportclub" that any worker runs (the
local Redis, database 15; skipped when Redis is not reachable)."""

import pytest
from sqlalchemy import select

from supportclub.extensions import db
from supportclub.receipts import jobs
from supportclub.receipts.batch import start_batch
from supportclub.receipts.models import BatchStatus, ReceiptBatch
from tests.factories import make_receipt_settings
from tests.receipts.test_batch import (  # noqa: F401 (fixtures)
    _one_process,
    committed_app,
    make_donors,
    receipts_of,
)

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis():
    """A connection to the test database of the local Redis, or None."""
    from redis import Redis
    from redis.exceptions import RedisError

    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except RedisError:
        return None
    return connection


@pytest.fixture
def redis_queue():
    """The app's queue on Redis database 15, empty before and after the test."""
    connection = _redis()
    if connection is None:
        pytest.skip("Redis is not reachable at " + REDIS_URL)
    queue = jobs.queue(connection)
    queue.empty()
    yield queue
    queue.empty()
    connection.close()


@pytest.fixture
def with_redis(app, redis_queue):
    """The test app pointed at the local Redis."""
    app.config["REDIS_URL"] = REDIS_URL
    yield redis_queue
    app.config["REDIS_URL"] = None


def test_a_started_batch_waits_on_the_queue_until_a_worker_runs_it(app, with_redis):
    from rq import SimpleWorker

    make_receipt_settings()
    make_donors()
    batch = start_batch(2025, None)
    db.session.commit()
    job = jobs.enqueue_batch(batch.id)
    assert (
        job.origin == "supportclub" and job.func_name == "supportclub.receipts.jobs.run_batch_job"
    )
    assert job.args == (batch.id,)
    assert with_redis.count == 1
    assert receipts_of(2025) == []  # nothing runs in the web process
    assert db.session.get(ReceiptBatch, batch.id).status == BatchStatus.QUEUED
    worker = SimpleWorker([with_redis], connection=with_redis.connection)
    assert worker.work(burst=True)
    job.refresh()
    assert job.get_status() == "finished" and job.return_value() == batch.id
    done = db.session.get(ReceiptBatch, batch.id, populate_existing=True)
    assert (done.status, done.issued, done.done, done.total) == (BatchStatus.DONE, 5, 6, 6)
    assert with_redis.count == 0


def test_an_unreachable_queue_fails_the_batch_with_what_to_check(app, clients):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/15"  # nothing listens there
    try:
        make_receipt_settings()
        make_donors()
        response = clients["treasurer"].post(
            "/zuwendungsbestaetigungen/jahreslauf", data={"year": "2025", "send_mail": "y"}
        )
        batch = db.session.execute(select(ReceiptBatch)).scalar_one()
        assert response.headers["Location"].endswith(f"/jahreslauf/{batch.id}")
        page = clients["treasurer"].get(response.headers["Location"]).get_data(as_text=True)
        assert "Die Warteschlange (Redis unter REDIS_URL) ist nicht erreichbar" in page
        assert batch.status == BatchStatus.FAILED
        assert f"Lauf Nr. {batch.id} fortsetzen" in page
    finally:
        app.config["REDIS_URL"] = None


def test_the_worker_command_works_off_the_queue(committed_app, redis_queue):  # noqa: F811
    committed_app.config["REDIS_URL"] = REDIS_URL
    with committed_app.app_context():
        make_receipt_settings()
        make_donors()
        batch_id = start_batch(2025, None).id
        db.session.commit()
        jobs.enqueue_batch(batch_id)
        db.session.remove()
    with committed_app.app_context():  # (the test's own app context is active too)
        result = committed_app.test_cli_runner().invoke(args=["receipts", "worker", "--burst"])
        db.session.remove()
    assert result.exit_code == 0, result.output
    with committed_app.app_context():
        batch = db.session.get(ReceiptBatch, batch_id)
        assert (batch.status, batch.issued) == (BatchStatus.DONE, 5)
        assert len(receipts_of(2025)) == 5
        db.session.remove()
    assert redis_queue.count == 0
