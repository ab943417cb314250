"""What `bulk` shows while it runs: the engine's events as lines and a live rich bar.

The bar: rows read so far, then done / failed / retrying / in flight, the rate and an
ETA. The total grows while the catalogue is read. Without a terminal (a pipe,
`--no-progress`) no bar is drawn; the lines are printed either way.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from tmapi_search.bulk import events
from tmapi_search.bulk.reading import BATCH_ROWS

__all__ = ["ProgressDisplay"]


class ProgressDisplay:
    """Draws the bar from `Reading` / `Searching` events and prints the other events."""

    def __init__(self, console: Console, *, enabled: bool) -> None:
        self.console = console
        self.enabled = enabled
        self._progress = Progress(
            TextColumn("[bold]bulk"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TextColumn(
                "[green]{task.fields[done]} done[/] [red]{task.fields[failed]} failed[/] "
                "[yellow]{task.fields[retrying]} retrying[/] "
                "{task.fields[in_flight]}/{task.fields[limit]} in flight"
            ),
            TextColumn("{task.fields[rate]:.1f} img/s"),
            TextColumn("ETA {task.fields[eta]}"),
            TextColumn("{task.fields[read]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None
        self._read = ""
        self._reading = False
        #: rows to search known so far (from the reading, or counted in the database)
        self.todo = 0

    def start(self) -> None:
        if not self.enabled or self._task is not None:
            return
        self._progress.start()
        self._task = self._progress.add_task(
            "bulk",
            total=None,
            count="0",
            done=0,
            failed=0,
            retrying=0,
            in_flight=0,
            limit=0,
            rate=0.0,
            eta="-",
            read=self._read,
        )

    def stop(self) -> None:
        if self._task is not None:
            self._task = None
            self._progress.stop()

    def __call__(self, event: events.ProgressEvent) -> None:
        """`on_progress`: one event."""
        if isinstance(event, events.Reading):
            self.start()
            self._reading = not event.done
            self.todo = event.todo
            self._read = str(event)
            if self._task is not None:
                self._progress.update(self._task, read=self._read)
        elif isinstance(event, events.Searching):
            self.start()
            self._searching(event)
        elif isinstance(event, events.CatalogueOpened):
            if event.detected:
                self.console.print(str(event), markup=False)
            if event.columns is not None:
                self.console.print(event.columns, markup=False)
        elif isinstance(event, events.CatalogueRead):
            if not self.enabled and (event.rows >= BATCH_ROWS or event.elapsed >= 1.0):
                self.console.print(str(event), markup=False)
        elif isinstance(event, events.RowsSkipped):
            for line in event.lines():
                self.console.print(escape(line), style="yellow")
        elif isinstance(event, events.CatalogueUnchanged | events.AlreadyFinished):
            self.console.print(str(event), markup=False)
        elif isinstance(event, events.CatalogueChanged):
            self.console.print(str(event), style="yellow", markup=False)
        else:
            self.console.print(escape(str(event)), style="yellow")

    def _searching(self, stats: events.Searching) -> None:
        if self._task is None:
            return
        finished = stats.done + stats.failed
        total = max(stats.total, self.todo)
        left = max(total - finished, 0)
        eta = f"{left / stats.rate:.0f}s" if stats.rate > 0 and not self._reading else "-"
        self._progress.update(
            self._task,
            total=max(total, 1),
            completed=finished,
            count=f"{finished}/{total}" + ("+" if self._reading else ""),
            done=stats.done,
            failed=stats.failed,
            retrying=stats.retrying,
            in_flight=stats.in_flight,
            limit=stats.limit,
            rate=stats.rate,
            eta=eta,
            read=self._read,
        )
