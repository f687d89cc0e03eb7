from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import format_date


class AccountCollectionPreview(models.TransientModel):
    """What the next collection run will do, customer by customer: the run's own plan
    (``account.collection.run._collection_preview``), shown to a manager who can keep a customer
    or some of its items out of it."""

    _name = "account.collection.preview"
    _description = "Collection Run Preview"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    date = fields.Date(string="Run of", required=True, default=lambda self: self._default_date())
    line_ids = fields.One2many("account.collection.preview.line", "preview_id", string="Steps")
    currency_id = fields.Many2one(related="company_id.currency_id")

    @api.model
    def _default_date(self):
        """The next run: today's if it has not run yet on a working day, else the next working day's."""
        company = self.env.company
        today = fields.Date.context_today(self)
        workdays = company._collection_workdays(today, today + timedelta(days=30))
        done_today = (
            self.env["account.collection.run"]
            .sudo()
            .search_count(
                [("company_id", "=", company.id), ("date", "=", today), ("state", "=", "done")], limit=1
            )
        )
        start = today + timedelta(days=1) if done_today else today
        return workdays.next_workday(start) or start

    @api.depends("date", "company_id")
    def _compute_display_name(self):
        for preview in self:
            preview.display_name = self.env._(
                "Preview of the run of %(date)s", date=format_date(self.env, preview.date)
            )

    @api.model
    def action_open(self):
        """Menu and button: the preview of the next run, computed, in its form."""
        preview = self.create({})
        return {
            "type": "ir.actions.act_window",
            "name": preview.display_name,
            "res_model": self._name,
            "res_id": preview.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    @api.model_create_multi
    def create(self, vals_list):
        previews = super().create(vals_list)
        previews._compute_steps()
        return previews

    def _compute_steps(self):
        for preview in self:
            if preview.company_id not in self.env.user.company_ids:
                raise AccessError(self.env._("You can only preview the runs of your own companies."))
            rows = self.env["account.collection.run"]._collection_preview(preview.company_id, preview.date)
            preview.line_ids = [Command.clear()] + [
                Command.create({**row, "item_ids": [Command.set(row["item_ids"])]}) for row in rows
            ]

    def action_refresh(self):
        self._compute_steps()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }


class AccountCollectionPreviewLine(models.TransientModel):
    _name = "account.collection.preview.line"
    _description = "Collection Run Preview Step"
    _order = "partner_id, level_id"

    preview_id = fields.Many2one("account.collection.preview", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    level_id = fields.Many2one("account.collection.ladder.level", readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    item_ids = fields.Many2many("account.move.line", string="Items", readonly=True)
    action = fields.Char(string="Step", readonly=True)
    skipped = fields.Boolean(readonly=True)
    currency_id = fields.Many2one(related="preview_id.currency_id")
    amount = fields.Monetary(
        string="Step's Items",
        readonly=True,
        help="What is still owed on the items this step is about (those reaching this level on the "
        "run's day), in the company's currency.",
    )
    demand_currency_id = fields.Many2one("res.currency", readonly=True)
    # What the customer's e-mail or letter asks for: the customer's whole net due, the same on
    # each of its steps, not only this step's items (the plan computes it once per customer).
    demanded = fields.Monetary(
        string="Net Due",
        currency_field="demand_currency_id",
        readonly=True,
        help="The customer's net due, as its reminder or letter states it: every item due by the "
        "run's day, whatever its level (disputed items and items under an open promise left out), "
        "less its unmatched payments and credit notes. The same on each of the customer's steps; "
        "in the items' currency when they share one, else the company's.",
    )

    def action_keep_out(self):
        """Open the exclusion form for this customer's items of the step, on the run's day."""
        self.ensure_one()
        return {
            "name": self.env._("Keep Out of the Run"),
            "type": "ir.actions.act_window",
            "res_model": "account.collection.exclusion",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_partner_id": self.partner_id.id,
                "default_line_ids": [Command.set(self.item_ids.ids)],
                "default_date_from": self.preview_id.date,
                "default_date_to": self.preview_id.date,
            },
        }
