"""A stored receipt is served, not re-rendered: a download takes at most 50 ms server time
(median of 20, measured with time.perf_counter around the test client call)."""

import statistics
import time

from tests.receipts.ui_helpers import issue, make_person, make_receipt_settings

LIMIT_SECONDS = 0.050


def test_stored_download_is_fast(app, clients):
    make_receipt_settings()
    receipt = issue(make_person(), 5000)
    client = clients["board"]
    url = f"/zuwendungsbestaetigungen/{receipt.id}.pdf"
    assert client.get(url).status_code == 200  # warm up (templates, fonts are not involved)
    timings = []
    for _ in range(20):
        start = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert statistics.median(timings) <= LIMIT_SECONDS, timings
