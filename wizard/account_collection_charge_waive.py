from odoo import fields, models


class AccountCollectionChargeWaive(models.TransientModel):
    """Waive late-payment charges with a reason; the rule lives on the charge."""

    _name = "account.collection.charge.waive"
    _description = "Waive Late-Payment Charges"

    charge_ids = fields.Many2many(
        "account.collection.charge",
        string="Charges",
        default=lambda self: self.env.context.get("active_ids")
        if self.env.context.get("active_model") == "account.collection.charge"
        else False,
    )
    reason = fields.Text(required=True)

    def action_waive(self):
        self.ensure_one()
        credits = self.charge_ids._collection_waive(self.reason)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Charges waived: %(credit_notes)s posted and matched with the fee invoice.",
                    credit_notes=", ".join(credits.mapped("name")),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
