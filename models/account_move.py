from collections import defaultdict

from odoo import fields, models
from odoo.exceptions import UserError

MANAGER = "account_collections.group_collections_manager"


class AccountMove(models.Model):
    _inherit = "account.move"

    collection_hold_override_reason = fields.Char(
        string="Credit Hold Override",
        readonly=True,
        copy=False,
        tracking=True,
        help="Why a collections manager posted this invoice although the customer was on credit hold.",
    )

    # ------------------------------------------------------------------
    # Credit hold on posting
    # ------------------------------------------------------------------
    def _collection_moves_to_check(self):
        """Customer invoices of companies that enforce credit hold."""
        return self.filtered(
            lambda m: m.move_type == "out_invoice" and m.company_id.sudo().collection_credit_hold
        )

    def _collection_check_credit_hold(self):
        """Raise a UserError naming the rule, amounts and days when a customer is on hold."""
        if self.env.context.get("collection_hold_override"):
            return
        by_company = defaultdict(lambda: self.browse())
        for move in self._collection_moves_to_check():
            by_company[move.company_id] |= move
        for company, moves in by_company.items():
            amounts = defaultdict(float)
            for move in moves:
                amounts[move.commercial_partner_id.id] += move.amount_total_signed
            partners = moves.commercial_partner_id.with_company(company)
            partners._collection_check_hold(amounts)

    def _post(self, soft=True):
        self._collection_check_credit_hold()
        return super()._post(soft=soft)

    def action_post(self):
        """Managers get a confirmation wizard instead of the hold error."""
        if not self.env.context.get("collection_hold_override") and self.env.user.has_group(MANAGER):
            try:
                self._collection_check_credit_hold()
            except UserError as error:
                return self.env["account.move.hold.override"]._action_open(self, str(error))
        return super().action_post()

    def _collection_post_with_override(self, reason):
        """Post despite the credit hold; log who did it and why on invoices and customers."""
        self.write({"collection_hold_override_reason": reason})
        self.with_context(collection_hold_override=True).action_post()
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
