"""What the live answers of `make contract-live` did that openapi.yaml does not say.

Each answer the live run receives goes through `tmapi_search.drift.find_drift` (every
answer: a live run is small); `write_drift_summary` writes `drift.json` and `drift.txt`
next to the JUnit report, with the token masked wherever it could appear (an example
value, a path).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tmapi_search import spec
from tmapi_search.auth import redact
from tmapi_search.drift import find_drift

OPERATIONS = {
    spec.SEARCH_PATH: "search_by_image",
    spec.SEARCH_V2_PATH: "search_by_image_v2",
    spec.CONVERT_PATH: "convert_image_url",
}


@dataclass
class LiveDrift:
    answers: int = 0
    found: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    def record(self, url: str, status: int, body: bytes) -> None:
        """One live answer (any status; only success bodies are checked)."""
        operation = OPERATIONS.get(urlsplit(url).path.rstrip("/"))
        if operation is None or status != 200:
            return
        try:
            payload = json.loads(body)
        except ValueError:
            return  # schemathesis reports what cannot be read
        if not isinstance(payload, dict) or payload.get("code") != 200:
            return
        self.answers += 1
        for event in find_drift(payload, operation):
            key = (event.operation, event.path, event.kind)
            entry = self.found.setdefault(
                key,
                {
                    "operation": event.operation,
                    "path": event.path,
                    "kind": event.kind,
                    "expected": event.expected,
                    "example": event.example,
                    "count": 0,
                    "answers": 0,
                },
            )
            entry["count"] += event.count
            entry["answers"] += 1


def write_drift_summary(drift: LiveDrift, folder: Path, token: str | None) -> list[Path]:
    """`drift.json` and `drift.txt` in `folder` (the token masked); their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = sorted(drift.found.values(), key=lambda e: (-e["count"], e["path"]))
    document = {"answers_checked": drift.answers, "drift": entries}
    lines = [f"contract drift of the live answers: {drift.answers} success answer(s) checked"]
    if not entries:
        lines.append("no drift: every answer matched openapi.yaml")
    for e in entries:
        lines.append(
            f"{e['operation']}: {e['path']}: {e['kind']} ({e['count']}x in {e['answers']} "
            f"answer(s)), expected {e['expected']}, got {e['example']}"
        )
    json_path, text_path = folder / "drift.json", folder / "drift.txt"
    json_path.write_text(
        redact(json.dumps(document, ensure_ascii=False, indent=2), token) + "\n", encoding="utf-8"
    )
    text_path.write_text(redact("\n".join(lines), token) + "\n", encoding="utf-8")
    return [json_path, text_path]
