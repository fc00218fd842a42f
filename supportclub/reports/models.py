"""Reports store nothing of their own: every figure is summed from the ledger."""
