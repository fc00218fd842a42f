"""Hostile input on every form, upload and query string; the database dying mid-request."""
