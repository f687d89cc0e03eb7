from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _collection_portal_values(self):
        """Pay now only where a payment provider of the section's company can take the payment
        (a button leading to "no payment method available" helps nobody)."""
        values = super()._collection_portal_values()
        Provider = self.env["payment.provider"].sudo()
        for section in values["sections"]:
            if section["payable"] and not Provider._get_compatible_providers(
                section["company"].id,
                values["partner"].id,
                section["net"],
                currency_id=section["currency"].id,
            ):
                section["payable"] = []
        return values
