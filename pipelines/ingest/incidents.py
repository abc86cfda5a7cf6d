"""Ticket exports: the incident rows, their first response and the rules for them."""

from __future__ import annotations

import polars as pl

from pipelines import parse, store
from pipelines.formats import Source
from pipelines.ingest.fields import PARSERS, Reader
from pipelines.reading import ROW


def backwards_note(count: int) -> str:
    """The note for tickets resolved before they were opened (loaded, left out of TTR)."""
    return (f"{count:,} tickets were resolved before they were opened: loaded, but left out"
            " of time to resolve")


class TicketReader(Reader):
    """Reads a ticket export's rows into store.INCIDENT_COLUMNS."""

    def incidents(self, workspace: str) -> tuple[pl.DataFrame, pl.Series]:
        """The canonical incident rows (with ROW and __updated) and each row's reason."""
        profile = self.det.profile
        src = self._sources
        self.prefetch(src("opened_at") + src("resolved_at") + src("responded_at")
                      + self.updated_sources, src("billed_amount"),
                      src("users_affected") + src("downtime_minutes") + src("labour_hours")
                      + src("response_minutes"))
        ticket_id = self.required_text("ticket_id", "every ticket needs its number")
        priority_raw = self.text("priority")
        priority = PARSERS.submit(parse.normalise_priorities, priority_raw,
                                   profile.values.get("priority"))
        opened = self.timestamps("opened_at", required=True)
        resolved = self.timestamps("resolved_at")
        responded = self.responded_at(opened)
        updated = self.timestamps("__updated", self.updated_sources)
        users = self.numbers("users_affected", minimum=0)
        self._flag(users.is_not_null() & (users != users.floor()),
                   "'users affected' is not a whole number")
        self._flag(users >= 2**31, "'users affected' is '{}', too large", users.cast(pl.Utf8))
        rows = pl.DataFrame({
            ROW: self.frame[ROW],
            "ticket_id": ticket_id,
            "client": self.text("client").fill_null(workspace),
            "site": self.text("site"),
            "asset": self.text("asset"),
            "category": self.text("category"),
            "priority_raw": priority_raw,
            "title": self.text("title"),
            "status": self.text("status"),
            "opened_at": opened,
            "resolved_at": resolved,
            "downtime_minutes": self.numbers("downtime_minutes", minimum=0),
            "users_affected": users.cast(pl.Int32, strict=False),
            "labour_hours": self.numbers("labour_hours", minimum=0),
            "billed_amount": self.numbers("billed_amount", money=True),
            "responded_at": responded,
            "__updated": updated,
            "priority": priority.result(),
        })
        self._require(rows, ("ticket_id", "client", "opened_at"))
        reasons = self.reasons()
        ok = reasons.is_null()
        # Counted here, noted by the caller (once per file, whatever its batches).
        self.warnings = rows.filter(ok & (pl.col("resolved_at") < pl.col("opened_at"))).height
        rows = rows.with_columns(self.wall(column).alias(naive)
                                 for column, naive in store.NAIVE_TIMESTAMPS)
        cols = store.INCIDENT_COLUMNS + store.NAIVE_COLUMNS
        return rows.select(ROW, *cols, "__updated"), reasons

    def _dated_sources(self, fld: str) -> list[Source]:
        """The field's sources that hold at least one date. An optional column matched by
        name but holding no date at all ('Acknowledged' = Yes/No) is not that field: it is
        left unread, with a note, rather than refusing every row."""
        kept = []
        for src in self._sources(fld):
            txt = self._text(src.header)
            parsed, _ = self._parsed("date", src.header).result()
            if txt.drop_nulls().len() and not parsed.drop_nulls().len():
                example = txt.drop_nulls()[0]
                self.notes.append(f"'{src.header}' holds no dates (e.g. '{example}'): not read"
                                  f" as {fld}")
                continue
            kept.append(src)
        return kept

    def responded_at(self, opened: pl.Series) -> pl.Series:
        """The first response: its timestamp, else opened_at + the calendar minutes to it.

        A negative duration is kept (the ticket then stays out of response times, like a
        ticket resolved before it was opened); an unreadable one refuses the row.
        """
        stamp = self.timestamps("responded_at", self._dated_sources("responded_at"))
        if not self._sources("response_minutes"):
            return stamp
        minutes = self.numbers("response_minutes")
        micros = (pl.lit(minutes) * 60e6).round(0).cast(pl.Int64, strict=False)
        after = pl.lit(opened) + pl.duration(microseconds=micros)
        derived = pl.select(after).to_series()
        late = stamp.is_null() & (derived > self.latest)
        self._flag(late, f"{self._label('response_minutes')} is '{{}}': a response more than a"
                   " day after this load", minutes.cast(pl.Utf8))
        derived = derived.set(late.fill_null(False), None)  # type: ignore[arg-type]
        if self.keep_walls and "opened_at" in self.walls:
            # The wall time of a derived response: the opening's wall time plus the minutes.
            wall_after = pl.select(pl.lit(self.walls["opened_at"])
                                   + pl.duration(microseconds=micros)).to_series()
            self.walls["responded_at"] = pl.select(pl.when(stamp.is_null()).then(wall_after)
                                                   .otherwise(self.wall("responded_at"))
                                                   ).to_series()
        return pl.select(pl.coalesce(pl.lit(stamp), pl.lit(derived))).to_series().alias(
            "responded_at")

