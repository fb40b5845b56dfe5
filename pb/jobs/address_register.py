"""Address register jobs: purge an area's address register after its results are published."""

from __future__ import annotations

from typing import Any

from pb.db import by_id
from pb.errors import NotFound
from pb.models.area import Area
from pb.services import address_register, jobs

PURGE = "address_register.purge"


@jobs.job(PURGE)
def purge(ctx: jobs.JobContext) -> dict[str, Any]:
    """Remove the area's addresses and letter codes (residencies stay)."""
    area = by_id(ctx.session, Area, int(ctx.payload["area_id"]))
    if area is None:
        raise NotFound("area")
    ctx.progress(0, 1)
    result = address_register.purge_register(ctx.session, area, actor=ctx.owner)
    return {"area_id": area.id, "addresses": result.addresses, "codes": result.codes}
