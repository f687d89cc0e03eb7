from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

# Each action a level can take, as (field name, label). Kept in one list so the
# engine, the constraint and the views agree on what counts as an action.
LEVEL_ACTIONS = [
    ("action_call", "Phone call"),
    ("action_email", "E-mail"),
    ("action_letter", "Letter"),
    ("action_notify_manager", "Notify manager"),
    ("action_legal", "Legal hand-over"),
]


class AccountCollectionLadder(models.Model):
    """A pressure ladder: the ordered steps every open invoice climbs."""

    _name = "account.collection.ladder"
    _description = "Collection Ladder"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    level_ids = fields.One2many("account.collection.ladder.level", "ladder_id", string="Levels", copy=True)
    user_id = fields.Many2one(
        "res.users",
        string="Default Collector",
        check_company=True,
        tracking=True,
        help="Collector of customers that have neither a collector nor a salesperson.",
    )
    manager_id = fields.Many2one(
        "res.users",
        string="Collections Manager",
        check_company=True,
        tracking=True,
        help="Receives the 'notify manager' steps, broken promises and hand-over requests.",
    )
    handover_amount = fields.Monetary(
        string="Reassign Above Amount",
        currency_field="currency_id",
        help="When a customer's overdue amount exceeds this, it is handed to the escalation "
        "collector. Zero disables the rule.",
    )
    handover_level_sequence = fields.Integer(
        string="Reassign From Level",
        help="When an invoice reaches a level at or beyond this position (1 = first level), "
        "its customer is handed to the escalation collector. Zero disables the rule.",
    )
    handover_user_id = fields.Many2one(
        "res.users", string="Escalation Collector", check_company=True, tracking=True
    )
    note = fields.Html(translate=True)

    @api.constrains("level_ids")
    def _check_level_ids(self):
        for ladder in self:
            if not ladder.level_ids:
                raise ValidationError(
                    self.env._("The ladder %(ladder)s needs at least one level.", ladder=ladder.display_name)
                )

    @api.model_create_multi
    def create(self, vals_list):
        ladders = super().create(vals_list)
        # Constraints only run for fields given: a ladder created without levels needs this.
        # Data files are the exception: they create the levels as nested records just after.
        if not self.env.context.get("install_mode"):
            ladders._check_level_ids()
        return ladders

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        levels = self.with_context(active_test=False).level_ids
        if levels._collection_in_use() or self.env["account.move.line"].sudo().search_count(
            [("collection_ladder_id", "in", self.ids)], limit=1
        ):
            raise UserError(
                self.env._("This ladder has followed invoices: archive it instead of deleting it.")
            )

    def _ordered_levels(self):
        """Active levels in climbing order: sequence, then position, as the views show them."""
        self.ensure_one()
        return self.level_ids.sorted(lambda lvl: (lvl.sequence, lvl.id))

    def _collection_levels_ahead(self, current):
        """(how many of this ladder's active levels an item at level `current` has climbed,
        the levels still ahead of it, in climbing order).

        A level archived while invoices stand on it keeps its place: they go on to the next
        active level instead of starting the ladder again.
        """
        levels = self._ordered_levels()
        if not current:
            climbed = 0
        elif current in levels:
            climbed = list(levels).index(current) + 1
        else:
            key = (current.sequence, current.id)
            climbed = sum(1 for level in levels if (level.sequence, level.id) <= key)
        return climbed, levels[climbed:]


class AccountCollectionLadderLevel(models.Model):
    """One step of a ladder: when it falls due and what it does."""

    _name = "account.collection.ladder.level"
    _description = "Collection Ladder Level"
    _order = "ladder_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, help="Archive a level that invoices or history use.")
    ladder_id = fields.Many2one("account.collection.ladder", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="ladder_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="ladder_id.currency_id")
    reference = fields.Selection(
        [("invoice_date", "Invoice date"), ("due_date", "Due date")],
        required=True,
        default="due_date",
        help="Date the offset counts from.",
    )
    offset_days = fields.Integer(
        string="Offset (working days)",
        help="Working days after the reference date (negative: before it).",
    )
    call_time = fields.Float(default=10.0, help="Time of day the call is planned for.")
    action_call = fields.Boolean(string="Phone Call")
    action_email = fields.Boolean(string="E-mail")
    action_letter = fields.Boolean(string="Letter")
    action_notify_manager = fields.Boolean(string="Notify Manager")
    action_legal = fields.Boolean(string="Legal Hand-over")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain="[('model', '=', 'res.partner')]",
    )
    letter_title = fields.Char(translate=True)
    letter_body = fields.Html(
        translate=True, help="Text of the letter and e-mail for this level, above the invoice table."
    )
    payment_days = fields.Integer(
        string="Pay Within (days)",
        help="Letters of this level state the date payment must arrive by: letter date plus these days.",
    )
    min_amount = fields.Monetary(
        string="Minimum Overdue Amount",
        currency_field="currency_id",
        help="The step is skipped for customers owing less than this (company currency).",
    )
    wait_for_outcome = fields.Boolean(
        string="Wait for Call Outcome",
        help="Do not climb to this level while the previous level's call has no outcome.",
    )
    summary = fields.Char(translate=True, help="Summary of the call activity; defaults to the level name.")
    charge_policy_id = fields.Many2one(
        "account.collection.charge.policy",
        string="Late-Payment Charges",
        domain="['|', ('company_id', '=', False), ('company_id', '=', company_id)]",
        help="Fees and interest posted to the customer when this step is taken (only where the "
        "company enables late-payment charges).",
    )
    talking_points = fields.Html(
        translate=True,
        help="What the collector says on this level's call: the arguments for paying on time and "
        "the reminders of the agreement made. Shown in the call wizard.",
    )

    _ladder_reference_offset_unique = models.Constraint(
        "UNIQUE(ladder_id, reference, offset_days)",
        "Two levels of a ladder cannot fall on the same offset from the same date.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        levels = super().create(vals_list)
        levels._check_has_action()  # also when no action field was given at all
        return levels

    def _collection_in_use(self):
        """Whether items stand on or head for these levels, or history or calls name them."""
        if not self:
            return False
        domains = {
            "account.move.line": [
                "|",
                ("collection_level_id", "in", self.ids),
                ("collection_next_level_id", "in", self.ids),
            ],
            "account.collection.history": [("level_id", "in", self.ids)],
            "account.collection.call": [("level_id", "in", self.ids)],
        }
        return any(self.env[model].sudo().search_count(domain, limit=1) for model, domain in domains.items())

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        if self._collection_in_use():
            raise UserError(
                self.env._(
                    "Invoices or the collection history use these levels: archive them instead of "
                    "deleting them, so that the history keeps the steps taken."
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_last_level(self):
        for ladder in self.ladder_id:
            if not ladder.level_ids - self:
                raise ValidationError(
                    self.env._("The ladder %(ladder)s needs at least one level.", ladder=ladder.display_name)
                )

    @api.constrains("active")
    def _check_ladder_keeps_a_level(self):
        for ladder in self.ladder_id:
            if ladder.active and not ladder.level_ids:
                raise ValidationError(
                    self.env._("The ladder %(ladder)s needs at least one level.", ladder=ladder.display_name)
                )

    @api.constrains(*(name for name, _label in LEVEL_ACTIONS))
    def _check_has_action(self):
        for level in self:
            if not any(level[name] for name, _label in LEVEL_ACTIONS):
                raise ValidationError(
                    self.env._(
                        "The level %(level)s must do something: tick at least one action.", level=level.name
                    )
                )

    def _collection_of_user(self):
        """These levels, read as superuser, when chosen by a user: only those of the user's
        companies (a level id can come from a report's context or a wizard's field, both set by
        the client). Server code (superuser) chooses its levels itself."""
        levels = self.sudo()
        if self.env.su:
            return levels
        return levels.filtered(lambda lvl: lvl.company_id in self.env.user.company_ids)

    def _collection_asks_for_payment(self):
        """Steps from the due date on ask for payment; those before it (delivery, courtesy
        calls) do not, and happen whatever the customer owes."""
        self.ensure_one()
        return self.reference == "due_date" and self.offset_days >= 0

    def _collection_below_minimum(self, amount):
        """Whether a customer owing `amount` (net, company currency) is below the level's
        minimum: the step is skipped."""
        self.ensure_one()
        return bool(self.min_amount) and self.currency_id.compare_amounts(amount, self.min_amount) < 0

    def _collection_has_letter(self):
        """E-mails of a level with a letter (to post, or a title or text) carry it as a PDF."""
        self.ensure_one()
        return bool(self.action_letter or self.letter_title or self.letter_body)

    def _date_for(self, item, workdays):
        """Working day on which this level falls due for the receivable item `item` (its
        ``ItemFacts``; None beyond the known days), counted from the item's maturity or its
        document's date."""
        self.ensure_one()
        return item.step_date(self.reference, self.offset_days, workdays)

    def _collection_is_written(self):
        """A written step (e-mail or letter) is never skipped, even by a late invoice."""
        self.ensure_one()
        return bool(self.action_email or self.action_letter)

    def _collection_gap_after(self, previous):
        """Working days this level comes after `previous` on the ladder: the offsets' difference
        when both count from the same date, and at least one."""
        self.ensure_one()
        if not previous or previous.reference != self.reference:
            return 1
        return max(self.offset_days - previous.offset_days, 1)

    @api.constrains("call_time")
    def _check_call_time(self):
        for level in self:
            if not 0 <= level.call_time < 24:
                raise ValidationError(
                    self.env._("A call time is an hour of the day, between 00:00 and 23:59.")
                )
