"""Keyed hashes of normalised addresses: what an address has used survives purging the register.

``pb purge-register`` removes every address, but the residents verified on an address stay
counted against it in the next register cycle: each residency keeps
``HMAC-SHA256(key, "postcode|huisnummer|huisletter+toevoeging")`` and a newly imported register entry starts
with as many places taken as there are residencies with its key. The key is the setting
``ADDRESS_HMAC_KEY``, or is derived from ``SECRET_KEY`` with a fixed label and the municipality's
name; without it the hash says nothing (addresses are few, so an unkeyed hash would be reversible
by trying them all).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pb.models.register import RegisterEntry
from pb.models.residency import Residency

_KEY_LABEL = b"pb.address-key.v1\x00"


def _key() -> bytes:
    configured = current_app.config.get("ADDRESS_HMAC_KEY")
    if configured:
        return str(configured).encode()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    municipality = str(current_app.config.get("MUNICIPALITY_NAME", "")).encode()
    return hmac.new(secret, _KEY_LABEL + municipality, hashlib.sha256).digest()


def address_key(postcode: str, huisnummer: int, suffix: str) -> str:
    """The keyed hash of a normalised address (postcode ``1234AB``; ``suffix`` is the huisletter and
    huisnummertoevoeging together, upper case, without separators, as :attr:`RegisterEntry.suffix`)."""
    text = f"{postcode}|{huisnummer}|{suffix}".encode()
    return hmac.new(_key(), text, hashlib.sha256).hexdigest()


def key_of_entry(entry: RegisterEntry) -> str:
    """The keyed hash of a register entry's address."""
    return address_key(entry.postcode, entry.huisnummer, entry.suffix)


def remember_keys_before_purge(session: Session, area_id: int) -> int:
    """Give every residency verified on one of the area's addresses its address key (residencies
    from before address keys existed); return how many were filled in."""
    rows = session.execute(
        select(Residency.id, RegisterEntry.postcode, RegisterEntry.huisnummer,
               RegisterEntry.huisletter + RegisterEntry.huisnummertoevoeging)
        .join(RegisterEntry, RegisterEntry.id == Residency.register_entry_id)
        .where(RegisterEntry.area_id == area_id, Residency.address_key.is_(None))
    ).all()
    if rows:  # one executemany by primary key, not a statement per residency
        session.execute(update(Residency), [
            {"id": residency_id, "address_key": address_key(postcode, huisnummer, suffix)}
            for residency_id, postcode, huisnummer, suffix in rows])
    return len(rows)


def restore_used_places(session: Session, first_new_id: int) -> int:
    """Count residents verified on an address in an earlier register cycle against the entries
    created by an import (ids from ``first_new_id``); return how many entries got places taken.

    Keys are compared in Python, a page of new entries at a time, against the (few) keys that
    verified residencies hold; an import into an empty history costs one query.
    """
    used = dict(session.execute(
        select(Residency.address_key, func.count(Residency.id))
        .where(Residency.address_key.is_not(None), Residency.register_entry_id.is_(None))
        .group_by(Residency.address_key)
    ).all())
    if not used:
        return 0
    restored, last_id = 0, first_new_id - 1
    while True:
        page = session.execute(
            select(RegisterEntry.id, RegisterEntry.postcode, RegisterEntry.huisnummer,
                   RegisterEntry.huisletter + RegisterEntry.huisnummertoevoeging, RegisterEntry.eligible_count)
            .where(RegisterEntry.id > last_id).order_by(RegisterEntry.id).limit(5000)
        ).all()
        if not page:
            return restored
        for entry_id, postcode, huisnummer, suffix, eligible in page:
            taken = used.get(address_key(postcode, huisnummer, suffix))
            if taken:
                session.execute(update(RegisterEntry).where(RegisterEntry.id == entry_id)
                                .values(verified_count=min(int(taken), eligible))
                                .execution_options(synchronize_session=False))
                restored += 1
        last_id = page[-1][0]
