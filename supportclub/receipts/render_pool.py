"""Rendering receipt PDFs in parallel: a process pool whose workers render and store them.

Each worker process gets the receipt folder and the facsimile images once (its initializer),
then per receipt only the content JSON. It renders with `receipts.pdf.render_receipt`, writes
the file with `storage.write_pdf` and returns the `StoredPdf` (key, SHA-256, size): the PDFs
never travel back through the parent, so the parent's memory stays flat however many receipts
a batch has.

The pool size is `RECEIPT_RENDER_PROCESSES` from the app config, else the number of cores this
process may use; 1 renders in the calling thread (as does any machine where a process pool
cannot start). Workers are started by a fork server: forking the web process itself, with its
threads and database connections, is not safe.
"""

import gc
import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from supportclub.receipts import storage
from supportclub.receipts.content import ReceiptContent

log = logging.getLogger("supportclub.receipts.render_pool")

Job = tuple[int, str]  # (receipt id, content JSON)

_WORKER: dict = {}  # the worker process's folder and signature images
COLLECT_EVERY = 100  # receipts rendered (per process) between two garbage collections
_RENDERED = [0]


def pool_size(app) -> int:
    """How many processes render: the config value, else the cores available (at least 1)."""
    configured = app.config.get("RECEIPT_RENDER_PROCESSES")
    if configured:
        return max(1, int(configured))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def render_and_store(
    content_json: str, folder: str | Path, signatures: dict[str, bytes]
) -> storage.StoredPdf:
    """Render one receipt from its content JSON and store the PDF; no app or database needed."""
    from supportclub.receipts import pdf as receipt_pdf  # looked up per call: tests patch it

    content = ReceiptContent.from_json(content_json)
    image = signatures.get(content.facsimile_key) if content.facsimile else None
    data = receipt_pdf.render_receipt(content, facsimile_image=image)
    # a rendered document lives in reference cycles (platypus templates and their callbacks)
    # that the cyclic collector frees only now and then: collect regularly, memory stays flat
    _RENDERED[0] += 1
    if _RENDERED[0] % COLLECT_EVERY == 0:
        gc.collect()
    return storage.write_pdf(folder, data)


def _init_worker(folder: str, signatures: dict[str, bytes]) -> None:
    """Keep what every job of this worker process needs."""
    _WORKER["folder"] = folder
    _WORKER["signatures"] = signatures


def _work(job: Job) -> storage.StoredPdf:
    """A worker process's job: render and store one receipt."""
    _receipt_id, content_json = job
    return render_and_store(content_json, _WORKER["folder"], _WORKER["signatures"])


class RenderHandle:
    """The PDFs of one chunk being rendered: wait for them, keep or discard the files."""

    def __init__(self, jobs: list[Job], folder: Path, signatures: dict[str, bytes], futures=None):
        self.jobs = jobs
        self.folder = folder
        self.signatures = signatures
        self.futures: dict[int, Future] | None = futures
        self.stored: dict[int, storage.StoredPdf] = {}
        self.kept: set[int] = set()
        self._done = False

    def results(self) -> dict[int, storage.StoredPdf]:
        """Every receipt's stored PDF by receipt id; the first render error is raised."""
        if self._done:
            return self.stored
        self._done = True
        if self.futures is None:  # in this thread, now
            for receipt_id, content_json in self.jobs:
                self.stored[receipt_id] = render_and_store(
                    content_json, self.folder, self.signatures
                )
            return self.stored
        wait(self.futures.values())
        error = None
        lost = []  # jobs of a worker process that died: rendered here instead
        for receipt_id, future in self.futures.items():
            if isinstance(future.exception(), BrokenProcessPool):
                lost.append(receipt_id)
            elif future.exception() is not None:
                error = error or future.exception()
            else:
                self.stored[receipt_id] = future.result()
        if error is not None:
            raise error
        if lost:
            log.warning("Prozesspool ausgefallen: %s PDFs werden im Prozess erzeugt", len(lost))
            jobs = dict(self.jobs)
            for receipt_id in lost:
                self.stored[receipt_id] = render_and_store(
                    jobs[receipt_id], self.folder, self.signatures
                )
        return self.stored

    def keep(self, receipt_id: int) -> None:
        """The receipt's file is now recorded in the database: never discard it."""
        self.kept.add(receipt_id)

    def discard(self, *, keep_nothing: bool = False) -> None:
        """Remove the stored files not kept (all of them with `keep_nothing`)."""
        if not self._done:
            self._done = True
            if self.futures is not None:  # stop what has not started, wait for the rest
                for future in self.futures.values():
                    future.cancel()
                wait(self.futures.values())
                for receipt_id, future in self.futures.items():
                    if not future.cancelled() and future.exception() is None:
                        self.stored[receipt_id] = future.result()
        for receipt_id, stored in self.stored.items():
            if keep_nothing or receipt_id not in self.kept:
                storage.discard(stored.storage_key, self.folder)
        if keep_nothing:
            self.kept.clear()


class RenderPool:
    """Renders chunks of receipts in worker processes (or in this thread with size 1)."""

    def __init__(self, folder: Path, signatures: dict[str, bytes], processes: int):
        self.folder = Path(folder)
        self.signatures = signatures
        self.processes = processes
        self.executor: ProcessPoolExecutor | None = None
        if processes > 1:
            try:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["supportclub.receipts.render_pool"])
                self.executor = ProcessPoolExecutor(
                    max_workers=processes,
                    mp_context=context,
                    initializer=_init_worker,
                    initargs=(str(self.folder), signatures),
                )
            except (OSError, ValueError, NotImplementedError) as exc:
                log.warning("Kein Prozesspool (%s): PDFs werden im Prozess erzeugt", exc)

    @property
    def parallel(self) -> bool:
        """True while worker processes render."""
        return self.executor is not None

    def start(self, jobs: list[Job]) -> RenderHandle:
        """Start rendering `jobs`; the handle's `results()` waits for them."""
        if self.executor is not None and getattr(self.executor, "_broken", False):
            log.warning("Prozesspool ausgefallen: PDFs werden im Prozess erzeugt")
            self.close()
        if self.executor is not None:
            try:
                futures = {job[0]: self.executor.submit(_work, job) for job in jobs}
            except (OSError, BrokenProcessPool) as exc:
                log.warning("Prozesspool ausgefallen (%s): PDFs werden im Prozess erzeugt", exc)
                self.close()
            else:
                return RenderHandle(jobs, self.folder, self.signatures, futures)
        return RenderHandle(jobs, self.folder, self.signatures)

    def close(self) -> None:
        """Stop the worker processes."""
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


def _merge_process(inbox, outbox, folder: str, tmp: str, thanks) -> None:
    """The print file's process: merge the receipts it is sent (None ends the list) into `tmp`."""
    from supportclub.receipts.delivery import print_parts
    from supportclub.receipts.stamps import merge_pdfs

    def items():
        while (item := inbox.get()) is not None:
            yield item

    try:
        with open(tmp, "wb") as out:
            pages = merge_pdfs(print_parts(items(), folder, thanks), out)
            out.flush()
            os.fsync(out.fileno())
        outbox.put(("ok", pages))
    except BaseException as exc:  # noqa: BLE001 - reported to the batch, which falls back
        outbox.put(("error", f"{type(exc).__name__}: {exc}"))


class PrintMerger:
    """Builds a batch's print file in a process of its own while the batch goes on.

    The batch sends each finished chunk's receipts to print (in number order); at the end
    `finish()` stores the file. Merging (and the thank-you letters) then costs the batch no time
    of its own, which matters because numbering the receipts is the part that cannot run in
    parallel.
    """

    TIMEOUT = 600  # seconds the batch waits for the last pages

    def __init__(self, folder: Path, thanks):
        import tempfile

        self.folder = Path(folder)
        self.ids: list[int] = []
        context = multiprocessing.get_context("forkserver")
        self.inbox = context.Queue()
        self.outbox = context.Queue()
        fd, self.tmp = tempfile.mkstemp(dir=self.folder, prefix=".print-")
        os.close(fd)
        self.process = context.Process(
            target=_merge_process,
            args=(self.inbox, self.outbox, str(self.folder), self.tmp, thanks),
            name="receipt-print-merger",
            daemon=True,
        )
        self.process.start()
        self.open = True

    def add(self, items: list[tuple[int, tuple[str, str, str]]]) -> None:
        """Append receipts (id, print item) to the print file."""
        for receipt_id, item in items:
            self.ids.append(receipt_id)
            self.inbox.put(item)

    def finish(self) -> str:
        """Wait for the file and store it; its storage key (raises when merging failed)."""
        from queue import Empty

        from supportclub.receipts.delivery import store_merged

        self.inbox.put(None)
        try:
            status, info = self.outbox.get(timeout=self.TIMEOUT)
        except Empty:
            status, info = "error", "Zeitüberschreitung"
        self._stop(cancel=status != "ok")
        if status != "ok":
            Path(self.tmp).unlink(missing_ok=True)
            raise RuntimeError(f"Druckdatei nicht erstellt: {info}")
        return store_merged(self.folder, None, tmp=self.tmp)

    def abort(self) -> None:
        """Stop without a file."""
        if self.open:
            self.process.terminate()
            self._stop(cancel=True)
            Path(self.tmp).unlink(missing_ok=True)

    def _stop(self, *, cancel: bool = False) -> None:
        """End the process and its queues (`cancel`: drop what was not read)."""
        self.open = False
        self.process.join(timeout=10)
        for channel in (self.inbox, self.outbox):
            if cancel:
                channel.cancel_join_thread()
            channel.close()
            channel.join_thread()
