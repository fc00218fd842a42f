"""Backup and restore: a consistent, versioned archive of the database and the stored files."""
