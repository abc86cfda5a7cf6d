"""Invoice and ledger exports: the invoice lines, their amounts, kinds and content keys."""

from __future__ import annotations

from typing import Any

import polars as pl

from pipelines import parse, store
from pipelines.ingest.fields import Reader
from pipelines.ingest.keys import content_keys, currency_from_header, unreadable
from pipelines.line_kinds import classify_kinds
from pipelines.reading import ROW


class LedgerReader(Reader):
    """Reads an invoice export's lines into store.INVOICE_COLUMNS."""

    def invoices(self, keywords: dict[str, list[str]]) -> tuple[pl.DataFrame, pl.Series]:
        """The canonical invoice lines (with ROW) and each row's reason."""
        profile = self.det.profile
        invoice_id = self.text("invoice_id")
        date = self.timestamps("invoice_date", required=True)
        # Quantity and unit price are parsed once: each bad value gives one reason.
        quantity = self.numbers("quantity")
        unit_price = self.numbers("unit_price", money=True)
        if self._sources("amount"):
            amount = self.numbers("amount", money=True)
            self._flag(self._blank("amount"),
                       f"{self._label('amount')} is empty: every invoice line needs an amount")
            amount_text = self._raw_text("amount")
        else:  # no amount column: quantity x unit price, rounded to cents by the store
            amount, amount_text = self._amount_from_parts(quantity, unit_price)
        description = self.text("description")
        client = self.text("client")
        missing_id = invoice_id.is_null() & self.skip_reason.is_null()
        if missing_id.any():
            # Spend ledgers often have no invoice number: key such lines by their content,
            # as written in the file (the same text gives the same key in any later file,
            # whatever else is in it and whatever the workspace's time zone).
            keys = content_keys(self._raw_text("invoice_date"), self._raw_text("client"),
                                 self._raw_text("description"), amount_text)
            invoice_id = pl.select(pl.coalesce(invoice_id, keys)).to_series().alias("invoice_id")
            self.notes.append(f"{int(missing_id.sum()):,} lines have no invoice number: each is"
                              " keyed by its date, client, description and amount")
        for col in self._present(profile.subtract.get("amount", ())):  # Stripe's refunds
            less = parse.parse_money(self._text(col), self.decimal_comma)
            self._flag(unreadable(self._text(col), less), f"'{col}' is '{{}}', not an amount",
                       self._text(col))
            amount = (amount - less.fill_null(0)).alias("amount")
        tax = self.numbers("tax", money=True)
        negate = self._negate_mask(profile.negate_when)
        if negate is not None:
            amount = pl.select(pl.when(negate).then(-amount.abs()).otherwise(amount)).to_series()
            tax = pl.select(pl.when(negate).then(-tax.abs()).otherwise(tax)).to_series()
        line_no = self.numbers("line_no")
        rows = pl.DataFrame({
            ROW: self.frame[ROW],
            "invoice_id": invoice_id,
            "line_no": line_no.cast(pl.Int32, strict=False),
            "invoice_date": date.dt.convert_time_zone(self.tz).dt.date(),
            "client": client,
            "description": description,
            "quantity": quantity,
            "unit_price": unit_price,
            "amount": amount,
            "tax": tax,
            "currency": self.text("currency").str.to_uppercase(),
            "ticket_id": self.text("ticket_id"),
            "kind": classify_kinds(self._kind_text(), description, keywords),
        })
        if not self._sources("line_no"):
            rows = rows.with_columns(
                line_no=(pl.int_range(pl.len()).over("invoice_id") + 1).cast(pl.Int32))
        if not self._sources("currency"):
            code = currency_from_header(self._sources("amount"))
            if code:
                rows = rows.with_columns(currency=pl.lit(code))
        self._require(rows, ("invoice_id", "line_no", "invoice_date", "amount", "kind"))
        reasons = self.reasons()
        return rows.select(ROW, *store.INVOICE_COLUMNS), reasons

    def _amount_from_parts(self, quantity: pl.Series, unit_price: pl.Series
                           ) -> tuple[pl.Series, pl.Series]:
        """Quantity x unit price (no amount column), checked; and its text for content keys."""
        amount = (quantity.cast(parse.STAGED_MONEY, strict=False)
                  * unit_price.cast(parse.STAGED_MONEY, strict=False)
                  ).cast(parse.STAGED_MONEY, strict=False)
        empty = self._blank("quantity") | self._blank("unit_price")
        self._flag(empty, f"{self._label('quantity')} or {self._label('unit_price')} is"
                   " empty: the line's amount is unknown")
        big = amount.abs() > parse.MONEY_LIMIT[2]
        self._flag(big, f"{self._label('quantity')} x {self._label('unit_price')} is"
                   " '{}', too large an amount (over"
                   f" {parse.MONEY_LIMIT[2]:,})", amount.cast(pl.Utf8))
        amount = amount.set(big.fill_null(False), None)  # type: ignore[arg-type]
        amount_text = pl.select(pl.concat_str(
            [self._raw_text("quantity"), self._raw_text("unit_price")], separator="x")
        ).to_series()
        return amount, amount_text

    def _kind_text(self) -> pl.Series:
        """The type column's text, through the profile's `[values.kind]` map where it has one.

        A map turns a tool's own type names (ConnectWise `Standard`) into a kind's name.
        """
        text = self.text("kind")
        value_map = self.det.profile.values.get("kind")
        if not value_map:
            return text
        lowered = {k.lower(): v for k, v in value_map.items()}
        mapped = text.str.to_lowercase().replace_strict(lowered, default=None,
                                                        return_dtype=pl.Utf8)
        return pl.select(pl.coalesce(mapped, text)).to_series().alias("kind")

    def _negate_mask(self, rule: dict[str, Any]) -> pl.Series | None:
        if not rule:
            return None
        cols = self._present(tuple(rule.get("column", ())))
        if not cols:
            return None
        values = [v.lower() for v in rule.get("values", [])]
        text = self._text(cols[0]).str.to_lowercase()
        mask = text.is_in(values).fill_null(False)
        if rule.get("pattern"):  # e.g. "credit": Xero's ACCRECCREDIT, "Sales credit note"
            mask = mask | text.str.contains(rule["pattern"].lower()).fill_null(False)
        return mask

