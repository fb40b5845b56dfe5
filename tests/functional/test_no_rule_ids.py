"""Issue 18: no rule id (``equalshares/add1``, ``greedy``, ...) in any page's visible text, for
every demo role, in Dutch and English. Code recipes in <pre>/<code> are exempt (a recount command
must name the rule), and so are the download formats (not pages)."""

from __future__ import annotations

import html as html_lib
import re

from sqlalchemy import select

from pb.models.round import BudgetRound

DEMO_LOGINS = ["admin@buurtbudget.test", "regisseur@buurtbudget.test", "infopunt@buurtbudget.test",
               "bewoner@buurtbudget.test", None]
RULE_ID = re.compile(r"(?<![\w/-])(?:equalshares(?:/add1)?|add1\+greedy|greedy(?:-no-skip|-threshold)?"
                     r"|phragmen|max-welfare)(?![\w-])")
HIDDEN = re.compile(r"<(pre|code|script|style|textarea)\b.*?</\1>", re.S | re.I)
DOWNLOAD = re.compile(r"\.(pb|json|csv|zip|svg|png|jpg|webp|txt)$")


def visible_text(page: str) -> str:
    """The text a reader sees: without tags, <pre>/<code> blocks, scripts and styles."""
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", HIDDEN.sub(" ", page)))


def _urls(app, round_ids: list[int]) -> list[str]:
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static" or DOWNLOAD.search(rule.rule):
            continue
        if rule.rule.startswith("/api/"):
            continue
        if not rule.arguments:
            urls.add(rule.rule)
        elif rule.arguments == {"round_id"}:
            urls.update(re.sub(r"<(?:int:)?round_id>", str(rid), rule.rule) for rid in round_ids)
    return sorted(urls)


def test_no_rule_id_on_any_page_for_any_role_in_either_language(app, client, runner, session):
    assert runner.invoke(args=["pb", "demo"]).exit_code == 0
    round_ids = list(session.scalars(select(BudgetRound.id)))
    urls = _urls(app, round_ids)
    assert any(u.endswith("/results") for u in urls) and len(urls) > 40
    found = []
    for login in DEMO_LOGINS:
        if login:
            client.post("/login", data={"login": login, "password": "buurtbudget-demo"})
        for lang in ("nl", "en"):
            with client.session_transaction() as sess:
                sess["lang"] = lang
            for url in urls:
                resp = client.get(url)
                if resp.status_code != 200 or not resp.mimetype == "text/html":
                    continue
                for match in RULE_ID.finditer(visible_text(resp.get_data(as_text=True))):
                    found.append((login, lang, url, match.group(0)))
        client.post("/logout")
    assert not found, sorted({(u, m) for _l, _g, u, m in found})


def test_the_check_sees_rule_ids_outside_code_only():
    assert RULE_ID.search(visible_text("<p>Regel: equalshares/add1</p>"))
    assert RULE_ID.search(visible_text("<td>greedy</td>"))
    assert not RULE_ID.search(visible_text("<pre><code>pb recount --rule equalshares/add1</code></pre>"))
    assert not RULE_ID.search(visible_text("<p>Phragmén</p>"))
