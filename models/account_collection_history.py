from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..bulk import array, insert_rows


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
        "account_collection_history_move_rel",
        "history_id",
        "move_id",
        string="Invoices",
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

    def _collection_items(self):
        """The receivable items of the step (steps logged before items were the unit name their
        invoices only)."""
        self.ensure_one()
        return self.line_ids or self.move_ids._collection_items()

    def action_retry_email(self):
        """Queue again the e-mails of these steps that failed (mail server down, letter not
        rendered); the mail queue sends them with its next run."""
        self.check_access("read")
        self.sudo().mail_id.filtered(lambda mail: mail.state == "exception").action_retry()
        return True

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
        """Insert history rows, `move_ids` and `line_ids` given as lists of ids, in three queries.

        A first run writes tens of thousands of rows and the ORM inserts 100 per query. The
        history is an append-only log built by the engine from records it just checked: the
        rows go in one INSERT (``bulk.insert_rows``) and each relation in another.
        """
        if not vals_list:
            return self.browse()
        self.check_access("create")
        relations = {"move_ids": "move_id", "line_ids": "line_id"}
        ids = insert_rows(
            self,
            [{name: value for name, value in vals.items() if name not in relations} for vals in vals_list],
        ).ids
        for name, column in relations.items():
            links = [
                (history_id, record_id)
                for history_id, vals in zip(ids, vals_list, strict=True)
                for record_id in vals.get(name, ())
            ]
            if not links:
                continue
            field = self._fields[name]
            self.env.execute_query(
                SQL(
                    "INSERT INTO %s (history_id, %s) SELECT * FROM unnest(%s, %s)",
                    SQL.identifier(field.relation),
                    SQL.identifier(column),
                    array([history_id for history_id, _record_id in links], "int4"),
                    array([record_id for _history_id, record_id in links], "int4"),
                )
            )
            if name == "move_ids":
                # The invoices' side of the relation, if loaded, no longer tells the truth.
                moves = self.env["account.move"].browse({record_id for _history_id, record_id in links})
                moves.invalidate_recordset(["collection_history_ids"])
        return self.browse(ids)
