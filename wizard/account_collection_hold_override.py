from odoo import fields, models


class AccountCollectionHoldOverride(models.AbstractModel):
    """A collections manager goes ahead for a customer on credit hold, with a reason.

    One wizard per kind of document (invoices here; orders and deliveries in the bridges):
    each names its records field and the documents' method that checks the group and the
    reason, does the work and logs it (``_hold_records``, ``_hold_override``).
    """

    _name = "account.collection.hold.override"
    _description = "Go Ahead Despite Credit Hold"
    _hold_records = None
    _hold_override = None

    hold_message = fields.Text(string="Why the customer is on hold", readonly=True)
    reason = fields.Text(help="Recorded on the documents and the customers.")

    def _action_open(self, records, message):
        wizard = self.create({self._hold_records: [fields.Command.set(records.ids)], "hold_message": message})
        return {
            "name": self.env._("Customer on Credit Hold"),
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_confirm(self):
        self.ensure_one()
        # The documents' model checks the group and the reason.
        result = getattr(self[self._hold_records], self._hold_override)(self.reason)
        return result if isinstance(result, dict) else {"type": "ir.actions.act_window_close"}
