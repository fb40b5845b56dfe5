"""Cost lines as people type them: the one parser and check for a proposal's and a grant application's estimate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask_babel import gettext as _

from pb.errors import ValidationFailed
from pb.services.money import MAX_AMOUNT_CENTS, parse_euros

MAX_COST_LINES = 20


def check_cost_lines(cost_lines: Sequence[tuple[str, int]], *, required: bool) -> None:
    """Check ``(description, cents)`` lines: at most :data:`MAX_COST_LINES`, each described, each amount
    above 0 and at most 10 million euros.

    Args:
        cost_lines: the lines in the author's order.
        required: whether at least one line is needed (a grant application) or none is fine (a draft plan).

    Raises:
        ValidationFailed: on the field ``cost_lines``, naming what to fix.
    """
    if required and not cost_lines:
        raise ValidationFailed(_("Vul minstens één kostenregel in."), field="cost_lines")
    if len(cost_lines) > MAX_COST_LINES:
        raise ValidationFailed(_("Gebruik maximaal %(n)d kostenregels.", n=MAX_COST_LINES), field="cost_lines")
    for description, cents in cost_lines:
        if not description.strip():
            raise ValidationFailed(_("Elke kostenregel heeft een omschrijving."), field="cost_lines")
        if cents <= 0 or cents > MAX_AMOUNT_CENTS:
            raise ValidationFailed(_("Elk bedrag is meer dan 0 euro."), field="cost_lines")


def parse_cost_lines(rows: Iterable[tuple[str | None, str | None]]) -> list[tuple[str, int]]:
    """``(description, amount as typed)`` rows of a form as ``(description, cents)`` lines; empty rows are skipped.

    Raises:
        ValidationFailed: on the field ``cost_lines``: a description without an amount, or an amount
            that is not one (see :func:`pb.services.money.parse_euros`).
    """
    lines = []
    for description_text, amount_text in rows:
        description = (description_text or "").strip()
        amount = (amount_text or "").strip()
        if not description and not amount:
            continue
        if not amount:
            raise ValidationFailed(_("Vul bij elke kostenregel een bedrag in."), field="cost_lines")
        try:
            lines.append((description, parse_euros(amount)))
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field="cost_lines") from exc
    return lines
