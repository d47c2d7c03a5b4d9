"""The self-contained HTML case report, written to protect the examiner.

Every thumbnail is veiled by default: the page shows an 8-pixel greyscale rendering,
blurred and greyscaled again by CSS (print too). One thumbnail at a time is shown
clearly, only after a real click on its "Reveal" button (scripted clicks are ignored);
revealing another veils the first. Only stack representatives have thumbnails, at most
160 pixels: the other members of a stack are listed by path, and no full-size image is
ever embedded. The page is one file with inline CSS, script and data URIs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape

from mediamatch.scan.caseview import CLASSIFICATION_ORDER, CaseView, FileView
from mediamatch.scan.exports import iso
from mediamatch.scan.report_assets import SCRIPT, STYLE
from mediamatch.scan.thumbnails import Thumbnail

NOTICE = (
    "Thumbnails are veiled (blurred and greyscale). Click <b>Reveal</b> to see one; revealing "
    "another veils it again. Only one representative per stack has a thumbnail; no full-size "
    "image is included in this report."
)


def _figure(stack: int | None, thumbnails: dict[int, Thumbnail]) -> str:
    thumbnail = thumbnails.get(stack) if stack is not None else None
    if thumbnail is None:
        return '<figure class="thumb"><div class="none">no preview</div></figure>'
    return (
        f'<figure class="thumb"><img data-stack="{stack}" data-veiled="{thumbnail.veiled}" '
        f'src="{thumbnail.veiled}" alt="stack {stack}, veiled"><button class="reveal" type="button">'
        "Reveal</button></figure>"
    )


def _table(rows: list[tuple[str, object]]) -> str:
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _header(view: CaseView) -> str:
    settings = view.settings
    rows: list[tuple[str, object]] = [
        ("Evidence", ", ".join(settings.get("roots") or [])),
        ("Hashing mode", settings.get("mode")),
        ("Banks", ", ".join(settings.get("banks") or []) or "all enabled banks"),
        ("Ignore lists", ", ".join(settings.get("ignore_lists") or []) or "none"),
        ("Near-duplicate threshold", f"PDQ distance <= {settings.get('stack_threshold')} bits"),
        ("mediamatch version", settings.get("tool_version")),
    ]
    if settings.get("video_note"):
        rows.append(("Videos", settings["video_note"]))
    return "<h1>Case report</h1>" + _table(rows) + f'<p class="notice">{NOTICE}</p>'


def _summary(view: CaseView) -> str:
    return "<h2>Summary</h2>" + _table([(k.replace("_", " "), v) for k, v in view.summary().items()])


def _match_card(stack: int, files: list[FileView], thumbnails: dict[int, Thumbnail], label: str) -> str:
    lines = "".join(
        f'<li><span class="path">{escape(f.path)}</span><br>'
        + "; ".join(
            f"{escape(m.bank)} entry {m.entry_id} ({escape(m.external_id or '-')}), "
            f"{escape(m.algorithm)} distance {m.distance}"
            for m in f.counted_matches
        )
        + "</li>"
        for f in files
    )
    return f'<div class="card {label}">{_figure(stack, thumbnails)}<b>stack {stack}</b><ul>{lines}</ul></div>'


def _matches(view: CaseView, thumbnails: dict[int, Thumbnail]) -> str:
    out = ["<h2>Matches against banks</h2>"]
    for label in (*CLASSIFICATION_ORDER, "unclassified"):
        files = [f for f in view.files if f.classification == label]
        by_stack: dict[int, list[FileView]] = {}
        for item in files:
            by_stack.setdefault(item.stack or 0, []).append(item)
        cards = "".join(_match_card(s, fs, thumbnails, label) for s, fs in sorted(by_stack.items()))
        out.append(f'<h3 id="class-{label}">{label}: {len(files)} files</h3><div class="cards">{cards}</div>')
    return "".join(out)


def _stack_card(number: int, members: list[FileView], thumbnails: dict[int, Thumbnail]) -> str:
    first = members[0]
    kind = "near duplicates" if first.near else ("exact duplicates" if len(members) > 1 else "single file")
    paths = "".join(f'<li class="path">{escape(m.path)}</li>' for m in members[1:])
    more = f"<details><summary>{len(members) - 1} more</summary><ul>{paths}</ul></details>" if paths else ""
    return (
        f'<div class="card" id="stack-{number}">{_figure(number, thumbnails)}<b>stack {number}</b>: '
        f'{len(members)} files, {kind}<br><span class="path">{escape(first.path)}</span>'
        f"<br>{first.width or '?'}x{first.height or '?'}, modified {iso(first.modified)}{more}</div>"
    )


def _stacks(view: CaseView, thumbnails: dict[int, Thumbnail]) -> str:
    stacks = view.stacks()
    cards = "".join(_stack_card(n, members, thumbnails) for n, members in stacks.items())
    return f'<h2>Stacks to review ({len(stacks)})</h2><div class="cards">{cards}</div>'


def _problems(view: CaseView) -> str:
    rows = "".join(
        f"<tr><td>{escape(f.path)}</td><td>{escape(f.error_kind or '')}</td>"
        f"<td>{escape(f.error_message or '')}</td></tr>"
        for f in view.files
        if f.status == "error"
    )
    passed = "".join(f"<tr><td>{escape(p)}</td><td>{escape(r)}</td></tr>" for p, r in view.passed_over)
    noted = "".join(
        f"<tr><td>{escape(f.path)}</td><td>{escape(f.note)}</td></tr>" for f in view.files if f.note
    )
    return (
        f"<h2>Errors</h2><table><tr><th>path</th><th>error</th><th>message</th></tr>{rows}</table>"
        f"<h2>Notes</h2><table><tr><th>path</th><th>note</th></tr>{noted}</table>"
        f"<h2>Passed over</h2><table><tr><th>path</th><th>reason</th></tr>{passed}</table>"
    )


def render_report(view: CaseView, thumbnails: dict[int, Thumbnail]) -> str:
    """The report page for ``view``; ``thumbnails`` by stack number (missing ones show no preview)."""
    clear = json.dumps({str(n): t.clear for n, t in thumbnails.items()}).replace("</", "<\\/")
    sections: list[Callable[[], str]] = [
        lambda: _header(view),
        lambda: _summary(view),
        lambda: _matches(view, thumbnails),
        lambda: _stacks(view, thumbnails),
        lambda: _problems(view),
    ]
    body = "".join(section() for section in sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
        f"<title>mediamatch case report</title><style>{STYLE}</style></head><body>"
        '<button id="veil-all" type="button">Veil all</button>'
        f"{body}"
        f'<script type="application/json" id="clear-thumbnails">{clear}</script>'
        f"<script>{SCRIPT}</script></body></html>"
    )
