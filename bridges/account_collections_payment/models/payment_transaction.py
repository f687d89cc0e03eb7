from odoo import fields, models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    collection_portal = fields.Boolean(
        string="Paid from the Collection Page",
        readonly=True,
        help="Pays the customer's net demand: its credits are matched with the invoices too.",
    )

    def _create_payment(self, **extra_create_values):
        """The payment is matched with the invoices it pays, as for any invoice payment; paid
        from the collection page, it paid the invoices less the customer's credits, so those
        credits (payments not yet matched, open credit notes) are matched with what is left:
        the customer owes nothing on them, and its collector sees it at once."""
        payment = super()._create_payment(**extra_create_values)
        if self.collection_portal:
            receivable = self.invoice_ids.line_ids.filtered(
                lambda line: line.account_id == payment.destination_account_id and not line.reconciled
            )
            if receivable:
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
                (receivable | credits).reconcile()
        return payment
