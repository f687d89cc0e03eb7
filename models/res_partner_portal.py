"""Debtors help themselves: the customer's collection page on the portal.

A signed link (in every reminder e-mail and letter) opens, without logging in, the page of one
customer: what is overdue and what is coming due (the demand the ladder makes: the same netted
items), credits, the total to pay, the reminders and letters sent, the promises, the disputes
and where they stand. From it the customer promises to pay or disputes an invoice. The rules
live here; the controller only reads the request and renders.

The link is an HMAC of the customer, the day it was issued and the customer's link generation:
nothing is written when links are made (a daily run makes thousands), a link expires after the
company's *Portal Link Validity*, and a manager revokes every link of a customer at once.
"""

import hmac as std_hmac
from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date
from odoo.tools.misc import hmac

from ..const import MANAGER, TODO_TYPE

PORTAL_SCOPE = "account_collections.portal"
# History rows the page lists, newest first.
PORTAL_HISTORY = 20
# Days the page still shows a dispute resolved (the invoice is demanded again: the customer
# learns why).
PORTAL_RESOLVED_DAYS = 60


class ResPartner(models.Model):
    _inherit = "res.partner"

    collection_portal_generation = fields.Integer(
        string="Portal Link Generation",
        copy=False,
        groups=MANAGER,
        help="Raised when a manager revokes the customer's portal links: links signed before stop working.",
    )

    # ------------------------------------------------------------------
    # The signed link
    # ------------------------------------------------------------------
    def _collection_portal_signature(self, issued):
        self.ensure_one()
        partner = self.sudo()
        return hmac(
            self.env(su=True),
            PORTAL_SCOPE,
            (partner.id, issued.isoformat(), partner.collection_portal_generation),
        )

    def _collection_portal_path(self, issued=None):
        commercial = self.commercial_partner_id
        issued = issued or fields.Date.context_today(self)
        signature = commercial._collection_portal_signature(issued)
        return f"/collections/{commercial.id}/{issued.isoformat()}/{signature}"

    def _collection_portal_url(self, issued=None):
        """The customer's page, signed today: for the reminder e-mails and letters."""
        # The sending company's address (with several websites, the partner's may be another's).
        return self.env.company.get_base_url() + self._collection_portal_path(issued)

    @api.model
    def _collection_portal_customer(self, partner_id, issued, signature):
        """The customer a link opens, in sudo; AccessError for a wrong, revoked or expired link
        (the controller answers 404 alike, telling nothing of which)."""
        refused = AccessError(self.env._("This link is not valid any more: ask your contact for a new one."))
        try:
            day = date.fromisoformat(issued)
        except (TypeError, ValueError):
            raise refused from None
        partner = self.sudo().browse(partner_id).exists()
        if not partner or partner.commercial_partner_id != partner:
            raise refused
        today = fields.Date.context_today(self)
        # The strictest validity of the companies it owes (a customer who paid everything keeps
        # the current company's, to see that nothing is owed).
        companies = partner._collection_portal_companies() or self.env.company.sudo()
        days = min(company.collection_portal_link_days for company in companies)
        # A day of slack ahead: the link is signed on the sender's day, checked on the
        # server's (time zones).
        if day > today + timedelta(days=1) or day < today - timedelta(days=days):
            raise refused
        if not std_hmac.compare_digest(str(signature), partner._collection_portal_signature(day)):
            raise refused
        return partner

    def action_collection_revoke_portal_links(self):
        """Every link sent to these customers stops working; the next reminder carries a new one."""
        if not self.env.user.has_group(MANAGER):
            raise AccessError(self.env._("Only collections managers can revoke portal links."))
        for partner in self.commercial_partner_id.sudo():
            partner.collection_portal_generation += 1
            partner.message_post(
                body=self.env._("Portal links revoked by %(user)s.", user=self.env.user.name),
                subtype_xmlid="mail.mt_note",
            )
        return True

    # ------------------------------------------------------------------
    # What the page shows
    # ------------------------------------------------------------------
    def _collection_portal_companies(self):
        """Companies where this customer has open receivable items (a link shows them all)."""
        self.ensure_one()
        rows = (
            self.env["account.move.line"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "child_of", self.id),
                    ("parent_state", "=", "posted"),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("reconciled", "=", False),
                    ("amount_residual", ">", 0),
                ],
                ["company_id"],
            )
        )
        return self.env["res.company"].sudo().browse([company.id for (company,) in rows])

    def _collection_portal_values(self):
        """Per company: the demand (as reminders state it), open promises, reminders and letters."""
        self.ensure_one()
        partner = self.sudo()
        sections = []
        for company in partner._collection_portal_companies():
            customer = partner.with_company(company).with_context(lang=partner.lang or self.env.lang)
            values = customer._collection_reminder_values()
            demand = customer._collection_demand()
            currency = customer.env["res.currency"].browse(demand.currency_id)
            invoice_items = customer._collection_portal_payable_items(demand)
            payable_items = [
                item for item in invoice_items if not currency.is_zero(item.get("still_due", item["value"]))
            ]
            payable = [
                {
                    "move_id": item["move_id"],
                    "name": item["name"],
                    "amount": currency.format(item.get("still_due", item["value"])),
                }
                for item in payable_items
            ]
            history = (
                self.env["account.collection.history"]
                .sudo()
                .search(
                    [
                        ("partner_id", "=", partner.id),
                        ("company_id", "=", company.id),
                        "|",
                        ("did_email", "=", True),
                        ("did_letter", "=", True),
                    ],
                    order="date desc, id desc",
                    limit=PORTAL_HISTORY,
                )
            )
            promises = (
                self.env["account.collection.promise"]
                .sudo()
                .search(
                    [("partner_id", "=", partner.id), ("company_id", "=", company.id)],
                    order="date desc, id desc",
                    limit=PORTAL_HISTORY,
                )
            )
            disputable = (
                self.env["account.move"]
                .sudo()
                .browse(
                    {
                        item["move_id"]
                        for item in demand.due + demand.held + demand.not_due
                        if item.get("move_id")
                    }
                )
            )
            invoices = disputable.filtered(lambda m: m.move_type == "out_invoice").sorted(
                lambda m: (m.invoice_date_due or m.date, m.id)
            )
            # Disputes under review (open invoices), then those resolved lately (paid since or not).
            resolved = (
                self.env["account.move"]
                .sudo()
                .search(
                    [
                        ("commercial_partner_id", "=", partner.id),
                        ("company_id", "=", company.id),
                        ("move_type", "=", "out_invoice"),
                        ("state", "=", "posted"),
                        ("collection_disputed", "=", False),
                        (
                            "collection_dispute_resolved_date",
                            ">=",
                            demand.today - timedelta(days=PORTAL_RESOLVED_DAYS),
                        ),
                    ],
                    order="collection_dispute_resolved_date desc, id desc",
                    limit=PORTAL_HISTORY,
                )
            )
            sections.append(
                {
                    "company": company,
                    "letter": values,
                    "net": demand.net,
                    "currency": currency,
                    "history": history,
                    "promises": promises,
                    "invoices": invoices,
                    "disputes": invoices.filtered("collection_disputed") + resolved,
                    "promise_limit": customer._collection_portal_promise_limit(demand),
                    "payable": payable,
                    # What a promise may cover: the overdue invoices, credits deducted.
                    "promisable": sum(item["still_due"] for item in invoice_items if not item["promised"]),
                    "payable_total": currency.format(
                        sum(item.get("still_due", item["value"]) for item in payable_items)
                    ),
                    # Promised invoices are payable but not demanded: the page says why the
                    # amount to pay online exceeds what is due now.
                    "payable_promised": any(item.get("promised") for item in payable_items),
                }
            )
        return {"partner": partner, "sections": sections}

    # ------------------------------------------------------------------
    # What the customer does from it
    # ------------------------------------------------------------------
    def _collection_portal_promise_limit(self, demand=None):
        """The latest date this customer may promise without its collector's agreement: its
        approved tolerance counted from its oldest overdue item, or the company's self-service
        days from today, whichever is later (both default to none: only today), and never beyond
        the company's promise horizon (no promise may be dated later, however it is taken)."""
        self.ensure_one()
        partner = self.sudo()
        company = self.env.company.sudo()
        demand = demand or partner._collection_demand()
        today = demand.today
        limit = today + timedelta(days=company.collection_portal_promise_days)
        tolerated = partner.collection_tolerance_days and (
            not partner.collection_tolerance_until or partner.collection_tolerance_until >= today
        )
        if tolerated and demand.due:
            oldest = min(item["due"] for item in demand.due)
            limit = max(limit, oldest + timedelta(days=partner.collection_tolerance_days))
        # A date past the horizon is a request for the collector, not a promise refused.
        return min(limit, today + timedelta(days=company.collection_promise_horizon))

    def _collection_portal_promise(self, lines):
        """A promise made on the portal, [(amount, date)]: one line, or instalments. Recorded
        and evaluated like a promise taken by phone when it covers all that is owed by dates
        within the limit; otherwise a request for the collector. Returns 'promise' or
        'request'. Runs in the current company (the section of the page the customer acted
        on)."""
        self.ensure_one()
        partner = self.sudo()
        demand = partner._collection_demand()
        currency = self.env["res.currency"].browse(demand.currency_id)
        moves = (
            self.env["account.move"]
            .sudo()
            .browse({item["move_id"] for item in demand.due})
            .filtered(lambda m: m.move_type == "out_invoice")
        )
        # A promise covers invoices (other entries, such as opening balances, stay with the
        # collector): what it may cover is what is left of them once credits are deducted.
        owed = sum(item["still_due"] for item in demand.due if item["move_id"] in moves.ids)
        if not moves or currency.is_zero(owed):
            raise UserError(self.env._("Nothing is overdue: there is nothing to promise."))
        collector = partner._collection_collector()
        if len(moves.currency_id) > 1 or moves.currency_id != currency:
            raise UserError(
                self.env._(
                    "Your overdue invoices are in several currencies: please contact %(user)s.",
                    user=collector.name,
                )
            )
        lines = [(amount, day) for amount, day in lines if amount or day]
        if not lines:
            raise ValidationError(self.env._("A promise needs an amount and a date."))
        today = demand.today
        for amount, day in lines:
            if not amount or currency.compare_amounts(amount, 0) <= 0:
                raise ValidationError(self.env._("A promised amount must be greater than zero."))
            if not day or day < today:
                raise ValidationError(self.env._("A promised date cannot be in the past."))
        if len({day for _amount, day in lines}) < len(lines):
            raise ValidationError(self.env._("Give each instalment its own date."))
        lines.sort(key=lambda line: line[1])
        total = sum(amount for amount, _day in lines)
        if currency.compare_amounts(total, owed) > 0:
            raise ValidationError(
                self.env._("You owe %(net)s: promise no more than that.", net=currency.format(owed))
            )
        limit = partner._collection_portal_promise_limit(demand)
        # What the collector reads is in the collector's language, not the customer's.
        staff = self.with_context(lang=collector.lang or self.env.lang).env
        text = ", ".join(
            staff._("%(amount)s by %(date)s", amount=currency.format(amount), date=format_date(staff, day))
            for amount, day in lines
        )
        # A promise the customer makes alone covers all it owes, by dates it may choose alone:
        # a part of the debt (a token amount would pause the whole demand) or a later date is
        # a request the collector agrees to or not.
        if lines[-1][1] > limit or currency.compare_amounts(total, owed) < 0:
            summary = staff._("Portal: the customer asks to pay %(terms)s", terms=text)
            if lines[-1][1] > limit:
                note = staff._(
                    "Beyond the date the customer may promise alone (%(limit)s): agree or call back.",
                    limit=format_date(staff, limit),
                )
            else:
                note = staff._("Less than the %(net)s owed: agree or call back.", net=currency.format(owed))
            partner._collection_portal_task(collector, summary, note)
            partner.message_post(
                body=summary + " — " + note, subtype_xmlid="mail.mt_note", author_id=partner.id
            )
            return "request"
        Promise = self.env["account.collection.promise"]
        Promise._collection_check_terms(moves, lines)
        Promise.sudo().create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": self.env.company.id,
                    "move_ids": [fields.Command.set(moves.ids)],
                    "currency_id": currency.id,
                    "amount": amount,
                    "date": day,
                    "date_start": today,
                    "source": "portal",
                    "user_id": collector.id,
                    "instalment": index,
                    "instalment_count": len(lines),
                }
                for index, (amount, day) in enumerate(lines, 1)
            ]
        )
        summary = staff._("Portal: the customer promised to pay %(terms)s", terms=text)
        partner._collection_portal_task(collector, summary)
        partner.message_post(body=summary, subtype_xmlid="mail.mt_note", author_id=partner.id)
        return "promise"

    def _collection_portal_payable_items(self, demand):
        """The demand's items payable online: overdue invoices, promised ones included (a
        customer pays what it promised), disputed ones and other entries left out."""
        moves = self.env["account.move"].sudo().browse({item["move_id"] for item in demand.due + demand.held})
        invoices = set(moves.filtered(lambda m: m.move_type in ("out_invoice", "out_receipt")).ids)
        items = [item for item in demand.due if item["move_id"] in invoices]
        # Credits the demand did not need (it left the promised items out) go to the promised
        # ones, oldest due first, as they do to the demanded ones: the customer is never asked
        # online for more than it owes, credits deducted.
        left = demand.credit_left
        for item in sorted(demand.held, key=lambda held: (held["due"], held["id"])):
            if item["promised"] and not item["disputed"] and item["move_id"] in invoices:
                used = min(left, item["value"])
                left -= used
                items.append({**item, "still_due": item["value"] - used} if used else item)
        return items

    def _collection_portal_payable(self, move_ids=None):
        """(invoices, amount, currency, items to settle) the customer pays online in the
        current company: its overdue invoices (those it promised to pay too; not the disputed
        ones), or those of them it chose (`move_ids`), for what is left of them once its
        credits are deducted (the demand's own allocation: credits settle the oldest items
        first).

        Other overdue items (opening balances, manual entries) are not paid online: a payment
        provider pays invoices. Paying everything, the credits those items take are matched
        with them too (the items to settle: every demanded item). Raises UserError when
        nothing can be paid, a chosen invoice is not among them, or they are in several
        currencies."""
        self.ensure_one()
        demand = self.sudo()._collection_demand()
        currency = self.env["res.currency"].browse(demand.currency_id)
        items = self._collection_portal_payable_items(demand)
        settle = [item["id"] for item in demand.due] + [
            item["id"] for item in items if item not in demand.due
        ]
        if move_ids and set(move_ids) != {item["move_id"] for item in items}:
            chosen = set(move_ids)
            items = [item for item in items if item["move_id"] in chosen]
            if {item["move_id"] for item in items} != chosen:
                raise UserError(self.env._("Choose among the overdue invoices of this page."))
            settle = [item["id"] for item in items]
        moves = self.env["account.move"].sudo().browse(list(dict.fromkeys(item["move_id"] for item in items)))
        amount = sum(item.get("still_due", item["value"]) for item in items)
        if not moves or currency.compare_amounts(amount, 0) <= 0:
            raise UserError(self.env._("Nothing is overdue: there is nothing to pay now."))
        if moves.currency_id != currency:
            raise UserError(
                self.env._(
                    "Your overdue invoices are in several currencies: please contact %(user)s.",
                    user=self.sudo()._collection_collector().name,
                )
            )
        return moves, currency.round(amount), currency, self.env["account.move.line"].sudo().browse(settle)

    def _collection_portal_dispute(self, move_id, reason, attachment=None):
        """The customer disputes one of its open invoices: the invoice is held (the ladder stops
        demanding it, the rest goes on), the reason and the customer's document are logged on the
        invoice, and the collector gets the dispute task."""
        self.ensure_one()
        partner = self.sudo()
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(self.env._("Say why you dispute the invoice."))
        move = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("id", "=", move_id),
                    ("move_type", "=", "out_invoice"),
                    ("commercial_partner_id", "=", partner.id),
                    ("company_id", "=", self.env.company.id),
                ]
            )
        )
        if not move or not move._collection_is_open():
            raise UserError(self.env._("This invoice is not one of your open invoices."))
        if move.collection_disputed:
            raise UserError(self.env._("This invoice is already disputed."))
        move.collection_disputed = True
        attachments = []
        if attachment:
            name, content = attachment
            attachments = [(name, content)]
        collector = partner._collection_collector()
        staff = self.with_context(lang=collector.lang or self.env.lang).env
        move.message_post(
            body=staff._("Disputed by the customer on the portal: %(reason)s", reason=reason),
            attachments=attachments,
            subtype_xmlid="mail.mt_note",
            author_id=partner.id,
        )
        summary = staff._("Portal: the customer disputes %(invoice)s", invoice=move.name)
        partner._collection_portal_task(collector, summary, reason)
        partner.message_post(body=summary + ": " + reason, subtype_xmlid="mail.mt_note", author_id=partner.id)
        return move

    def _collection_portal_task(self, user, summary, note=False):
        """The collector's task about what the customer did on its page, due today; it counts
        for the company of the page's section."""
        return self._collection_task(
            TODO_TYPE, user, summary, fields.Date.context_today(self), note=note, company=self.env.company
        )

    def _collection_portal_letter_pdf(self, history_id):
        """The PDF of a reminder or letter the customer received (one of its own history rows)."""
        self.ensure_one()
        history = (
            self.env["account.collection.history"]
            .sudo()
            .search(
                [
                    ("id", "=", history_id),
                    ("partner_id", "=", self.id),
                    "|",
                    ("did_email", "=", True),
                    ("did_letter", "=", True),
                ]
            )
        )
        if not history:
            raise AccessError(self.env._("This letter is not yours."))
        # The letter as it was sent: the PDF the reminder e-mail carried. A letter printed and
        # posted is drawn again for its day (what was paid since no longer shows on it).
        sent = history.mail_id.attachment_ids.filtered(lambda a: a.mimetype == "application/pdf")[:1]
        if sent:
            return sent.raw
        report = self.env["ir.actions.report"].sudo().with_company(history.company_id)
        return report._render_qweb_pdf(
            "account_collections.account_collection_letter_report_history", history.ids
        )[0]
