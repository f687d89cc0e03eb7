from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class AccountCollectionReminderSend(models.TransientModel):
    """Send payment reminders to one or many customers, from customers or invoices."""

    _name = "account.collection.reminder.send"
    _description = "Send Payment Reminders"

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)
    template_id = fields.Many2one(
        "mail.template",
        required=True,
        domain="[('model', '=', 'res.partner')]",
        default=lambda self: self.env.ref("account_collections.mail_template_collection_reminder", False),
    )
    level_id = fields.Many2one(
        "account.collection.ladder.level",
        string="Letter Text",
        help="Text of this ladder level; empty: each customer's current level.",
    )
    attach_letter = fields.Boolean(string="Attach the PDF letter", default=True)
    without_email_ids = fields.Many2many(
        "res.partner", compute="_compute_without_email_ids", string="Customers Without E-mail"
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model, ids = self.env.context.get("active_model"), self.env.context.get("active_ids") or []
        if model == "account.move":
            partners = self.env["account.move"].browse(ids).commercial_partner_id
        elif model == "res.partner":
            partners = self.env["res.partner"].browse(ids).commercial_partner_id
        else:
            partners = self.env["res.partner"]
        values.setdefault("partner_ids", [Command.set(partners.ids)])
        return values

    @api.depends("partner_ids")
    def _compute_without_email_ids(self):
        for wizard in self:
            wizard.without_email_ids = wizard.partner_ids.filtered(
                lambda p: not p._collection_invoice_contact().email
            )

    def action_send(self):
        self.ensure_one()
        if not self.partner_ids:
            raise UserError(self.env._("Choose at least one customer."))
        self.env["res.partner"].browse(self.partner_ids.ids)._collection_send_reminders(
            self.template_id, level=self.level_id, attach_letter=self.attach_letter
        )
        return {"type": "ir.actions.act_window_close"}
