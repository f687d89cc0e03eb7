"""When an invoice's dispute was opened and resolved: kept by the model whenever the flag
changes (the collector's *Resolve Dispute*, a call's outcome, the customer's collection page),
so the customer's page can tell the customer where its dispute stands."""

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import format_date

DISPUTE_DATES = ("collection_dispute_date", "collection_dispute_resolved_date")


class AccountMove(models.Model):
    _inherit = "account.move"

    collection_dispute_date = fields.Date(
        string="Disputed On",
        copy=False,
        readonly=True,
        help="The day the invoice was last disputed.",
    )
    collection_dispute_resolved_date = fields.Date(
        string="Dispute Resolved On",
        copy=False,
        readonly=True,
        help="The day its last dispute was resolved: the customer's collection page shows it for a while.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        self._collection_check_dispute_vals(vals_list)
        moves = super().create(vals_list)
        moves.filtered("collection_disputed")._collection_date_disputes(True)
        return moves

    def write(self, vals):
        self._collection_check_dispute_vals([vals])
        changed, disputed = self.browse(), None
        if "collection_disputed" in vals:
            disputed = bool(vals["collection_disputed"])
            changed = self.filtered(lambda move: move.collection_disputed != disputed)
        result = super().write(vals)
        if changed:
            changed._collection_date_disputes(disputed)
        return result

    @api.model
    def _collection_check_dispute_vals(self, vals_list):
        """The dispute's dates follow the dispute flag (server code): set by hand, the customer
        would read a date nobody resolved anything on."""
        if not self.env.su and any(name in vals for vals in vals_list for name in DISPUTE_DATES):
            raise AccessError(
                self.env._(
                    "The dates of a dispute are set when the invoice is disputed or its dispute resolved."
                )
            )

    def _collection_date_disputes(self, disputed):
        """Date today's change of these invoices' dispute flag: opened (a resolution of an
        earlier dispute no longer applies) or resolved."""
        today = fields.Date.context_today(self)
        if disputed:
            vals = {"collection_dispute_date": today, "collection_dispute_resolved_date": False}
        else:
            vals = {"collection_dispute_resolved_date": today}
        self.sudo().write(vals)

    def _collection_dispute_status(self):
        """Where this invoice's dispute stands, as the customer's page says it: one sentence
        with its date, so that each language places the date where its grammar wants it."""
        self.ensure_one()
        if self.collection_disputed:
            if not self.collection_dispute_date:
                return self.env._("under review by your contact")
            return self.env._(
                "under review by your contact since %(date)s",
                date=format_date(self.env, self.collection_dispute_date),
            )
        return self.env._(
            "resolved by your contact on %(date)s",
            date=format_date(self.env, self.collection_dispute_resolved_date),
        )
