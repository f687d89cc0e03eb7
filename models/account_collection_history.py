from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from ..bulk import array, insert_links, insert_rows


class AccountCollectionHistory(models.Model):
    """One executed ladder step for one customer: what was done, for which items. A log: the
    daily run (``account.collection.run``) writes it."""

    _name = "account.collection.history"
    _description = "Collection Step History"
    _order = "date desc, id desc"
    _check_company_auto = True

    date = fields.Date(required=True, index=True, default=fields.Date.context_today)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    ladder_id = fields.Many2one("account.collection.ladder", index=True)
    level_id = fields.Many2one("account.collection.ladder.level", index=True)
    user_id = fields.Many2one("res.users", string="Collector")
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        compute="_compute_move_ids",
        search="_search_move_ids",
        help="The entries of the step's items.",
    )
    kept_move_ids = fields.Many2many(
        "account.move",
        "account_collection_history_move_rel",
        "history_id",
        "move_id",
        string="Entries Kept",
        readonly=True,
        help="Entries the step names without its items: items Odoo deleted since (it makes the "
        "items of an invoice reset to draft again), steps logged before items were the unit.",
    )
    line_ids = fields.Many2many(
        "account.move.line",
        "account_collection_history_line_rel",
        "history_id",
        "line_id",
        string="Items",
        help="The receivable items (instalments, entries) the step was taken for.",
    )
    amount = fields.Monetary(string="Open Amount", currency_field="currency_id")
    currency_id = fields.Many2one(related="company_id.currency_id")
    activity_id = fields.Many2one("mail.activity", string="Call Activity", index="btree_not_null")
    mail_id = fields.Many2one("mail.mail", string="E-mail", index="btree_not_null")
    mail_state = fields.Selection(related="mail_id.state", string="E-mail Status")
    did_call = fields.Boolean(string="Call")
    did_email = fields.Boolean(string="E-mail Sent")
    did_letter = fields.Boolean(string="Letter")
    did_notify = fields.Boolean(string="Manager Notified")
    did_legal = fields.Boolean(string="Legal Hand-over")
    letter_state = fields.Selection([("to_post", "To Post"), ("posted", "Posted")], index="btree_not_null")
    letter_posted_date = fields.Date()
    note = fields.Text()

    @api.depends("line_ids.move_id", "kept_move_ids")
    def _compute_move_ids(self):
        # Derived from the items: a busy day logs tens of thousands of them, and a second link
        # per item, with its two foreign keys checked, was a fourteenth of its run.
        for history in self:
            history.move_ids = history.line_ids.move_id | history.kept_move_ids

    def _search_move_ids(self, operator, value):
        if operator == "any":
            return Domain("line_ids.move_id", "any", value) | Domain("kept_move_ids", "any", value)
        if operator != "in":
            return NotImplemented
        ids = [move_id for move_id in value if move_id]
        domain = Domain("line_ids.move_id", "in", ids) | Domain("kept_move_ids", "in", ids)
        if len(ids) < len(value):
            # "Not set": a step naming no entry at all.
            domain |= Domain("line_ids", "=", False) & Domain("kept_move_ids", "=", False)
        return domain

    def _collection_items(self):
        """The receivable items of the step (a step whose items were deleted since, or logged
        before items were the unit, names its invoices only)."""
        self.ensure_one()
        return self.line_ids or self.kept_move_ids._collection_items()

    @api.model
    def _collection_keep_moves(self, lines):
        """The steps of `lines`, items about to be deleted, keep naming their entries: the
        invoice's collection history outlives the items Odoo makes again."""
        if not lines:
            return
        self.flush_model(["line_ids", "kept_move_ids"])
        lines.flush_recordset(["move_id"])
        items, kept = self._fields["line_ids"], self._fields["kept_move_ids"]
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO %(kept)s (%(kept_history)s, %(kept_move)s)
                SELECT link.%(history)s, aml.move_id
                  FROM %(items)s link
                  JOIN account_move_line aml ON aml.id = link.%(line)s
                 WHERE link.%(line)s = ANY(%(ids)s)
                ON CONFLICT DO NOTHING
                RETURNING %(kept_history)s
                """,
                kept=SQL.identifier(kept.relation),
                kept_history=SQL.identifier(kept.column1),
                kept_move=SQL.identifier(kept.column2),
                items=SQL.identifier(items.relation),
                history=SQL.identifier(items.column1),
                line=SQL.identifier(items.column2),
                ids=array(lines.ids, "int4"),
            )
        )
        if rows:
            self.browse({row[0] for row in rows}).invalidate_recordset(["kept_move_ids"])

    def action_retry_email(self):
        """Queue again the e-mails of these steps that failed (mail server down, letter not
        rendered); the mail queue sends them with its next run."""
        self.check_access("read")
        self.sudo().mail_id.filtered(lambda mail: mail.state == "exception").action_retry()
        return True

    @api.model_create_multi
    def create(self, vals_list):
        histories = super().create(vals_list)
        # The invoices' lists of steps (computed, see account.move) no longer tell the truth.
        self.env["account.move"].invalidate_model(["collection_history_ids"])
        return histories

    def unlink(self):
        self.env["account.move"].invalidate_model(["collection_history_ids"])
        return super().unlink()

    def write(self, vals):
        # A log: rows change only through their actions (letter posted, e-mail retried).
        if not self.env.su:
            raise UserError(self.env._("The collection history is a log: its steps cannot be edited."))
        return super().write(vals)

    def action_mark_posted(self):
        """Letters to post: the accountant confirms the letter went out."""
        self.check_access("write")
        self.sudo().filtered(lambda h: h.letter_state == "to_post").write(
            {"letter_state": "posted", "letter_posted_date": fields.Date.context_today(self)}
        )
        return True

    @api.model
    def _collection_insert(self, vals_list):
        """Insert history rows, `line_ids` given as lists of ids, in two queries.

        A first run writes tens of thousands of rows and the ORM inserts 100 per query. The
        history is an append-only log built by the engine from records it just checked: the
        rows go in one INSERT (``bulk.insert_rows``) and their items in another.
        """
        if not vals_list:
            return self.browse()
        self.check_access("create")
        ids = insert_rows(
            self, [{name: value for name, value in vals.items() if name != "line_ids"} for vals in vals_list]
        ).ids
        links = [
            (history_id, line_id)
            for history_id, vals in zip(ids, vals_list, strict=True)
            for line_id in vals.get("line_ids", ())
        ]
        if links:
            insert_links(self, "line_ids", links)
            # The invoices' lists of steps, if loaded, no longer tell the truth.
            self.env["account.move"].invalidate_model(["collection_history_ids"])
        return self.browse(ids)
