"""Fixtures of the backup tests: migrated templates, and a populated source per backend with its
backup (made once per test session and shared)."""

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.backup.helpers import Site, Templates, facts, populate, site, table_hashes


@dataclass
class Source:
    """A populated database, what it held when it was backed up, and the archive."""

    site: Site
    archive: Path
    hashes: dict
    facts: dict


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    """templates(backend) -> a migrated database to copy (see helpers.Templates)."""
    made = Templates(tmp_path_factory.mktemp("templates"))
    yield made
    made.drop()


@pytest.fixture(scope="session")
def sources(tmp_path_factory, templates):
    """sources(backend) -> Source: built on first use, dropped at the end of the session."""
    made: dict[str, Source] = {}
    with contextlib.ExitStack() as stack:

        def get(backend: str) -> Source:
            if backend not in made:
                folder = tmp_path_factory.mktemp(f"source-{backend}")
                source = stack.enter_context(
                    site(backend, folder, "source", template=templates(backend))
                )
                populate(source.app)
                hashes = table_hashes(source.app)
                before = facts(source.app, source.upload_dir)
                archive = folder / "sicherung.zip"
                result = source.run("backup", str(archive))
                assert result.exit_code == 0, result.output
                made[backend] = Source(source, archive, hashes, before)
            return made[backend]

        yield get
