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
    owing_nothing_ids = fields.Many2many(
        "res.partner",
        compute="_compute_without_email_ids",
        string="Customers Owing Nothing",
        help="Nothing is due once their credits are deducted: they get no reminder.",
    )
    recipients = fields.Text(compute="_compute_preview")
    preview = fields.Html(compute="_compute_preview")

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
            # The customers as saved (in a form being edited, their new-record copies).
            partners = wizard.partner_ids._origin.commercial_partner_id
            demands = partners._collection_demands()
            wizard.owing_nothing_ids = partners.filtered(
                lambda p, d=demands: self.env["res.partner"]._collection_owes_nothing(d[p.id])
            )
            wizard.without_email_ids = (partners - wizard.owing_nothing_ids).filtered(
                lambda p: not p._collection_invoice_contact().email
            )

    @api.depends("partner_ids", "template_id", "level_id")
    def _compute_preview(self):
        """Who receives what: each customer's recipient, and the e-mail of the first one."""
        for wizard in self:
            partners = wizard.partner_ids._origin.commercial_partner_id - wizard.owing_nothing_ids._origin
            wizard.recipients = "\n".join(
                f"{partner.display_name}: {partner._collection_invoice_contact().email}"
                for partner in partners - wizard.without_email_ids._origin
            )
            first = partners[:1]
            if not (first and wizard.template_id):
                wizard.preview = False
                continue
            if wizard.template_id.model != "res.partner":
                wizard.preview = False
                continue
            level = wizard.level_id._collection_of_user() or first._collection_letter_level()
            # Rendered as the user, never as superuser: the template is the user's choice.
            template = wizard.template_id.with_context(collection_level_id=level.id)
            wizard.preview = template._render_field("body_html", first.ids)[first.id]

    def action_send(self):
        self.ensure_one()
        if not self.partner_ids:
            raise UserError(self.env._("Choose at least one customer."))
        mails = (
            self.env["res.partner"]
            .browse(self.partner_ids.ids)
            ._collection_send_reminders(
                self.template_id, level=self.level_id, attach_letter=self.attach_letter
            )
        )
        # Singular and plural are two strings, chosen by count, each worded by its translator.
        queued, without_email, owing_nothing = (
            len(mails),
            len(self.without_email_ids),
            len(self.owing_nothing_ids),
        )
        message = (
            self.env._("1 reminder queued.")
            if queued == 1
            else self.env._("%(count)s reminders queued.", count=queued)
        )
        if without_email:
            message += " " + (
                self.env._("1 customer without an e-mail address: a task for their collector.")
                if without_email == 1
                else self.env._(
                    "%(count)s customers without an e-mail address: a task for their collector.",
                    count=without_email,
                )
            )
        if owing_nothing:
            message += " " + (
                self.env._("1 customer owing nothing was left out.")
                if owing_nothing == 1
                else self.env._("%(count)s customers owing nothing were left out.", count=owing_nothing)
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Payment reminders"),
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
