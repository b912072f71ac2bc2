"""The entry add form as a browser posts it: the entry, then its block and byline inlines."""

from __future__ import annotations


def entry_form(stream, blocks=(), bylines=(), action="draft", **fields) -> dict:
    data = {
        "stream": stream.pk,
        "title": "Amnesty 'Unmasks' Russian Claims",
        "_action": action,
        "correction_note": "",
        "blocks-TOTAL_FORMS": len(blocks),
        "blocks-INITIAL_FORMS": 0,
        "blocks-MIN_NUM_FORMS": 1,
        "blocks-MAX_NUM_FORMS": 1000,
        "bylines-TOTAL_FORMS": len(bylines),
        "bylines-INITIAL_FORMS": 0,
        "bylines-MIN_NUM_FORMS": 0,
        "bylines-MAX_NUM_FORMS": 1000,
    }
    for i, block in enumerate(blocks):
        for key, value in {"position": i, "kind": "text", **block}.items():
            data[f"blocks-{i}-{key}"] = value
    for i, byline in enumerate(bylines):
        for key, value in {"position": i, **byline}.items():
            data[f"bylines-{i}-{key}"] = value
    data.update(fields)
    return data
