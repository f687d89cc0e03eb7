from odoo import fields, models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    collection_portal = fields.Boolean(
        string="Paid from the Collection Page",
        readonly=True,
        help="Pays the customer's net demand: its credits are matched too.",
    )
    collection_line_ids = fields.Many2many(
        "account.move.line",
        string="Items Settled",
        readonly=True,
        help="The receivable items this payment and the customer's credits settle together.",
    )

    def _create_payment(self, **extra_create_values):
        """The payment is matched with the invoices it pays, as for any invoice payment. Paid
        from the collection page, it paid what was left of the items once the customer's
        credits (payments not yet matched, open credit notes) were deducted: those credits are
        matched with the items too, oldest first as the demand deducted them, so nothing is
        left open on them and the collector sees it at once."""
        payment = super()._create_payment(**extra_create_values)
        if self.collection_portal:
            items = self.collection_line_ids.filtered(
                lambda line: line.account_id == payment.destination_account_id and not line.reconciled
            )
            if items:
                credits = self.env["account.move.line"].search(
                    [
                        ("company_id", "=", payment.company_id.id),
                        ("account_id", "=", payment.destination_account_id.id),
                        ("partner_id", "child_of", payment.partner_id.commercial_partner_id.id),
                        ("parent_state", "=", "posted"),
                        ("reconciled", "=", False),
                        ("amount_residual", "<", 0),
                    ]
                )
                if credits:
                    (items | credits).reconcile()
        return payment
