"""Credit hold: whether a customer's credit status holds its documents, why, and the daily
review that logs a customer going on hold or being released. The terms themselves (limit,
tolerance, manual hold) and the exposure they are measured against are in res_partner.py."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..const import MANAGER
from .res_partner import EXPOSURE_FIELDS


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------
    # Credit status
    # ------------------------------------------------------------------
    @api.model
    def _collection_status(self, hold, warn):
        """The credit status of a customer with these hold and warning reasons in the current
        company: *hold* only where the company blocks something for customers on hold (invoices,
        or with the bridges orders or deliveries); elsewhere nothing is held, and the reasons are
        a warning."""
        if hold and self.env.company.sudo()._collection_blocks_on_hold():
            return "hold"
        return "warning" if hold or warn else "normal"

    @api.depends_context("company")
    def _compute_collection_credit_status(self):
        reasons = self._collection_hold_reasons(text=False, exposure=self._collection_exposure_from_fields())
        for partner in self:
            hold, warn = reasons.get(partner.id, ([], []))
            partner.collection_credit_status = self._collection_status(hold, warn)

    @api.depends_context("company")
    def _compute_collection_hold_reasons(self):
        reasons = self._collection_hold_reasons(exposure=self._collection_exposure_from_fields())
        for partner in self:
            hold, warn = reasons.get(partner.id, ([], []))
            partner.collection_hold_reasons = "\n".join(hold + warn)

    def _search_collection_credit_status(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            return NotImplemented
        values = {value} if isinstance(value, str) else set(value or ())
        candidates = self.browse(self._collection_receivable_partner_ids())
        candidates |= self.with_context(active_test=False).search([("collection_hold_manual", "=", True)])
        statuses = dict.fromkeys(candidates.ids, "normal")
        for partner_id, (hold, warn) in candidates._collection_hold_reasons(text=False).items():
            statuses[partner_id] = self._collection_status(hold, warn)
        matching = [pid for pid, status in statuses.items() if status in values]
        positive = operator in ("=", "in")
        if "normal" in values:
            # Every partner without open items is normal too.
            others = [pid for pid, status in statuses.items() if status not in values]
            return [("id", "not in" if positive else "in", others)]
        return [("id", "in" if positive else "not in", matching)]

    # ------------------------------------------------------------------
    # Business: credit rules
    # ------------------------------------------------------------------
    def _collection_hold_reasons(self, extra_amounts=None, text=True, exposure=None):
        """Why each partner of `self` is on hold or in warning.

        :param extra_amounts: {commercial partner id: amount} of a document about to be
            posted, added to the exposure for the credit limit rule.
        :param text: False when only the status matters: the reasons are then the rules'
            keys, and no sentence or amount is formatted (lists of thousands of customers).
        :param exposure: the figures to judge, as ``_collection_exposure_by_partner`` with
            broken promises returns them; by default, read from the database now.
        :return: {partner id: ([hold reasons], [warning reasons])}
        """
        extra_amounts = extra_amounts or {}
        company = self.env.company.sudo()
        currency = company.currency_id
        say = self._collection_reason_sentences(currency) if text else (lambda key, **_values: key)
        today = fields.Date.context_today(self)
        if exposure is None:
            exposure = self._collection_exposure_by_partner(broken_promises=True)
        use_limit = company.account_use_credit_limit
        # One env for every commercial partner, so company-dependent terms load in one query.
        terms_env = self.sudo().with_company(company).env
        extra_reasons = self.commercial_partner_id.with_env(terms_env)._collection_extra_hold_reasons(
            exposure
        )
        committed = (
            self.commercial_partner_id.with_env(terms_env)._collection_committed_amounts()
            if use_limit
            else {}
        )
        result = {}
        for partner in self:
            commercial = partner.commercial_partner_id.with_env(terms_env)
            figures = exposure.get(commercial.id, dict.fromkeys(EXPOSURE_FIELDS, 0))
            hold, warn = [], []
            if commercial.collection_hold_manual:
                hold.append(say("manual", reason=commercial.collection_hold_reason))
            tolerance_valid = not commercial.collection_tolerance_until or (
                commercial.collection_tolerance_until >= today
            )
            tol_days = commercial.collection_tolerance_days if tolerance_valid else 0
            tol_amount = commercial.collection_tolerance_amount if tolerance_valid else 0.0
            overdue_days = figures["collection_overdue_days"]
            overdue_amount = figures["collection_overdue_amount"]
            if overdue_days > tol_days:
                hold.append(say("days", days=overdue_days, tolerance=tol_days))
            if currency.compare_amounts(overdue_amount, tol_amount) > 0:
                hold.append(say("amount", amount=overdue_amount, tolerance=tol_amount))
            limit = commercial.credit_limit
            if use_limit and limit:
                exposure_total = (
                    figures["collection_open_amount"]
                    + committed.get(commercial.id, 0.0)
                    + extra_amounts.get(commercial.id, 0.0)
                )
                if currency.compare_amounts(exposure_total, limit) > 0:
                    message = say("limit", exposure=exposure_total, limit=limit)
                    (hold if company.collection_limit_policy == "block" else warn).append(message)
            hold.extend(extra_reasons.get(commercial.id, []))
            if not hold and not warn and overdue_amount > 0:
                warn.append(say("within"))
            result[partner.id] = (hold, warn)
        return result

    def _collection_reason_sentences(self, currency):
        """say(rule, **values): the sentence of a hold or warning rule, amounts in `currency`."""
        fmt = currency.format
        sentences = {
            "manual": lambda reason: self.env._(
                "Put on hold by a manager: %(reason)s", reason=reason or self.env._("no reason given")
            ),
            "days": lambda days, tolerance: self.env._(
                "Overdue for %(days)s days, more than the %(tolerance)s days tolerated.",
                days=days,
                tolerance=tolerance,
            ),
            "amount": lambda amount, tolerance: self.env._(
                "Overdue amount %(amount)s exceeds the tolerated %(tolerance)s.",
                amount=fmt(amount),
                tolerance=fmt(tolerance),
            ),
            "limit": lambda exposure, limit: self.env._(
                "Exposure %(exposure)s exceeds the credit limit of %(limit)s.",
                exposure=fmt(exposure),
                limit=fmt(limit),
            ),
            "within": lambda: self.env._("Overdue within the tolerance agreed by management."),
        }
        return lambda rule, **values: sentences[rule](**values)

    @api.model
    def _collection_override_reason(self, reason):
        """The reason a collections manager gives to go ahead (post, confirm, deliver) for a
        customer on credit hold: managers only, and a reason, or nothing happens."""
        if not self.env.user.has_group(MANAGER):
            raise AccessError(
                self.env._("Only collections managers can go ahead for a customer on credit hold.")
            )
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give the reason for going ahead despite the credit hold."))
        return reason

    @api.model
    def _collection_check_override_vals(self, vals_list):
        """A document's override reason (invoice, order, delivery) is set by a collections
        manager going ahead for a customer on hold, never by anyone else, on create or write."""
        if any("collection_hold_override_reason" in vals for vals in vals_list):
            if not self.env.su and not self.env.user.has_group(MANAGER):
                raise AccessError(
                    self.env._("Only collections managers can go ahead for a customer on credit hold.")
                )

    def _collection_committed_amounts(self):
        """{commercial partner id: amount committed but not yet invoiced, in company currency},
        counted in the exposure against the credit limit. Nothing here; the sales bridge adds
        confirmed sales orders not yet invoiced, as Odoo's own credit limit warning does."""
        return {}

    def _collection_extra_hold_reasons(self, exposure):
        """{commercial partner id: [hold reasons]} beyond terms and limit, for the whole recordset.

        `exposure` is what ``_collection_exposure_by_partner(broken_promises=True)`` returned.
        Here: more broken promises in 90 days than the company tolerates.
        """
        limit = self.env.company.sudo().collection_broken_promise_limit
        if not limit or not self:
            return {}
        counts = {partner_id: figures["broken_promises"] for partner_id, figures in exposure.items()}
        return {
            partner_id: [
                self.env._(
                    "%(count)s broken promises in 90 days, more than the %(limit)s tolerated.",
                    count=count,
                    limit=limit,
                )
            ]
            for partner_id, count in counts.items()
            if count > limit
        }

    def _collection_check_hold(self, amounts):
        """Raise if posting documents of `amounts` ({partner id: amount}) would break credit terms."""
        reasons = self._collection_hold_reasons(extra_amounts=amounts)
        messages = []
        for partner in self:
            hold = reasons[partner.id][0]
            if hold:
                messages.append(
                    self.env._(
                        "%(partner)s is on credit hold:\n- %(reasons)s",
                        partner=partner.display_name,
                        reasons="\n- ".join(hold),
                    )
                )
        if messages:
            raise UserError("\n\n".join(messages))

    def _collection_log_status_changes(self):
        """Post on the chatter when a customer goes on hold or is released, once per change."""
        reasons = self._collection_hold_reasons()
        # Bookkeeping, not a change anyone made: no tracking (it would also compare the
        # company-dependent collector of one company with another's, "A → None").
        untracked = self.sudo().with_context(mail_notrack=True)
        for partner in self:
            hold, warn = reasons[partner.id]
            status = self._collection_status(hold, warn)
            previous = partner.sudo().collection_logged_status or "normal"
            # Only a real change is news: a customer still over its terms where the company
            # stopped blocking is not "released".
            if (status == "hold") == (previous == "hold") or (previous == "hold" and hold):
                if status != previous:
                    untracked.browse(partner.id).collection_logged_status = status
                continue
            if status == "hold":
                body = self.env._("Credit hold: %(reasons)s", reasons="; ".join(hold))
            else:
                body = self.env._("Credit hold released: the customer is back within its terms.")
            untracked.browse(partner.id).collection_logged_status = status
            partner.message_post(body=body)

    # ------------------------------------------------------------------
    # Cron
    # ------------------------------------------------------------------
    @api.model
    def _cron_collection_credit_review(self):
        """Daily: lapse expired tolerances and log hold / release of every debtor."""
        today = fields.Date.context_today(self)
        for company in self.env["res.company"].sudo().search([], limit=None):
            partners = self.sudo().with_company(company)
            expired = partners.search([("collection_tolerance_until", "<", today)])
            for partner in expired:
                partner.message_post(
                    body=self.env._(
                        "The tolerance agreed until %(date)s has lapsed.",
                        date=partner.collection_tolerance_until,
                    )
                )
            # The message above says it; tracking would also compare the company-dependent
            # fields of one company with another's.
            expired.sudo().with_context(mail_notrack=True).write(
                {
                    "collection_tolerance_days": 0,
                    "collection_tolerance_amount": 0.0,
                    "collection_tolerance_until": False,
                }
            )
            ids = set(partners._collection_receivable_partner_ids())
            ids |= set(partners.search([("collection_logged_status", "=", "hold")]).ids)
            partners.browse(ids)._collection_log_status_changes()
