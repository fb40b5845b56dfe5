"""Register and letter-code commands: import addresses, make letter codes, purge the register."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask.cli import with_appcontext

from pb.clock import local_today
from pb.db import db_session
from pb.errors import DomainError
from pb.cli.jobs import run_with_progress
from pb.jobs import address_register as register_jobs
from pb.services import address_register, areas, jobs, letter_codes


@click.command("import-addresses")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_addresses(csv_file: Path) -> None:
    """Import the address register CSV (all rows or nothing; safe to run again)."""
    session = db_session()
    try:
        result = address_register.import_addresses(session, csv_file.read_bytes(), actor=None)
    except address_register.ImportFailed as exc:
        session.rollback()
        for err in exc.errors:
            click.echo(f"regel {err.line}: {err.message}", err=True)
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
              help="Mailing-house CSV to write (postcode,huisnummer,toevoeging,code,url).")
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
        click.echo(f"  {done}/{total} addresses", err=True)

    try:
        batch = letter_codes.generate_codes(session, area, actor=None, valid_until=valid_until, progress=progress)
        csv_text = letter_codes.mailing_csv(batch)
        html_text = letter_codes.letters_html(batch) if html_out else None
        csv_out.write_text(csv_text, encoding="utf-8")
        if html_out and html_text is not None:
            html_out.write_text(html_text, encoding="utf-8")
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from exc
    except OSError as exc:
        session.rollback()
        raise click.ClickException(f"Cannot write the export: {exc}") from exc
    session.commit()
    click.echo(f"{batch.code_count} codes for {len(batch.letters)} addresses in {area.name}, "
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
