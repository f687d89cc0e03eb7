from odoo import Command, api, fields, models


class AccountCollectionCreditRequest(models.Model):
    _inherit = "account.collection.credit.request"

    sale_order_ids = fields.Many2many(
        "sale.order",
        "account_collection_credit_request_sale_order_rel",
        "request_id",
        "order_id",
        string="Blocked Orders",
        help="Orders waiting for this request: they confirm once it is approved.",
    )

    def action_approve(self):
        result = super().action_approve()
        self.sale_order_ids._collection_confirm_approved()
        return result

    # ------------------------------------------------------------------
    # Demo (demo/sale_order_demo.xml)
    # ------------------------------------------------------------------
    @api.model
    def _collection_sale_demo_load(self, company):
        """Orders are held in the demo company; Carpathian Paper (held by a manager) has a
        quotation that cannot be confirmed; Volga Machinery (overdue) had one confirmed once
        its tolerance was approved."""
        company = self.env["res.company"].browse(company)
        env = self.with_context(allowed_company_ids=company.ids).env
        company.sudo().collection_sale_hold = True
        Partner = env["res.partner"].with_company(company)
        held = Partner.search([("name", "=", "Carpathian Paper")], limit=1)
        overdue = Partner.search([("name", "=", "Volga Machinery")], limit=1)
        if not (held and overdue):
            return
        product = env["product.product"].create({"name": "Pallet of printing paper", "list_price": 480.0})

        def quotation(partner, quantity):
            return env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "order_line": [Command.create({"product_id": product.id, "product_uom_qty": quantity})],
                }
            )

        quotation(held, 5)
        order = quotation(overdue, 3)
        request = env["account.collection.credit.request"].create(
            {
                "partner_id": overdue.id,
                "change_tolerance": True,
                "tolerance_days": 15,
                "tolerance_amount": 5000.0,
                "reason": "Long-standing customer; the overdue invoice is being paid this week.",
                "sale_order_ids": [Command.set(order.ids)],
            }
        )
        request.action_approve()
