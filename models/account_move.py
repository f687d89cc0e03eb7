from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL

from ..bulk import array
from ..const import MANAGER
from ..grant import POST_ON_HOLD, UNDO_CHARGE, grant, granted
from .account_move_line import ITEM_COLUMNS, LADDER_FIELDS


class AccountMove(models.Model):
    _inherit = "account.move"

    # Derived from the entry's receivable items (``_collection_derive_from_items``): the level
    # of the item furthest up the ladder and the step that falls due first. The entry points at
    # those two positions; the pointers change only when another item takes the lead.
    collection_top_item_id = fields.Many2one(
        "account.collection.item",
        string="Item Furthest Up",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    collection_step_item_id = fields.Many2one(
        "account.collection.item",
        string="Item Due Next",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    collection_ladder_id = fields.Many2one(
        related="collection_top_item_id.ladder_id", string="Collection Ladder"
    )
    collection_level_id = fields.Many2one(
        related="collection_top_item_id.level_id", string="Collection Level"
    )
    collection_level_date = fields.Date(related="collection_top_item_id.level_date")
    collection_level_sequence = fields.Integer(
        related="collection_top_item_id.level_sequence",
        help="Position of the current level in its ladder (1 = first), of the item furthest up.",
    )
    collection_next_level_id = fields.Many2one(related="collection_step_item_id.next_level_id")
    collection_next_date = fields.Date(related="collection_step_item_id.next_date")
    collection_item_ids = fields.One2many(
        "account.move.line",
        compute="_compute_collection_item_ids",
        string="Collection Items",
        help="The receivable items of the entry (one per instalment), each on its own step of the ladder.",
    )
    collection_is_charge = fields.Boolean(
        string="Late-Payment Charges",
        copy=False,
        readonly=True,
        help="A fee invoice (or its credit note) of late-payment charges: it bears no charges itself.",
    )
    collection_disputed = fields.Boolean(
        copy=False, tracking=True, help="Disputed invoices pause the ladder."
    )
    # The few disputed entries, found without reading all of them: each batch of the run asks
    # which of its customers' items are disputed.
    _collection_disputed_idx = models.Index("(id) WHERE collection_disputed")
    collection_history_ids = fields.Many2many(
        "account.collection.history",
        compute="_compute_collection_history_ids",
        search="_search_collection_history_ids",
    )
    collection_promise_ids = fields.Many2many(
        "account.collection.promise",
        "account_collection_promise_move_rel",
        "move_id",
        "promise_id",
        string="Promises to Pay",
        copy=False,
    )
    collection_promise_count = fields.Integer(compute="_compute_collection_promise_count")
    collection_hold_override_reason = fields.Char(
        string="Credit Hold Override",
        readonly=True,
        copy=False,
        tracking=True,
        help="Why a collections manager posted this invoice although the customer was on credit hold.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        self.env["account.move.line"]._collection_check_ladder_vals(vals_list)
        self.env["res.partner"]._collection_check_override_vals(vals_list)
        self._collection_check_charge_vals(vals_list)
        moves = super().create(vals_list)
        # Checked once created: a reversal may come from copy() or from a default of the context.
        moves.reversed_entry_id._collection_check_charge_undo()
        return moves

    def write(self, vals):
        self.env["account.move.line"]._collection_check_ladder_vals([vals])
        self.env["res.partner"]._collection_check_override_vals([vals])
        self._collection_check_charge_vals([vals])
        # Resetting to draft and cancelling (button_draft, button_cancel, a localisation's
        # cancellation) all write the state of the posted entry.
        if "state" in vals:
            self.filtered(
                lambda move: move.state == "posted" and vals["state"] != "posted"
            )._collection_check_charge_undo()
        if vals.get("reversed_entry_id"):
            self.browse(vals["reversed_entry_id"])._collection_check_charge_undo()
        return super().write(vals)

    def unlink(self):
        # Checked before Odoo's own deletion guards (which would say "reset it to draft", which a
        # fee invoice cannot be either), so that the user is told to waive the charges. Not an
        # ondelete hook: those run in no set order. Uninstalling this addon deletes no entry.
        self._collection_check_charge_undo()
        return super().unlink()

    # Refused before Odoo starts undoing anything (unreconciling, deleting analytic lines), not
    # only when the state or the reversal is written, which remain the backstop for every path.
    def button_draft(self):
        self._collection_check_charge_undo()
        return super().button_draft()

    def button_cancel(self):
        self._collection_check_charge_undo()
        return super().button_cancel()

    def _reverse_moves(self, default_values_list=None, cancel=False):
        self._collection_check_charge_undo()
        return super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)

    def _collection_check_charge_undo(self):
        """Refuse to reset to draft, cancel, delete or reverse these entries when they are fee
        invoices of late-payment charges (or their credit notes), whoever asks: their charges
        would stay "charged" with no reason logged. Reversals are caught where the credit note is
        made (``create``), which covers Odoo's reversal wizard and ``_reverse_moves``. Only a
        manager's waiver, which records why, credits a fee invoice: it is granted on the cursor."""
        fee_moves = self.filtered("collection_is_charge")
        if fee_moves and not granted(self.env, UNDO_CHARGE, fee_moves.ids):
            raise UserError(
                self.env._(
                    "%(moves)s: a fee invoice of late-payment charges (or its credit note) cannot be "
                    "reset to draft, cancelled, deleted or reversed. To cancel charges, a collections "
                    "manager waives them from Collections > Late-Payment Charges, with a reason.",
                    moves=", ".join(fee_moves.mapped("display_name")),
                )
            )

    @api.model
    def _collection_check_charge_vals(self, vals_list):
        """Only the late-payment charges (server code) mark a fee invoice: marked by hand, an
        invoice would bear no charges."""
        if not self.env.su and any("collection_is_charge" in vals for vals in vals_list):
            raise AccessError(
                self.env._("Fee invoices of late-payment charges are made by the collection run.")
            )

    @api.depends("line_ids.account_id", "line_ids.partner_id")
    def _compute_collection_item_ids(self):
        for move in self:
            move.collection_item_ids = move._collection_items()

    def _compute_collection_history_ids(self):
        # The invoice form computes it on the record it edits too (a new record, its origin).
        by_move = defaultdict(list)
        for history in self.env["account.collection.history"].search([("move_ids", "in", self._origin.ids)]):
            for move_id in history.move_ids.ids:
                by_move[move_id].append(history.id)
        for move in self:
            move.collection_history_ids = by_move.get(move._origin.id, [])

    def _search_collection_history_ids(self, operator, value):
        if operator != "in":
            return NotImplemented
        steps = self.env["account.collection.history"].browse([step_id for step_id in value if step_id])
        domain = Domain("id", "in", steps.exists().move_ids.ids)
        if False in value:
            # "Not set": entries no step names, through its items or kept.
            History = self.env["account.collection.history"]
            History.flush_model(["line_ids", "kept_move_ids"])
            items, kept = History._fields["line_ids"], History._fields["kept_move_ids"]
            named = self.env.execute_query(
                SQL(
                    """
                    SELECT aml.move_id FROM %s link JOIN account_move_line aml ON aml.id = link.%s
                     UNION SELECT %s FROM %s
                    """,
                    SQL.identifier(items.relation),
                    SQL.identifier(items.column2),
                    SQL.identifier(kept.column2),
                    SQL.identifier(kept.relation),
                )
            )
            domain |= Domain("id", "not in", [row[0] for row in named])
        return domain

    def _compute_collection_promise_count(self):
        groups = self.env["account.collection.promise"]._read_group(
            [("move_ids", "in", self.ids)], ["move_ids"], ["__count"]
        )
        counts = {move.id: count for move, count in groups}
        for move in self:
            move.collection_promise_count = counts.get(move.id, 0)

    def action_collection_promises(self):
        """Promises to pay that cover this invoice."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.account_collection_promise_action"
        )
        action["domain"] = [("move_ids", "in", self.ids)]
        return action

    # ------------------------------------------------------------------
    # Credit hold on posting
    # ------------------------------------------------------------------
    def _collection_moves_to_check(self):
        """Customer invoices of companies that enforce credit hold."""
        return self.filtered(
            lambda m: m.move_type == "out_invoice" and m.company_id.sudo().collection_credit_hold
        )

    def _collection_check_credit_hold(self):
        """Raise a UserError naming the rule, amounts and days when a customer is on hold.

        Invoices a collections manager posts through the override (with a reason) pass.
        """
        by_company = defaultdict(lambda: self.browse())
        overridden = self.env.cr.cache.get("collection_grants", {}).get(POST_ON_HOLD, set())
        for move in self._collection_moves_to_check().filtered(lambda m: m.id not in overridden):
            by_company[move.company_id] |= move
        for company, moves in by_company.items():
            amounts = defaultdict(float)
            for move in moves:
                amounts[move.commercial_partner_id.id] += move.amount_total_signed
            partners = moves.commercial_partner_id.with_company(company)
            partners._collection_check_hold(amounts)

    def action_post(self):
        """Managers get a confirmation wizard instead of the hold error."""
        if self.env.user.has_group(MANAGER):
            try:
                self._collection_check_credit_hold()
            except UserError as error:
                return self.env["account.move.hold.override"]._action_open(self, str(error))
        return super().action_post()

    def action_collection_log_call(self):
        """Log a call about this invoice: the outcome wizard with the invoice preselected."""
        self.ensure_one()
        action = self.commercial_partner_id.action_collection_log_call()
        action["context"] = {**action["context"], "default_move_ids": [self.id]}
        return action

    def action_collection_resolve_dispute(self):
        """The dispute is settled: the invoice climbs the ladder again."""
        self.filtered("collection_disputed").write({"collection_disputed": False})
        self._collection_schedule()
        return True

    def _collection_post_with_override(self, reason):
        """Post despite the credit hold; log who did it and why on invoices and customers.

        Collections managers only, with a reason: the override is granted to these invoices
        for this transaction, never by anything a client sends.
        """
        reason = self.env["res.partner"]._collection_override_reason(reason)
        self.write({"collection_hold_override_reason": reason})
        with grant(self.env, POST_ON_HOLD, self.ids):
            self.action_post()
        body = self.env._(
            "Posted despite the credit hold by %(user)s: %(reason)s",
            user=self.env.user.name,
            reason=reason,
        )
        for move in self:
            move.message_post(body=body)
        for partner in self.commercial_partner_id:
            invoices = self.filtered(lambda m, p=partner: m.commercial_partner_id == p)
            partner.message_post(
                body=self.env._(
                    "Credit hold overridden for %(invoices)s by %(user)s: %(reason)s",
                    invoices=", ".join(invoices.mapped("name")),
                    user=self.env.user.name,
                    reason=reason,
                )
            )

    # ------------------------------------------------------------------
    # Ladder: the invoice shows what its items say
    # ------------------------------------------------------------------
    def _collection_items(self):
        """The receivable items of these entries: what the ladder follows."""
        return self.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable" and line.partner_id
        )

    def _collection_customer(self):
        """The customer the entry's items belong to: its commercial partner, else its receivable
        items' (opening balances and manual entries carry the partner on their items only)."""
        self.ensure_one()
        return self.commercial_partner_id or self._collection_items().partner_id.commercial_partner_id[:1]

    def _collection_open_amount(self):
        """What is still owed on the entry's items, in the entry's currency (an entry that is
        not an invoice has no residual amount of its own)."""
        self.ensure_one()
        return sum(
            line.amount_residual_currency for line in self._collection_items() if line._collection_is_open()
        )

    def _collection_is_open(self):
        """Something is still owed on one of the entry's receivable items."""
        self.ensure_one()
        return any(line._collection_is_open() for line in self._collection_items())

    def _collection_schedule(self, workdays=None):
        self._collection_items()._collection_schedule(workdays)

    def _collection_bring_forward(self, day):
        self._collection_items()._collection_bring_forward(day)

    def _collection_workdays(self, company, today=None):
        return self._collection_items()._collection_workdays(company, today)

    def _collection_manager(self, company, fallback):
        """Who hears of escalations: the invoices' ladder manager, else the default collector."""
        return self[:1].collection_ladder_id.manager_id or company.sudo().collection_user_id or fallback

    @api.model
    def _collection_derive_from_items(self, move_ids):
        """Point these entries at their item furthest up the ladder and at their item whose
        next step falls due first, in one UPDATE that writes only the entries whose pointers
        change (an item climbing moves its own position, not its entry's pointer).

        The positions change only through ``account.move.line._collection_write_states``,
        which calls this: the entry's view of them cannot drift.
        """
        if not move_ids:
            return
        self.flush_model(["collection_top_item_id", "collection_step_item_id"])
        self.env.execute_query(
            SQL(
                """
                UPDATE account_move move
                   SET collection_top_item_id = derived.top_id, collection_step_item_id = derived.step_id
                  FROM (
                        SELECT given.id,
                               (array_agg(item.id ORDER BY item.level_sequence DESC NULLS LAST,
                                                           item.level_date DESC NULLS LAST, item.id)
                                   FILTER (WHERE item.ladder_id IS NOT NULL))[1] AS top_id,
                               (array_agg(item.id ORDER BY item.next_date, item.id)
                                   FILTER (WHERE item.next_date IS NOT NULL))[1] AS step_id
                          FROM unnest(%s) AS given(id)
                     LEFT JOIN account_collection_item item ON item.move_id = given.id
                      GROUP BY given.id
                       ) derived
                 WHERE move.id = derived.id
                   AND (move.collection_top_item_id IS DISTINCT FROM derived.top_id
                        OR move.collection_step_item_id IS DISTINCT FROM derived.step_id)
                """,
                array(sorted(move_ids), "int4"),
            )
        )
        self.browse(move_ids).invalidate_recordset(
            ["collection_top_item_id", "collection_step_item_id", *ITEM_COLUMNS]
        )

    @api.model
    def _collection_give_level_to_items(self, levels):
        """Items take their entry's level, `levels` being {entry id: (ladder id, level id, level
        date, level number, next level id, next date)}: those due on or before the day the entry
        reached its level, and the entry's first item in any case (the one a level before the
        due date was taken for); those still owed take its next step too. The other items meet
        the ladder on the next run, like any new item.

        For entries whose items Odoo made again (an invoice reset to draft and posted with
        another date or payment term), which bring their former positions, and for the upgrade
        from 19.0.1.0.0, where the invoice was the unit.
        """
        if not levels:
            return
        self.env["account.move.line"].flush_model()
        self.env["account.collection.item"].flush_model()
        # Odoo may have kept an item for another instalment: all of them start again from the
        # entry's level, and former positions of items it deleted go.
        self.env.execute_query(
            SQL("DELETE FROM account_collection_item WHERE move_id = ANY(%s)", list(levels))
        )
        columns = list(zip(*levels.values(), strict=True))
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO account_collection_item (id, move_id, ladder_id, level_id, level_date,
                                                     level_sequence, next_level_id, next_date)
                SELECT aml.id, aml.move_id, given.ladder_id, given.level_id, given.level_date,
                       COALESCE(given.level_sequence, 0),
                       CASE WHEN NOT aml.reconciled AND aml.amount_residual > 0 THEN given.next_level_id END,
                       CASE WHEN NOT aml.reconciled AND aml.amount_residual > 0 THEN given.next_date END
                  FROM unnest(%s::int[], %s::int[], %s::int[], %s::date[], %s::int[], %s::int[], %s::date[])
                       AS given(move_id, ladder_id, level_id, level_date, level_sequence, next_level_id,
                                next_date)
                  JOIN account_move_line aml ON aml.move_id = given.move_id
                  JOIN account_account account ON account.id = aml.account_id
                 WHERE account.account_type = 'asset_receivable'
                   AND aml.partner_id IS NOT NULL
                   AND aml.balance > 0
                   AND (COALESCE(aml.date_maturity, aml.date) <= given.level_date
                        OR aml.id = (SELECT first.id
                                       FROM account_move_line first
                                       JOIN account_account first_account
                                            ON first_account.id = first.account_id
                                      WHERE first.move_id = given.move_id
                                        AND first_account.account_type = 'asset_receivable'
                                        AND first.balance > 0
                                   ORDER BY COALESCE(first.date_maturity, first.date), first.id
                                      LIMIT 1))
             RETURNING id
                """,
                list(levels),
                *([value or None for value in column] for column in columns),
            )
        )
        if rows:
            self.env["account.move.line"]._collection_link_positions([row[0] for row in rows])
        self.env["account.move.line"].invalidate_model(list(LADDER_FIELDS))
        self.env["account.collection.item"].invalidate_model()
        self._collection_derive_from_items(list(levels))

    def _post(self, soft=True):
        self._collection_check_credit_hold()
        posted = super()._post(soft=soft)
        # An entry on the ladder posted again with new items (Odoo makes them when the date or
        # the payment term changed): its items take its level again.
        remade = posted.filtered(
            lambda move: move.collection_level_id
            and any(not line.collection_ladder_id and line.balance > 0 for line in move._collection_items())
        )
        if remade:
            self._collection_give_level_to_items(
                {
                    move.id: (
                        move.collection_ladder_id.id,
                        move.collection_level_id.id,
                        move.collection_level_date,
                        move.collection_level_sequence,
                        move.collection_next_level_id.id,
                        move.collection_next_date,
                    )
                    for move in remade
                }
            )
        posted._collection_drop_left_positions()
        posted._collection_items()._collection_schedule()
        return posted

    def _collection_drop_left_positions(self):
        """Positions of items Odoo deleted (they kept the entry's level while it was a draft)
        go once the entry is posted with its new items."""
        if not self:
            return
        self.env["account.collection.item"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                DELETE FROM account_collection_item item
                 WHERE item.move_id = ANY(%s)
                   AND NOT EXISTS (SELECT 1 FROM account_move_line aml WHERE aml.id = item.id)
             RETURNING item.move_id
                """,
                self.ids,
            )
        )
        if rows:
            self.env["account.collection.item"].invalidate_model()
            self._collection_derive_from_items({row[0] for row in rows})
