from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _collection_committed_amounts(self):
        """Confirmed sales orders count in the exposure for what is not invoiced yet, delivered
        or not (the credit is given when the order is confirmed), in company currency."""
        amounts = super()._collection_committed_amounts()
        partners = self.commercial_partner_id
        if not partners:
            return amounts
        company = self.env.company
        orders = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "sale"),
                    ("invoice_status", "!=", "invoiced"),
                    ("partner_id.commercial_partner_id", "in", partners.ids),
                ]
            )
        )
        today = fields.Date.context_today(self)
        for order in orders:
            left = order.currency_id._convert(
                order.amount_total - order.amount_invoiced, company.currency_id, company, today
            )
            partner_id = order.partner_id.commercial_partner_id.id
            amounts[partner_id] = amounts.get(partner_id, 0.0) + max(left, 0.0)
        return amounts
