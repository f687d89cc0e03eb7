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
            self._collection_log_payment(payment)
        return payment

    def _collection_log_payment(self, payment):
        """The customer's chatter tells what it paid from its collection page, as it tells its
        promises, requests and disputes: in the customer's name, in its collector's language."""
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id.sudo().with_company(self.company_id)
        collector = customer._collection_collector()
        staff = customer.with_context(lang=collector.lang or self.env.lang).env
        customer.message_post(
            body=staff._(
                "Portal: the customer paid %(amount)s online for %(invoices)s (payment %(payment)s).",
                amount=self.currency_id.with_env(staff).format(self.amount),
                invoices=", ".join(self.invoice_ids.mapped("name")),
                payment=payment.name,
            ),
            subtype_xmlid="mail.mt_note",
            author_id=customer.id,
        )
