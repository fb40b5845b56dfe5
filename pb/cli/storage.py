"""Storage commands: move proposal photos from an app host's disk into the database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from pb.db import db_session
from pb.models.proposal import Proposal
from pb.services import stored_files
from pb.services.photos import PHOTO_KIND

_TYPES = {".jpg": "image/jpeg", ".png": "image/png"}


@click.command("migrate-uploads")
@with_appcontext
def migrate_uploads() -> None:
    """Copy proposal photos from UPLOAD_DIR/proposals into the database (safe to repeat).

    Older versions kept photos on the app host's disk; now every host serves them from the
    database. Photos no proposal refers to are left alone. Remove the folder afterwards.
    """
    session = db_session()
    folder = Path(current_app.config["UPLOAD_DIR"]) / "proposals"
    names = set(session.scalars(select(Proposal.photo_filename).where(Proposal.photo_filename.is_not(None))))
    moved = present = 0
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.name not in names or not stored_files.NAME_RE.match(path.name) or path.suffix not in _TYPES:
            continue
        if stored_files.find(session, path.name, kind=PHOTO_KIND) is not None:
            present += 1
            continue
        stored_files.put(session, path.read_bytes(), kind=PHOTO_KIND, content_type=_TYPES[path.suffix],
                         name=path.name)
        moved += 1
    session.commit()
    missing = len(names) - moved - present
    click.echo(f"Moved {moved} photos into the database ({present} were there already, "
               f"{missing} referred to but not found). You may now remove {folder}.")


COMMANDS = (migrate_uploads,)
