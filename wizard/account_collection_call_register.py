from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError


class AccountCollectionCallRegister(models.TransientModel):
    """Log a collection call and its outcome; the rules live on account.collection.call."""

    _name = "account.collection.call.register"
    _description = "Log a Collection Call"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    activity_id = fields.Many2one("mail.activity", string="Planned Call")
    contact_id = fields.Many2one(
        "res.partner", string="Contact Person", domain="[('commercial_partner_id', '=', partner_id)]"
    )
    direction = fields.Selection([("out", "Outgoing"), ("in", "Incoming")], default="out", required=True)
    duration = fields.Float(string="Duration (min)")
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        # Invoices and entries (opening balances, manual entries) the customer still owes on.
        domain="[('move_type', 'in', ('out_invoice', 'entry')), ('state', '=', 'posted'), "
        "('company_id', '=', company_id), ('line_ids', 'any', ["
        "('partner_id.commercial_partner_id', '=', partner_id), "
        "('account_id.account_type', '=', 'asset_receivable'), "
        "('reconciled', '=', False), ('amount_residual', '>', 0)])]",
    )
    open_amount = fields.Monetary(compute="_compute_open_amount", currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", compute="_compute_open_amount")
    outcome_id = fields.Many2one("account.collection.outcome", required=True)
    outcome_type = fields.Selection(related="outcome_id.outcome_type")
    reason_id = fields.Many2one("account.collection.reason", string="Reason Given")
    # One click to call or write: the contact person's, else the customer's.
    phone = fields.Char(compute="_compute_contact_means")
    email = fields.Char(compute="_compute_contact_means")
    talking_points = fields.Html(compute="_compute_talking_points", sanitize=False)
    history = fields.Html(string="Last Time", compute="_compute_history", sanitize=False)
    notes = fields.Html()
    next_step = fields.Char()
    recording = fields.Binary()
    recording_name = fields.Char()
    # Promise
    promise_amount = fields.Monetary(string="Promised Amount", currency_field="currency_id")
    promise_date = fields.Date(string="Promised Date")
    use_plan = fields.Boolean(string="Payment Plan")
    line_ids = fields.One2many("account.collection.call.register.line", "wizard_id", string="Instalments")
    # Already paid
    paid_date = fields.Date(string="Paid On")
    paid_reference = fields.Char(string="Payment Reference")
    # Dispute
    dispute_reason = fields.Text()
    dispute_move_ids = fields.Many2many(
        "account.move",
        "account_collection_call_register_dispute_rel",
        string="Disputed Invoices",
        domain="[('id', 'in', move_ids)]",
    )
    # Call back
    callback_date = fields.Date(string="Call Back On")
    callback_time = fields.Float(string="At")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        partner = self.env["res.partner"].browse(values.get("partner_id")).commercial_partner_id
        if partner and "move_ids" in fields_list and not values.get("move_ids"):
            moves = partner._collection_overdue_moves()
            values["move_ids"] = [
                Command.set(moves.filtered(lambda m: m.currency_id == moves[:1].currency_id).ids)
            ]
        return values

    @api.depends("partner_id", "contact_id")
    def _compute_contact_means(self):
        for wizard in self:
            people = [wizard.contact_id, wizard.partner_id._collection_invoice_contact(), wizard.partner_id]
            wizard.phone = next((p.phone for p in people if p and p.phone), False)
            wizard.email = next((p.email for p in people if p and p.email), False)

    @api.depends("partner_id", "move_ids")
    def _compute_talking_points(self):
        """What to say: the talking points of the level the discussed items reached (else of
        the customer's), in the user's language."""
        for wizard in self:
            moves = wizard.move_ids.sorted("collection_level_sequence")
            level = moves[-1:].collection_level_id or (
                wizard.partner_id and wizard.partner_id._collection_letter_level()
            )
            wizard.talking_points = level.sudo().talking_points if level else False

    @api.depends("partner_id")
    def _compute_history(self):
        """What was agreed last time: the open promises, the last call's outcome, reason and
        next step (``res.partner._collection_last_time``)."""
        for wizard in self:
            wizard.history = wizard.partner_id and wizard.partner_id._collection_last_time()

    @api.depends("move_ids")
    def _compute_open_amount(self):
        for wizard in self:
            wizard.currency_id = wizard.move_ids[:1].currency_id or wizard.company_id.currency_id
            wizard.open_amount = sum(move._collection_open_amount() for move in wizard.move_ids)

    @api.model
    def _action_open_for_activity(self, activity):
        """Window action of this wizard for a planned collection call activity."""
        return {
            "name": self.env._("Log a Collection Call"),
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_partner_id": activity.res_id, "default_activity_id": activity.id},
        }

    def _promise_lines(self):
        if self.use_plan:
            return [(line.amount, line.date) for line in self.line_ids]
        return [(self.promise_amount, self.promise_date)] if self.promise_amount or self.promise_date else []

    def action_confirm(self):
        self.ensure_one()
        if self.activity_id and self.activity_id.res_id != self.partner_id.commercial_partner_id.id:
            raise ValidationError(self.env._("The planned call belongs to another customer."))
        recordings = self.env["ir.attachment"]
        if self.recording:
            recordings = self.env["ir.attachment"].create(
                {
                    "name": self.recording_name or "recording",
                    "datas": self.recording,
                    "res_model": "account.collection.call",
                }
            )
        call = self.env["account.collection.call"]._collection_log(
            self.partner_id,
            self.outcome_id,
            self.move_ids,
            activity=self.activity_id,
            details={
                "lines": self._promise_lines(),
                "total": self.promise_amount if self.use_plan else None,
                "reason": self.dispute_reason,
                "dispute_moves": self.dispute_move_ids,
                "paid_date": self.paid_date,
                "paid_reference": self.paid_reference,
                "callback_date": self.callback_date,
                "callback_time": self.callback_time,
            },
            contact_id=self.contact_id.id,
            reason_id=self.reason_id.id,
            direction=self.direction,
            duration=self.duration,
            notes=self.notes,
            next_step=self.next_step,
            recording_ids=[Command.set(recordings.ids)],
        )
        if recordings:
            recordings.res_id = call.id
        # Reload the screen the call was logged from: the planned call leaves the chatter,
        # the worklist and the counters at once.
        return {"type": "ir.actions.client", "tag": "soft_reload"}


class AccountCollectionCallRegisterLine(models.TransientModel):
    _name = "account.collection.call.register.line"
    _description = "Promise Instalment"
    _order = "date, id"

    wizard_id = fields.Many2one("account.collection.call.register", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    amount = fields.Monetary(required=True)
    date = fields.Date(required=True)
