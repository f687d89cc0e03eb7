"""Open receivable items: the unit the collection ladder follows.

Every posted, unreconciled journal item with something still owed on a receivable account is
chased on its own: each instalment of an invoice, a debit note, an opening balance, a manual
entry. An item has its level, the day it reached it, its next step and that step's working day.
The invoice shows what its items say (``account.move._collection_derive_from_items``).
"""

from datetime import date, timedelta
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL, Query, split_every

from ..bulk import array
from ..grant import CLOSE_CALL, grant

# The ladder's bookkeeping on an item, {field of the item: column of its position in
# ``account.collection.item``}: written by the engine only (one statement per batch).
ITEM_COLUMNS = {
    "collection_ladder_id": "ladder_id",
    "collection_level_id": "level_id",
    "collection_level_date": "level_date",
    "collection_level_sequence": "level_sequence",
    "collection_next_level_id": "next_level_id",
    "collection_next_date": "next_date",
}
LADDER_FIELDS = ("collection_item_id", *ITEM_COLUMNS)
# What no user sets, on items and invoices: the ladder's fields and the invoice's pointers.
ENGINE_FIELDS = (*LADDER_FIELDS, "collection_top_item_id", "collection_step_item_id")


class ItemFacts(NamedTuple):
    """What the ladder reads of an item to plan, carry out and schedule its step: its customer,
    dates, position, document and amounts, read for a whole batch in one query
    (``_collection_facts``; the run's batch, with its row locks: ``_collection_lock_facts``).
    Tens of thousands of items a busy day: reading them as records cost a field access per
    value."""

    id: int
    partner_id: int  # the commercial partner
    date: date
    invoice_date: date | None
    date_maturity: date | None
    is_charge: bool
    placed: bool  # it has a position
    ladder_id: int | None
    level_id: int | None
    level_sequence: int
    level_date: date | None
    next_level_id: int | None
    next_date: date | None
    # What the run's notes, e-mails and history state of the item.
    move_id: int
    move_name: str | None
    currency_id: int
    amount_residual: float
    amount_residual_currency: float

    def reference(self, kind):
        """The date a level counts from for this item: its maturity (``due_date``), else the
        document's date (``invoice_date``: the invoice date, or the entry's date)."""
        if kind == "invoice_date":
            return self.invoice_date or self.date
        return self.date_maturity or self.date

    def step_date(self, kind, offset, workdays):
        """The working day `offset` working days from this item's `kind` date (see ``reference``);
        None beyond the known days."""
        reference = self.reference(kind)
        return workdays.shift(reference, offset) if reference else None

    def due_order(self):
        """The order a run takes items in: customer by customer, earliest due first."""
        return (self.partner_id, self.date_maturity or self.date, self.id)

    @staticmethod
    def in_due_order(items):
        """{item id: ``ItemFacts``} of `items`, in the order a run takes them (``due_order``)."""
        return {item.id: item for item in sorted(items, key=ItemFacts.due_order)}

    def applies(self, level):
        """Whether `level` is a step for this item: a fee invoice of late-payment charges was
        delivered nothing, so the steps counted from an invoice's date (the delivery and
        agreement call) are not its steps; the due-date steps are."""
        return level.reference != "invoice_date" or not self.is_charge


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # Set once, when the item first meets the ladder; its position changes in the narrow table.
    collection_item_id = fields.Many2one(
        "account.collection.item",
        string="Ladder Position",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    collection_ladder_id = fields.Many2one(related="collection_item_id.ladder_id", string="Collection Ladder")
    collection_level_id = fields.Many2one(related="collection_item_id.level_id", string="Collection Level")
    collection_level_date = fields.Date(related="collection_item_id.level_date")
    collection_level_sequence = fields.Integer(
        related="collection_item_id.level_sequence",
        help="Position of the current level in its ladder (1 = first).",
    )
    collection_next_level_id = fields.Many2one(related="collection_item_id.next_level_id")
    collection_next_date = fields.Date(related="collection_item_id.next_date")

    @api.model_create_multi
    def create(self, vals_list):
        self._collection_check_ladder_vals(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._collection_check_ladder_vals([vals])
        return super().write(vals)

    def unlink(self):
        # A deleted item has no next step. Its position keeps its level for the entry, which
        # shows it while a draft: Odoo deletes and makes again the items of an invoice whose
        # date or terms change, and the new items take that level when it is posted again.
        self.sudo().filtered("collection_item_id.next_date")._collection_write_state(
            {"collection_next_date": None, "collection_next_level_id": None}
        )
        self.env["account.collection.history"].sudo()._collection_keep_moves(self)
        return super().unlink()

    @api.model
    def _collection_check_ladder_vals(self, vals_list):
        """The ladder's fields of items and invoices are the ladder's: the engine writes them
        (as superuser, in SQL); no user sets them, whatever the role."""
        if not self.env.su and any(not vals.keys().isdisjoint(ENGINE_FIELDS) for vals in vals_list):
            raise UserError(self.env._("The collection ladder's steps are set by the ladder, not by hand."))

    # ------------------------------------------------------------------
    # What an open item is (the Python twin of res.partner._collection_open_items_sql)
    # ------------------------------------------------------------------
    def _collection_is_open(self):
        self.ensure_one()
        return (
            self.parent_state == "posted"
            and self.account_type == "asset_receivable"
            and bool(self.partner_id)
            and not self.reconciled
            and self.company_currency_id.compare_amounts(self.amount_residual, 0.0) > 0
        )

    @api.model
    def _collection_open_domain(self, company):
        """Open receivable items of `company` that something is still owed on."""
        return Domain(
            [
                ("company_id", "=", company.id),
                ("parent_state", "=", "posted"),
                ("account_id.account_type", "=", "asset_receivable"),
                ("partner_id", "!=", False),
                ("reconciled", "=", False),
                ("amount_residual", ">", 0),
            ]
        )

    def _collection_open_among(self, company):
        """Those of these items of `company` that are open, in one query (the same rule as
        ``_collection_is_open``, which reads each item's fields in Python)."""
        if not self:
            return self
        found = self.sudo().search(
            self._collection_open_domain(company) & Domain("id", "in", self.ids), order="id"
        )
        return self.browse(found.ids)

    def _collection_facts(self):
        """{item id: ``ItemFacts``} of these items, in one query."""
        if not self:
            return {}
        # The ids as one array: a batch names thousands (see ``bulk.array``).
        query = Query(self.env, self._table, self._table_sql)
        query.add_where(SQL("%s = ANY(%s)", SQL.identifier(self._table, "id"), array(self.ids, "int4")))
        return self._collection_query_facts(query)

    @api.model
    def _collection_query_facts(self, query):
        """{item id: ``ItemFacts``} of the items `query` (a ``Query`` of items) selects, in one
        statement."""
        rows = self.env.execute_query(query.select(*self._collection_facts_columns(query)))
        return {row[0]: ItemFacts(*row) for row in rows}

    @api.model
    def _collection_lock_facts(self, query):
        """Lock the items `query` (a ``Query`` of items, without limit: it gets the facts' joins
        and loses its order) selects, but those another transaction holds, and read their
        facts, in one statement; returns ({item id: ``ItemFacts``} of all it selects, in the
        run's order, ``ItemFacts.due_order``; the ids of those locked).

        A busy day's batch is tens of thousands of items: finding them, locking them and
        reading them were three passes over the wide journal item table. The row locks let
        other transactions reference the items (a reconciliation inserts its partials), not
        change them: under REPEATABLE READ, an item changed since this transaction began (a
        payment reconciled) raises a serialization error instead of being processed twice.
        """
        assert not query.limit, "every item the query selects is read and locked"
        query.order = None
        rows = self.env.execute_query(
            SQL(
                """
                WITH due AS MATERIALIZED (%s),
                  locked AS MATERIALIZED (
                        SELECT aml.id FROM account_move_line aml JOIN due ON due.id = aml.id
                           FOR NO KEY UPDATE OF aml SKIP LOCKED)
                SELECT due.*, due.id IN (SELECT id FROM locked) FROM due
                """,
                query.select(*self._collection_facts_columns(query)),
            )
        )
        # Sorted here, not in the statement: the sort of so many wide rows spilled to disk.
        facts = ItemFacts.in_due_order(ItemFacts(*values) for *values, _locked in rows)
        return facts, {row[0] for row in rows if row[-1]}

    @api.model
    def _collection_facts_columns(self, query):
        """The ``ItemFacts`` of the items `query` selects, as its SELECT list (adding the joins)."""
        self.env["account.move.line"].flush_model(
            [
                "partner_id",
                "date",
                "invoice_date",
                "date_maturity",
                "move_id",
                "move_name",
                "currency_id",
                "amount_residual",
                "amount_residual_currency",
                "collection_item_id",
            ]
        )
        self.env["account.move"].flush_model(["collection_is_charge"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["account.collection.item"].flush_model(list(ITEM_COLUMNS.values()))
        table = query.table
        # The ORM's own joins, shared with the domain's where it made them.
        partner = self._fields["partner_id"].join(self, table, query)[1]
        move = self._fields["move_id"].join(self, table, query)[1]

        def column(name):
            return SQL.identifier(table, name)

        def position(name):
            # Through the item's position, joined once (the due domain may have joined it).
            return self._field_to_sql(table, name, query)

        columns = {
            "id": column("id"),
            "partner_id": SQL(
                "COALESCE(%s, %s)", SQL.identifier(partner, "commercial_partner_id"), column("partner_id")
            ),
            "date": column("date"),
            "invoice_date": column("invoice_date"),
            "date_maturity": column("date_maturity"),
            "is_charge": SQL("COALESCE(%s, FALSE)", SQL.identifier(move, "collection_is_charge")),
            "placed": SQL("%s IS NOT NULL", column("collection_item_id")),
            "ladder_id": position("collection_ladder_id"),
            "level_id": position("collection_level_id"),
            "level_sequence": SQL("COALESCE(%s, 0)", position("collection_level_sequence")),
            "level_date": position("collection_level_date"),
            "next_level_id": position("collection_next_level_id"),
            "next_date": position("collection_next_date"),
            "move_id": column("move_id"),
            "move_name": column("move_name"),
            "currency_id": column("currency_id"),
            "amount_residual": column("amount_residual"),
            "amount_residual_currency": column("amount_residual_currency"),
        }
        # Named as the facts' fields, in their order.
        return [SQL("%s AS %s", columns[name], SQL.identifier(name)) for name in ItemFacts._fields]

    # ------------------------------------------------------------------
    # Schedule: each item's next level and its working day
    # ------------------------------------------------------------------
    @api.model
    def _collection_ladder_for_partners(self, company, partner_ids):
        """{commercial partner id: ladder id}: the customer's ladder, else the company default."""
        partners = self.env["res.partner"].sudo().with_company(company).browse(partner_ids)
        default = company.sudo().collection_ladder_id or self.env["account.collection.ladder"].sudo().search(
            [("company_id", "=", company.id)], limit=1
        )
        return {partner.id: (partner.collection_ladder_id or default).id for partner in partners}

    def _collection_schedule(self, workdays=None):
        """Set the next level and its working-day date of open items; clear it on the others."""
        for company, lines in self.grouped("company_id").items():
            lines._collection_schedule_company(company, workdays)

    def _collection_schedule_company(self, company, workdays=None, reached=None, today=None, facts_of=None):
        """Schedule these items of `company`. `reached` is {item id: (level id, position)}: the
        items a run moved to a level `today`, written with the schedule in one UPDATE.
        `facts_of`: the items' ``ItemFacts``, when the caller read them in this transaction and
        knows the items are all open (the run's batch: the items due today)."""
        reached = reached or {}
        if facts_of is None:
            open_items = self._collection_open_among(company)
            closed = self - open_items
            if closed:
                closed_facts = closed._collection_facts()
                if reached:
                    closed._collection_write_states(
                        self._collection_level_values(closed_facts, reached, today)
                    )
                closed.browse(
                    [item_id for item_id, facts in closed_facts.items() if facts.next_date]
                )._collection_leave_ladder()
            if not open_items:
                return
            facts_of = open_items._collection_facts()
        if not facts_of:
            return
        partner_ids = list({item.partner_id for item in facts_of.values()})
        ladders = self._collection_ladder_for_partners(company, partner_ids)
        if workdays is None:
            workdays = self.browse(list(facts_of))._collection_workdays(company)
        steps = {}
        Ladder = self.env["account.collection.ladder"].sudo()
        Level = self.env["account.collection.ladder.level"].sudo()
        updates = self._collection_level_values(facts_of, reached, today)
        for item_id, item in facts_of.items():
            ladder_id = item.ladder_id or ladders.get(item.partner_id)
            if not ladder_id:
                updates.pop(item_id)
                continue
            # Where a level leads is the same for every item on it: worked out once per ladder,
            # level and kind of item (a fee invoice's skips the steps counted from a delivery),
            # not per item (tens of thousands on a busy day).
            key = (ladder_id, updates[item_id]["collection_level_id"], item.is_charge)
            if key not in steps:
                current = Level.browse(key[1])
                remaining = Ladder.browse(ladder_id)._collection_levels_ahead(current)[1]
                following = remaining.filtered(item.applies)[:1]
                steps[key] = (
                    following,
                    following and following._collection_gap_after(current),
                    following and (following.reference, following.offset_days),
                )
            following, gap, timing = steps[key]
            next_date = item.step_date(*timing, workdays) if following else False
            level_date = updates[item_id]["collection_level_date"]
            if next_date and level_date:
                # The ladder's spacing holds from the day the current level was reached: a
                # late item walks the remaining steps each on its own working day, and at
                # most one step per item and working day, so a second run finds nothing.
                next_date = max(next_date, workdays.shift(level_date, gap))
            updates[item_id].update(
                {
                    "collection_ladder_id": ladder_id,
                    "collection_next_level_id": following.id or None,
                    "collection_next_date": next_date or None,
                }
            )
        placed = {item_id for item_id, item in facts_of.items() if item.placed}
        self._collection_write_states(updates, placed=placed)

    @api.model
    def _collection_level_values(self, facts_of, reached, today):
        """{item id: its level fields}: the level `reached` today, else the current one
        (`facts_of` is {item id: ``ItemFacts``})."""
        values = {}
        for item_id, item in facts_of.items():
            if item_id in reached:
                level_id, position = reached[item_id]
                values[item_id] = {
                    "collection_level_id": level_id,
                    "collection_level_sequence": position,
                    "collection_level_date": today,
                }
            else:
                values[item_id] = {
                    "collection_level_id": item.level_id,
                    "collection_level_sequence": item.level_sequence,
                    "collection_level_date": item.level_date,
                }
        return values

    def _collection_write_state(self, vals):
        """Write the same ladder bookkeeping values on all these items (one UPDATE)."""
        self._collection_write_states(dict.fromkeys(self.ids, vals))

    @api.model
    def _collection_write_states(self, values_by_id, placed=None):
        """Write the ladder's bookkeeping fields, {item id: {field: value}}, into the items'
        positions in one UPDATE (and one INSERT for items meeting the ladder), then derive their
        documents' fields from them. `placed`, when the caller knows it: the ids of those items
        that have a position.

        Every dict has the same keys; the values travel as one array per column (unnest),
        joined on the id: composing a VALUES row per item cost more Python than the statement
        on a busy day.
        """
        if not values_by_id:
            return
        names = list(next(iter(values_by_id.values())))
        ids = list(values_by_id)
        lines = self.browse(ids)
        if placed is None:
            lines.fetch(["collection_item_id"])
            placed = {line.id for line in lines if line.collection_item_id}
        # An item gets a position once it has a ladder: values for an item without one and
        # without a ladder (clearing the next step of an item never placed) have nothing to change.
        new = [
            item_id
            for item_id in ids
            if item_id not in placed and values_by_id[item_id].get("collection_ladder_id")
        ]
        placed = [item_id for item_id in ids if item_id in placed]
        Item = self.env["account.collection.item"]
        columns = [ITEM_COLUMNS[name] for name in names]
        Item.flush_model(columns)
        types = {name: self._fields[name].column_type[0] for name in names}

        def source(line_ids):
            arrays = [
                array(line_ids, "int4"),
                *(
                    # False (an empty many2one or date) is NULL in the array; 0 stays 0.
                    array([values_by_id[line_id][name] for line_id in line_ids], types[name])
                    for name in names
                ),
            ]
            return SQL(
                "unnest(%s) AS new(%s)",
                SQL(", ").join(arrays),
                SQL(", ").join(SQL.identifier(column) for column in ["id", *columns]),
            )

        move_ids = set()
        if placed:
            rows = self.env.execute_query(
                SQL(
                    "UPDATE account_collection_item item SET %s FROM %s WHERE item.id = new.id "
                    "RETURNING item.move_id",
                    SQL(", ").join(
                        SQL("%s = new.%s", SQL.identifier(column), SQL.identifier(column))
                        for column in columns
                    ),
                    source(placed),
                )
            )
            move_ids.update(row[0] for row in rows)
        if new:
            rows = self.env.execute_query(
                SQL(
                    """
                    INSERT INTO account_collection_item (id, move_id, %s)
                    SELECT new.id, aml.move_id, %s
                      FROM %s
                      JOIN account_move_line aml ON aml.id = new.id
                -- Another transaction (a dispute resolved while the run adopts the item) may
                -- have placed it since: its values give way to these, as an UPDATE would.
                ON CONFLICT (id) DO UPDATE SET %s
                 RETURNING move_id
                    """,
                    SQL(", ").join(SQL.identifier(column) for column in columns),
                    SQL(", ").join(SQL("new.%s", SQL.identifier(column)) for column in columns),
                    source(new),
                    SQL(", ").join(
                        SQL("%s = EXCLUDED.%s", SQL.identifier(column), SQL.identifier(column))
                        for column in columns
                    ),
                )
            )
            move_ids.update(row[0] for row in rows)
            self._collection_link_positions(new)
        Item.browse(ids).invalidate_recordset(columns)
        lines.invalidate_recordset(names)
        self.env["account.move"]._collection_derive_from_items(move_ids)

    @api.model
    def _collection_link_positions(self, ids):
        """Link the items `ids` to the positions just made for them. A position's id is its
        item's: the link is written once, when the position is made."""
        self.flush_model(["collection_item_id"])
        self.env.execute_query(
            SQL("UPDATE account_move_line SET collection_item_id = id WHERE id = ANY(%s)", array(ids, "int4"))
        )
        self.browse(ids).invalidate_recordset(["collection_item_id"])

    def _collection_workdays(self, company, today=None):
        """Working days covering every date these items' ladders can reach."""
        today = today or fields.Date.context_today(self)
        dates = [today]
        if self:
            self.flush_recordset(["invoice_date", "date", "date_maturity"])
            # The earliest and latest of their dates, in one query (LEAST and GREATEST skip NULLs).
            [span] = self.env.execute_query(
                SQL(
                    """
                    SELECT LEAST(MIN(date), MIN(invoice_date), MIN(date_maturity)),
                           GREATEST(MAX(date), MAX(invoice_date), MAX(date_maturity))
                      FROM account_move_line WHERE id = ANY(%s)
                    """,
                    array(self.ids, "int4"),
                )
            )
            dates += [day for day in span if day]
        offsets = self.env["account.collection.ladder.level"].sudo().search(
            [("company_id", "=", company.id)]
        ).mapped("offset_days") or [0]
        # Three calendar days per working day leave room for weekends and long holidays.
        start = min(*dates, today) + timedelta(days=3 * min(0, *offsets) - 30)
        stop = max(*dates, today) + timedelta(days=3 * max(0, *offsets) + 30)
        return company._collection_workdays(start, stop)

    def _collection_bring_forward(self, day):
        """Escalations: the next step of these open items due by `day` falls due on `day` at
        the latest (an instalment not yet due keeps its own steps)."""
        self.filtered(
            lambda line: line.collection_next_level_id
            and line._collection_is_open()
            and (line.date_maturity or line.date) <= day
            and (not line.collection_next_date or line.collection_next_date > day)
        ).sudo()._collection_write_state({"collection_next_date": day})

    def _collection_leave_ladder(self):
        """Paid or cancelled items leave the ladder; close the collection tasks about them once
        none of their items is still owed."""
        self._collection_write_state({"collection_next_date": None, "collection_next_level_id": None})
        histories = (
            self.env["account.collection.history"]
            .sudo()
            .search(
                [
                    "|",
                    ("line_ids", "in", self.ids),
                    ("move_ids", "in", self.move_id.ids),
                    ("activity_id", "!=", False),
                ]
            )
        )
        # One call covers all the steps of a customer's day (an invoice's claim, a fee invoice's
        # due-date call): it is closed once none of the items of any of its steps is owed.
        calls = histories.activity_id.filtered("active")
        done = self.env["mail.activity"]
        if calls:
            steps = histories.search([("activity_id", "in", calls.ids)]).grouped("activity_id")
            for call, call_steps in steps.items():
                if not any(
                    line._collection_is_open() for step in call_steps for line in step._collection_items()
                ):
                    done |= call
        if done:
            with grant(self.env, CLOSE_CALL, done.ids):
                done.action_feedback(feedback=self.env._("Closed automatically: the invoices are paid."))

    @api.model
    def _collection_adopt_open_items(self, company):
        """Open items that never met the engine (installed later, imported) get a schedule."""
        lines = self.search(
            self._collection_open_domain(company) & Domain("collection_ladder_id", "=", False)
        )
        for batch in split_every(5000, lines.ids, self.browse):
            batch._collection_schedule_company(company)

    @api.model
    def _collection_release_closed_items(self, company):
        """Items paid, reconciled or cancelled since the last run leave the ladder."""
        lines = self.search(
            [
                ("company_id", "=", company.id),
                ("collection_next_date", "!=", False),
                "|",
                "|",
                ("parent_state", "!=", "posted"),
                ("reconciled", "=", True),
                ("amount_residual", "<=", 0),
            ]
        )
        if lines:
            lines._collection_leave_ladder()
