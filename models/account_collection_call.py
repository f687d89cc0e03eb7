from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date, html2plaintext

from ..const import CALL_TYPE, MANAGER, TODO_TYPE
from ..grant import CLOSE_CALL, grant

REVIEW_FIELDS = {"review_state", "review_rating", "review_comment", "reviewer_id", "review_date"}
# Set by the review actions only.
REVIEW_STATE_FIELDS = {"review_state", "reviewer_id", "review_date"}


class AccountCollectionCall(models.Model):
    """A logged collection call: who, when, about which invoices, and how it ended."""

    _name = "account.collection.call"
    _description = "Collection Call"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    contact_id = fields.Many2one("res.partner", string="Contact Person")
    user_id = fields.Many2one(
        "res.users", string="Collector", required=True, index=True, default=lambda self: self.env.user
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    direction = fields.Selection([("out", "Outgoing"), ("in", "Incoming")], required=True, default="out")
    duration = fields.Float(string="Duration (min)")
    move_ids = fields.Many2many(
        "account.move",
        "account_collection_call_move_rel",
        "call_id",
        "move_id",
        string="Invoices Discussed",
        check_company=True,
    )
    outcome_id = fields.Many2one("account.collection.outcome", required=True, index=True)
    outcome_type = fields.Selection(related="outcome_id.outcome_type", store=True)
    reason_id = fields.Many2one(
        "account.collection.reason",
        string="Reason Given",
        index="btree_not_null",
        help="What the customer says keeps it from paying.",
    )
    notes = fields.Html()
    next_step = fields.Char()
    next_date = fields.Date(string="Next Step On")
    level_id = fields.Many2one("account.collection.ladder.level", string="Ladder Level")
    activity_summary = fields.Char(
        string="Planned As", help="The collection call activity this call completed."
    )
    recording_ids = fields.Many2many(
        "ir.attachment",
        "account_collection_call_attachment_rel",
        "call_id",
        "attachment_id",
        string="Recordings",
    )
    promise_ids = fields.One2many("account.collection.promise", "call_id", string="Promises")
    review_state = fields.Selection(
        [("to_review", "To Review"), ("reviewed", "Reviewed"), ("rework", "Rework Requested")],
        default="to_review",
        required=True,
        index=True,
        tracking=True,
    )
    review_rating = fields.Selection(
        [("1", "Poor"), ("2", "Fair"), ("3", "Good"), ("4", "Very good"), ("5", "Excellent")]
    )
    review_comment = fields.Text()
    reviewer_id = fields.Many2one("res.users", readonly=True)
    review_date = fields.Date(readonly=True)

    @api.depends("partner_id", "outcome_id", "date")
    def _compute_name(self):
        for call in self:
            call.name = self.env._(
                "%(partner)s: %(outcome)s",
                partner=call.partner_id.name or "",
                outcome=call.outcome_id.name or "",
            )

    def write(self, vals):
        if not self.env.su:
            if REVIEW_FIELDS & set(vals) and not self.env.user.has_group(MANAGER):
                raise AccessError(self.env._("Only collections managers review calls."))
            if REVIEW_STATE_FIELDS & set(vals):
                raise UserError(
                    self.env._("A call's review changes only through Reviewed and Request Rework.")
                )
        return super().write(vals)

    def action_review(self, state="reviewed"):
        """Manager review: reviewed, or sent back to the collector for rework."""
        if not self.env.user.has_group(MANAGER):
            raise AccessError(self.env._("Only collections managers review calls."))
        if state not in ("reviewed", "rework"):
            raise UserError(self.env._("A review marks a call reviewed or asks for rework."))
        self.check_access("write")
        self.sudo().write(
            {
                "review_state": state,
                "reviewer_id": self.env.user.id,
                "review_date": fields.Date.context_today(self),
            }
        )
        if state == "rework":
            for call in self:
                call.message_post(
                    body=self.env._("Rework requested: %(comment)s", comment=call.review_comment or ""),
                    partner_ids=call.user_id.partner_id.ids,
                )
        return True

    def action_request_rework(self):
        return self.action_review("rework")

    # ------------------------------------------------------------------
    # Business: record a call and what its outcome implies
    # ------------------------------------------------------------------
    @api.model
    def _collection_check_moves(self, partner, moves):
        """Entries discussed must be customer invoices, or entries on the customer's receivable
        (opening balances, manual entries), of this customer and company."""
        commercial = partner.commercial_partner_id
        if not commercial.active:
            raise ValidationError(self.env._("%(partner)s is archived.", partner=commercial.display_name))
        if moves.filtered(lambda m: m.move_type not in ("out_invoice", "entry") or not m._collection_items()):
            raise ValidationError(
                self.env._(
                    "Only customer invoices and entries on the customer's receivable can be discussed, "
                    "not credit notes or bills."
                )
            )
        if moves.filtered(lambda m: m._collection_customer() != commercial):
            raise ValidationError(
                self.env._("Every invoice must belong to %(partner)s.", partner=commercial.display_name)
            )
        if moves.filtered(lambda m: m.company_id != self.env.company):
            raise ValidationError(self.env._("Every invoice must belong to the current company."))

    @api.model
    def _collection_log(self, partner, outcome, moves, activity=None, details=None, **call_vals):
        """Record a call and carry out its outcome's follow-up; close the planned activity.

        ``details`` holds what the outcome needs: ``lines`` [(amount, date)] and ``total`` for a
        promise, ``reason`` and ``dispute_moves`` for a dispute, ``paid_date`` and
        ``paid_reference``, ``callback_date`` and ``callback_time``.
        """
        details = details or {}
        partner = partner.commercial_partner_id
        self._collection_check_moves(partner, moves)
        today = fields.Date.context_today(self)
        kind = outcome.outcome_type
        currency = None
        if kind == "promise":
            currency = self.env["account.collection.promise"]._collection_check_terms(
                moves, details.get("lines"), details.get("total")
            )
        elif kind == "dispute":
            disputed = details.get("dispute_moves") or moves
            if not (details.get("reason") or "").strip():
                raise ValidationError(self.env._("Say what the customer disputes."))
            if not disputed:
                raise ValidationError(self.env._("Choose the disputed invoices."))
            self._collection_check_moves(partner, disputed)
        elif kind == "paid":
            if not details.get("paid_date") or details["paid_date"] > today:
                raise ValidationError(
                    self.env._("Give the date the customer says it paid (not in the future).")
                )
        elif kind == "call_back":
            if not details.get("callback_date") or details["callback_date"] < today:
                raise ValidationError(self.env._("Give the day to call back (today or later)."))
        call = self.create(
            {
                "partner_id": partner.id,
                "outcome_id": outcome.id,
                "move_ids": [Command.set(moves.ids)],
                "activity_summary": activity.summary if activity else False,
                "level_id": moves[:1].collection_level_id.id,
                **call_vals,
            }
        )
        follow_up = getattr(call, f"_collection_follow_up_{kind}")
        follow_up(moves, details, currency)
        summary = call._collection_summary_text()
        if activity:
            # The planned call's "done" message on the customer is the call's one message.
            with grant(self.env, CLOSE_CALL, activity.ids):
                activity.action_feedback(feedback=summary)
        body = Markup("<br/>").join(summary.split("\n"))
        if not activity:
            partner.message_post(body=body)
        for move in moves:
            move.message_post(body=body)
        return call

    def _collection_summary_text(self):
        """The call in the chatter: who, the outcome, the reason given, the next step and the
        notes (as text)."""
        self.ensure_one()
        parts = [
            self.env._(
                "Collection call by %(user)s: %(outcome)s",
                user=self.user_id.name,
                outcome=self.outcome_id.name,
            )
        ]
        if self.reason_id:
            parts.append(self.env._("Reason given: %(reason)s", reason=self.reason_id.name))
        if self.next_step:
            parts.append(self.env._("Next step: %(step)s", step=self.next_step))
        notes = html2plaintext(self.notes or "").strip()
        if notes:
            parts.append(notes)
        return "\n".join(parts)

    def _collection_next_workday(self, moves):
        today = fields.Date.context_today(self)
        workdays = moves._collection_workdays(self.company_id, today)
        return workdays.shift(today + timedelta(days=1), 0) or today + timedelta(days=1)

    def _collection_task(self, activity_type, user, summary, day, note=False, call_time=0.0):
        return self.partner_id._collection_task(
            activity_type, user, summary, day, note=note, call_time=call_time, company=self.company_id
        )

    def _collection_manager(self, moves):
        return moves._collection_manager(self.company_id, self.user_id)

    def _collection_escalate(self, moves, reason):
        """Refusals and exhausted retries: the next level falls due tomorrow, the manager is told."""
        moves._collection_bring_forward(self._collection_next_workday(moves))
        self._collection_task(
            TODO_TYPE, self._collection_manager(moves), reason, fields.Date.context_today(self)
        )

    def _collection_follow_up_promise(self, moves, details, currency):
        lines = sorted(details["lines"], key=lambda line: line[1])
        self.env["account.collection.promise"].create(
            [
                {
                    "partner_id": self.partner_id.id,
                    "company_id": self.company_id.id,
                    "move_ids": [Command.set(moves.ids)],
                    "currency_id": currency.id,
                    "amount": amount,
                    "date": day,
                    "source": "call",
                    "call_id": self.id,
                    "user_id": self.user_id.id,
                    "instalment": index,
                    "instalment_count": len(lines),
                }
                for index, (amount, day) in enumerate(lines, 1)
            ]
        )

    def _collection_follow_up_paid(self, moves, details, currency):
        self._collection_task(
            TODO_TYPE,
            self._collection_manager(moves),
            self.env._(
                "Check the payment the customer says it made on %(date)s (%(reference)s)",
                date=format_date(self.env, details["paid_date"]),
                reference=details.get("paid_reference") or self.env._("no reference"),
            ),
            fields.Date.context_today(self),
        )

    def _collection_follow_up_dispute(self, moves, details, currency):
        disputed = details.get("dispute_moves") or moves
        disputed.sudo().write({"collection_disputed": True})
        for move in disputed:
            move.message_post(body=self.env._("Disputed: %(reason)s", reason=details["reason"]))
        owner = self.partner_id.user_id or self._collection_manager(moves)
        self._collection_task(
            TODO_TYPE,
            owner,
            self.env._("Resolve the dispute: %(reason)s", reason=details["reason"]),
            fields.Date.context_today(self),
        )

    def _collection_follow_up_refused(self, moves, details, currency):
        self._collection_escalate(
            moves, self.env._("%(partner)s refused to pay", partner=self.partner_id.name)
        )

    def _collection_follow_up_no_answer(self, moves, details, currency):
        retries = self.company_id.sudo().collection_call_retries
        recent = self.search(
            [("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id)],
            order="date desc, id desc",
            limit=retries + 1,
        )
        unanswered = 0
        for call in recent:
            if call.outcome_type != "no_answer":
                break
            unanswered += 1
        if unanswered <= retries:
            self._collection_task(
                CALL_TYPE,
                self.user_id,
                self.env._("Call again (no answer %(count)s of %(max)s)", count=unanswered, max=retries),
                self._collection_next_workday(moves),
            )
        else:
            self._collection_escalate(
                moves,
                self.env._(
                    "%(partner)s did not answer %(count)s calls",
                    partner=self.partner_id.name,
                    count=unanswered,
                ),
            )

    def _collection_follow_up_wrong_contact(self, moves, details, currency):
        self._collection_task(
            TODO_TYPE,
            self.user_id,
            self.env._("Find the right contact at %(partner)s", partner=self.partner_id.name),
            self._collection_next_workday(moves),
        )

    def _collection_follow_up_call_back(self, moves, details, currency):
        hours, minutes = divmod(round((details.get("callback_time") or 0.0) * 60), 60)
        self._collection_task(
            CALL_TYPE,
            self.user_id,
            self.env._("Call back at %(time)s", time=f"{hours:02d}:{minutes:02d}"),
            details["callback_date"],
            call_time=details.get("callback_time") or 0.0,
        )

    def _collection_follow_up_satisfied(self, moves, details, currency):
        return
