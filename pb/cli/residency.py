"""Register and letter-code commands: import addresses, make letter codes, purge the register."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from pathlib import Path

import click
from flask.cli import with_appcontext

from pb.clock import local_today
from pb.db import db_session
from pb.errors import DomainError
from pb.cli.jobs import run_with_progress
from pb.jobs import address_register as register_jobs
from pb.services import areas, jobs, letter_codes, register_import


@click.command("import-addresses")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_addresses(csv_file: Path) -> None:
    """Import the address register CSV (all rows or nothing; safe to run again; streamed)."""
    session = db_session()

    def progress(rows: int) -> None:
        if rows % 100_000 == 0:
            click.echo(f"  {rows} rows checked", err=True)

    try:
        with csv_file.open("rb") as source:
            result = register_import.import_addresses(session, source, actor=None, progress=progress)
    except register_import.ImportFailed as exc:
        session.rollback()
        for err in exc.errors:
            click.echo(f"regel {err.line}: {err.message}", err=True)
        if exc.total > len(exc.errors):
            click.echo(f"... and {exc.total - len(exc.errors)} more errors", err=True)
        raise click.ClickException(exc.message) from exc
    session.commit()
    click.echo(f"Imported: {result.created} new, {result.updated} changed, {result.unchanged} unchanged.")


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date:
    if value is None:
        return local_today() + dt.timedelta(days=60)
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use YYYY-MM-DD") from exc


@click.command("letter-codes")
@click.argument("area_slug")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Mailing-house CSV to write (code, QR link and full postal address per code).")
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Printable A4 letters to write.")
@click.option("--valid-until", callback=_parse_date, default=None,
              help="Last day the codes work (YYYY-MM-DD; default 60 days from today).")
@click.option("--yes", is_flag=True, help="Do not ask before replacing existing unused codes.")
@with_appcontext
def letter_codes_command(area_slug: str, csv_out: Path, html_out: Path | None, valid_until: dt.date,
                         yes: bool) -> None:
    """Make new letter codes for an area; unused older codes stop working."""
    session = db_session()
    try:
        area = areas.get_by_slug(session, area_slug)
    except DomainError as exc:
        raise click.ClickException(f"Unknown area '{area_slug}'.") from exc
    existing = letter_codes.existing_code_count(session, area)
    if existing and not yes:
        click.confirm(f"{area.name} has {existing} unused codes; they will stop working. Continue?", abort=True)

    def progress(done: int, total: int) -> None:
        if done % 10_000 < letter_codes.PAGE_SIZE or done == total:
            click.echo(f"  {done}/{total} addresses", err=True)

    try:
        with ExitStack() as files:
            csv_file = files.enter_context(csv_out.open("w", encoding="utf-8", newline=""))
            sinks: list[letter_codes.LetterSink] = [letter_codes.MailingCsv(csv_file)]
            letters = None
            if html_out:
                letters = letter_codes.LettersHtml(files.enter_context(html_out.open("w", encoding="utf-8")),
                                                   area, valid_until)
                sinks.append(letters)

            def write(letter: letter_codes.Letter) -> None:
                for sink in sinks:
                    sink(letter)

            batch = letter_codes.generate_codes(session, area, actor=None, valid_until=valid_until,
                                                progress=progress, sink=write)
            if letters is not None:
                letters.close()
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from exc
    except OSError as exc:
        session.rollback()
        raise click.ClickException(f"Cannot write the export: {exc}") from exc
    session.commit()
    click.echo(f"{batch.code_count} codes for {batch.address_count} addresses in {area.name}, "
               f"valid until {valid_until.isoformat()}; {batch.revoked} old unused codes revoked.")


@click.command("purge-register")
@click.argument("area_slug")
@with_appcontext
def purge_register(area_slug: str) -> None:
    """Remove an area's addresses and codes once its rounds are published (residencies stay)."""
    session = db_session()
    try:
        area = areas.get_by_slug(session, area_slug)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    job = run_with_progress(register_jobs.PURGE, {"area_id": area.id}, subject=f"area:{area.id}",
                            label="Wissen")
    result = jobs.result_of(job)
    click.echo(f"Removed {result['addresses']} addresses and {result['codes']} codes of {area.name}.")


COMMANDS = (import_addresses, letter_codes_command, purge_register)
