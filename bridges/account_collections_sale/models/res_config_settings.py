from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_sale_hold = fields.Boolean(related="company_id.collection_sale_hold", readonly=False)
