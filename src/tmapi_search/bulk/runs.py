"""Runs and the search parameters of a results database.

Each run is a row of `runs` (start, end, outcome, paid calls, pid and host of the
process that held the lock). A database holds the results of one search
configuration: `check_params` records it on first use and refuses another.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from tmapi_search.bulk.errors import ParamsMismatchError
from tmapi_search.bulk.schema import PARAMS_KEY, Database

__all__ = ["ParamsMismatchError", "RunsMixin"]


class RunsMixin(Database):
    """The runs of a database, and the search parameters it was started with."""

    # -- the search parameters of this database ---------------------------------
    def check_params(self, params: Mapping[str, Any]) -> None:
        """Record `params` on first use; raise ParamsMismatchError if they differ later."""
        wanted = json.dumps(dict(params), sort_keys=True)
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (PARAMS_KEY,)).fetchone()
        if row is None:
            with self.transaction():
                self._db.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (PARAMS_KEY, wanted))
            return
        if row["value"] != wanted:
            before = json.loads(row["value"])
            diffs = [
                f"{name}={before.get(name)!r} (now {value!r})"
                for name, value in sorted(dict(params).items())
                if before.get(name) != value
            ]
            raise ParamsMismatchError(
                f"--db: {self.path} holds results searched with "
                + ", ".join(diffs or ["other parameters"])
                + "; use the same options to resume it, or a new --db"
            )

    def params(self) -> dict[str, Any] | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (PARAMS_KEY,)).fetchone()
        return None if row is None else dict(json.loads(row["value"]))

    # -- runs ----------------------------------------------------------------------
    def start_run(
        self,
        input_path: str,
        options: Mapping[str, Any],
        *,
        pid: int | None = None,
        host: str | None = None,
    ) -> int:
        with self.transaction():
            cursor = self._db.execute(
                "INSERT INTO runs(started_at, input_path, options, pid, host) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    time.time(),
                    input_path,
                    json.dumps(dict(options), sort_keys=True),
                    pid,
                    host,
                ),
            )
        run_id = cursor.lastrowid
        assert run_id is not None
        return run_id

    def mark_interrupted(self) -> int:
        """Runs still `running` whose process is gone become `interrupted`.

        Call it holding the database's lock (no other run can be live then).
        """
        with self.transaction():
            cursor = self._db.execute(
                "UPDATE runs SET outcome = 'interrupted', finished_at = coalesce("
                "(SELECT max(updated_at) FROM images WHERE images.run_id = runs.id), started_at),"
                " done = (SELECT count(*) FROM images WHERE run_id = runs.id AND status = 'done'),"
                " failed = (SELECT count(*) FROM images WHERE run_id = runs.id"
                " AND status = 'failed'),"
                " message = coalesce(message, 'its process ended without finishing the run')"
                " WHERE outcome = 'running'"
            )
        return cursor.rowcount

    def finish_run(
        self,
        run_id: int,
        outcome: str,
        *,
        calls: int | None = None,
        shared: int | None = None,
        message: str | None = None,
    ) -> None:
        with self.transaction():
            self._db.execute(
                """UPDATE runs SET finished_at = ?, outcome = ?,
                     done = (SELECT count(*) FROM images WHERE run_id = ? AND status = 'done'),
                     failed = (SELECT count(*) FROM images WHERE run_id = ? AND status = 'failed'),
                     items = (SELECT count(*) FROM items JOIN images ON images.id = items.image_id
                              WHERE images.run_id = ? AND images.status = 'done'),
                     calls = coalesce(?, calls), shared = coalesce(?, shared),
                     message = coalesce(?, message)
                   WHERE id = ?""",
                (time.time(), outcome, run_id, run_id, run_id, calls, shared, message, run_id),
            )

    def runs(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self._db.execute("SELECT * FROM runs ORDER BY id")]

    def failed_in_run(self, run_id: int) -> list[str]:
        """The error classes of the rows this run marked failed (one entry per row)."""
        return [
            str(row[0] or "?")
            for row in self._db.execute(
                "SELECT error_class FROM images WHERE run_id = ? AND status = 'failed' "
                "AND NOT rejected",
                (run_id,),
            )
        ]
