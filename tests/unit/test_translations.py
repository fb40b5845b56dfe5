"""Every Dutch source string has an English translation, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHOD_MAP = [("pb/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sd]")


def _source_msgids() -> set[str]:
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_english_catalogue_is_complete_and_consistent():
    with open(ROOT / "pb/translations/en/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {}
    for msg in catalog:
        if msg.id:
            key = msg.id[0] if isinstance(msg.id, tuple) else msg.id
            translated[key] = (msg.string, msg.fuzzy)
    missing = sorted(m for m in _source_msgids() if not translated.get(m, ("", False))[0])
    assert not missing, f"{len(missing)} strings lack English (run `make i18n`): {missing[:5]}"
    for msgid, (string, fuzzy) in translated.items():
        if not string:
            continue
        assert not fuzzy, f"fuzzy translation for {msgid!r}"
        text = string[0] if isinstance(string, tuple) else string
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(text)), msgid
