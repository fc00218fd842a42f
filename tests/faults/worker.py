"""The real work a fault test kills, run in a child process of its own:

    python -m tests.faults.worker import DATABASE_URL UPLOAD_DIR PROGRESS_FILE [--pause-at N]
    python -m tests.faults.worker batch  DATABASE_URL UPLOAD_DIR PROGRESS_FILE [--slow SECONDS]
    python -m tests.faults.worker resume DATABASE_URL UPLOAD_DIR PROGRESS_FILE

The child builds the app with `create_app` on the test's throwaway database and reports its
progress line by line in PROGRESS_FILE (flushed and synced, so the parent sees it at once).
"""

import argparse
import os
import time
from datetime import date

FILES = 6  # bank statement files imported one after another
ENTRIES = 120  # entries per file
BATCH_YEAR = 2025
CHUNK_SIZE = 3


def statement(index: int) -> bytes:
    """Bank statement file number `index` (1-based): ENTRIES credits and debits, all distinct."""
    from supportclub.banking.camt_writer import camt053

    entries = [
        {
            "amount_cents": (1000 + 37 * n + index) * (-1 if n % 5 == 4 else 1),
            "name": f"Zahler {index}-{n}",
            "purpose": f"Spende {index}/{n}",
            "ref": f"AUSZUG{index}-BUCHUNG{n}",
            "booking_date": date(2025, index, 1 + n % 28),
        }
        for n in range(ENTRIES)
    ]
    return camt053(entries, start=date(2025, index, 1), statement_id=f"STMT-{index}")


def expected_import_cents() -> int:
    """The sum of every entry of all files, to the cent."""
    return sum(
        (1000 + 37 * n + index) * (-1 if n % 5 == 4 else 1)
        for index in range(1, FILES + 1)
        for n in range(ENTRIES)
    )


class Progress:
    """Progress lines for the parent: written, flushed and synced one by one."""

    def __init__(self, path: str):
        self.handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the run

    def __call__(self, line: str) -> None:
        self.handle.write(line + "\n")
        self.handle.flush()
        os.fsync(self.handle.fileno())


def run_imports(progress: Progress, pause_at: int | None) -> None:
    """Import the statement files one per transaction, as the upload page does."""
    from supportclub.banking import imports as imports_module
    from supportclub.extensions import db

    current = {"file": 0}
    real_insert = imports_module._insert

    def insert(lines, import_id):
        real_insert(lines, import_id)
        progress(f"inserted {current['file']}")
        if current["file"] == pause_at:
            time.sleep(60)  # the rest of a slow request; the parent kills the process here

    imports_module._insert = insert
    for index in range(1, FILES + 1):
        current["file"] = index
        imports_module.import_file(statement(index), f"auszug-{index}.xml", actor=None)
        db.session.commit()
        progress(f"committed {index}")
    progress("finished")


def run_receipt_batch(progress: Progress, slow: float, *, resume: bool) -> None:
    """Start (or take up again) the year's batch and run it, as the batch page's worker does."""
    from supportclub.extensions import db
    from supportclub.receipts import batch as batch_module
    from supportclub.receipts import pdf as receipt_pdf

    batch_module.CHUNK_SIZE = CHUNK_SIZE
    if slow:
        real_render = receipt_pdf.render_receipt

        def render(content, **kw):
            time.sleep(slow)  # a slow machine: the parent gets to kill it half-way
            return real_render(content, **kw)

        receipt_pdf.render_receipt = render
    batch = batch_module.start_batch(BATCH_YEAR, None, send_mail=False)
    db.session.commit()
    progress(f"{'resumed' if resume else 'started'} {batch.id}")
    batch_module.run_batch(batch.id, progress=lambda done, total: progress(f"done {done}/{total}"))
    progress("finished")


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, build the app on the given database and run the task."""
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["import", "batch", "resume"])
    parser.add_argument("database_url")
    parser.add_argument("upload_dir")
    parser.add_argument("progress")
    parser.add_argument("--pause-at", type=int, default=None)
    parser.add_argument("--slow", type=float, default=0.0)
    args = parser.parse_args(argv)

    from tests.conftest import make_test_app

    overrides = {"UPLOAD_DIR": args.upload_dir, "RECEIPT_RENDER_PROCESSES": 1}
    if args.task == "resume":
        # the killed worker left its batch "running": with no grace period it counts as stopped
        overrides["RECEIPT_BATCH_STALE_SECONDS"] = 0
    app = make_test_app(args.database_url, **overrides)
    progress = Progress(args.progress)
    progress(f"pid {os.getpid()}")
    with app.app_context():
        if args.task == "import":
            run_imports(progress, args.pause_at)
        else:
            run_receipt_batch(progress, args.slow, resume=args.task == "resume")


if __name__ == "__main__":
    main()
