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
        # A credit note is matched with its fee invoice only while both are open: once the
        # customer paid the fee invoice, the credit note stays open, the customer's credit.
        matched = credits.filtered(
            lambda credit: credit.reversed_entry_id in credit.line_ids.matched_debit_ids.debit_move_id.move_id
        )
        details = []
        if matched:
            details.append(
                self.env._(
                    "%(credit_notes)s posted and matched with the fee invoice.",
                    credit_notes=", ".join(matched.mapped("name")),
                )
            )
        if credits - matched:
            details.append(
                self.env._(
                    "%(credit_notes)s posted but not matched, as the fee invoice was already paid: "
                    "the credit note stays open, a credit of the customer.",
                    credit_notes=", ".join((credits - matched).mapped("name")),
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("Charges waived: %(details)s", details=" ".join(details)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
