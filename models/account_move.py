import logging
import time
from collections import defaultdict
from datetime import timedelta

from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL, split_every

from ..const import CALL_TYPE, MANAGER
from ..grant import CLOSE_CALL, POST_ON_HOLD, grant

_logger = logging.getLogger(__name__)

# Open customer invoices: the only moves a ladder follows.
OPEN_PAYMENT_STATES = ("not_paid", "partial")
# A run tries customers held by another transaction this many times, waiting longer each time.
RUN_ATTEMPTS = 3
RETRY_DELAY = 5  # seconds


class AccountMove(models.Model):
    _inherit = "account.move"

    collection_ladder_id = fields.Many2one("account.collection.ladder", copy=False, index="btree_not_null")
    collection_level_id = fields.Many2one(
        "account.collection.ladder.level", copy=False, index="btree_not_null"
    )
    collection_level_date = fields.Date(string="Level Reached On", copy=False)
    collection_level_sequence = fields.Integer(
        string="Level Number", copy=False, help="Position of the current level in its ladder (1 = first)."
    )
    collection_next_level_id = fields.Many2one(
        "account.collection.ladder.level", string="Next Collection Step", copy=False
    )
    collection_next_date = fields.Date(string="Next Step On", copy=False, index="btree_not_null")
    collection_disputed = fields.Boolean(
        copy=False, tracking=True, help="Disputed invoices pause the ladder."
    )
    collection_history_ids = fields.Many2many(
        "account.collection.history",
        "account_collection_history_move_rel",
        "move_id",
        "history_id",
        copy=False,
    )
    collection_promise_ids = fields.Many2many(
        "account.collection.promise",
        "account_collection_promise_move_rel",
        "move_id",
        "promise_id",
        string="Promises to Pay",
        copy=False,
    )
    collection_promise_count = fields.Integer(compute="_compute_collection_promise_count")
    collection_hold_override_reason = fields.Char(
        string="Credit Hold Override",
        readonly=True,
        copy=False,
        tracking=True,
        help="Why a collections manager posted this invoice although the customer was on credit hold.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        self.env["res.partner"]._collection_check_override_vals(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self.env["res.partner"]._collection_check_override_vals([vals])
        return super().write(vals)

    def _compute_collection_promise_count(self):
        groups = self.env["account.collection.promise"]._read_group(
            [("move_ids", "in", self.ids)], ["move_ids"], ["__count"]
        )
        counts = {move.id: count for move, count in groups}
        for move in self:
            move.collection_promise_count = counts.get(move.id, 0)

    def action_collection_promises(self):
        """Promises to pay that cover this invoice."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.account_collection_promise_action"
        )
        action["domain"] = [("move_ids", "in", self.ids)]
        return action

    # ------------------------------------------------------------------
    # Credit hold on posting
    # ------------------------------------------------------------------
    def _collection_moves_to_check(self):
        """Customer invoices of companies that enforce credit hold."""
        return self.filtered(
            lambda m: m.move_type == "out_invoice" and m.company_id.sudo().collection_credit_hold
        )

    def _collection_check_credit_hold(self):
        """Raise a UserError naming the rule, amounts and days when a customer is on hold.

        Invoices a collections manager posts through the override (with a reason) pass.
        """
        by_company = defaultdict(lambda: self.browse())
        overridden = self.env.cr.cache.get("collection_grants", {}).get(POST_ON_HOLD, set())
        for move in self._collection_moves_to_check().filtered(lambda m: m.id not in overridden):
            by_company[move.company_id] |= move
        for company, moves in by_company.items():
            amounts = defaultdict(float)
            for move in moves:
                amounts[move.commercial_partner_id.id] += move.amount_total_signed
            partners = moves.commercial_partner_id.with_company(company)
            partners._collection_check_hold(amounts)

    def action_post(self):
        """Managers get a confirmation wizard instead of the hold error."""
        if self.env.user.has_group(MANAGER):
            try:
                self._collection_check_credit_hold()
            except UserError as error:
                return self.env["account.move.hold.override"]._action_open(self, str(error))
        return super().action_post()

    def action_collection_log_call(self):
        """Log a call about this invoice: the outcome wizard with the invoice preselected."""
        self.ensure_one()
        action = self.commercial_partner_id.action_collection_log_call()
        action["context"] = {**action["context"], "default_move_ids": [self.id]}
        return action

    def action_collection_resolve_dispute(self):
        """The dispute is settled: the invoice climbs the ladder again."""
        self.filtered("collection_disputed").write({"collection_disputed": False})
        self._collection_schedule()
        return True

    def _collection_post_with_override(self, reason):
        """Post despite the credit hold; log who did it and why on invoices and customers.

        Collections managers only, with a reason: the override is granted to these invoices
        for this transaction, never by anything a client sends.
        """
        reason = self.env["res.partner"]._collection_override_reason(reason)
        self.write({"collection_hold_override_reason": reason})
        with grant(self.env, POST_ON_HOLD, self.ids):
            self.action_post()
        body = self.env._(
            "Posted despite the credit hold by %(user)s: %(reason)s",
            user=self.env.user.name,
            reason=reason,
        )
        for move in self:
            move.message_post(body=body)
        for partner in self.commercial_partner_id:
            invoices = self.filtered(lambda m, p=partner: m.commercial_partner_id == p)
            partner.message_post(
                body=self.env._(
                    "Credit hold overridden for %(invoices)s by %(user)s: %(reason)s",
                    invoices=", ".join(invoices.mapped("name")),
                    user=self.env.user.name,
                    reason=reason,
                )
            )

    # ------------------------------------------------------------------
    # Ladder: per-invoice schedule
    # ------------------------------------------------------------------
    def _collection_is_open(self):
        self.ensure_one()
        return (
            self.move_type == "out_invoice"
            and self.state == "posted"
            and self.payment_state in OPEN_PAYMENT_STATES
        )

    def _collection_ladder_for_partners(self, company):
        """{commercial partner id: ladder}: the customer's ladder, else the company default."""
        partners = self.commercial_partner_id.sudo().with_company(company)
        default = company.sudo().collection_ladder_id or self.env["account.collection.ladder"].sudo().search(
            [("company_id", "=", company.id)], limit=1
        )
        return {partner.id: partner.collection_ladder_id or default for partner in partners}

    def _collection_schedule(self, workdays=None):
        """Set the next level and its working-day date of open invoices; clear it on the others.

        Invoices are grouped per company so one working-day table serves them all.
        """
        by_company = defaultdict(lambda: self.browse())
        for move in self:
            by_company[move.company_id] |= move
        for company, moves in by_company.items():
            moves._collection_schedule_company(company, workdays)

    def _collection_schedule_company(self, company, workdays=None, reached=None, today=None):
        """Schedule these invoices of `company`. `reached` is {invoice id: (level id, position)}:
        the invoices a run moved to a level `today`, written with the schedule in one UPDATE."""
        reached = reached or {}
        self.fetch(
            [
                "move_type",
                "state",
                "payment_state",
                "commercial_partner_id",
                "collection_ladder_id",
                "collection_level_id",
                "collection_level_sequence",
                "collection_level_date",
                "collection_next_date",
                "invoice_date",
                "invoice_date_due",
            ]
        )
        ladders = self._collection_ladder_for_partners(company)
        open_moves = self.filtered(lambda m: m._collection_is_open())
        closed = self - open_moves
        if reached and closed:
            closed._collection_write_states(self._collection_level_values(closed, reached, today))
        closed.filtered("collection_next_date")._collection_leave_ladder()
        if not open_moves:
            return
        if workdays is None:
            workdays = open_moves._collection_workdays(company)
        levels_of = {}
        Level = self.env["account.collection.ladder.level"].sudo()
        updates = self._collection_level_values(open_moves, reached, today)
        dues = open_moves._collection_reference_dues()
        for move in open_moves:
            ladder = move.collection_ladder_id or ladders.get(move.commercial_partner_id.id)
            if not ladder:
                updates.pop(move.id)
                continue
            if ladder not in levels_of:
                levels_of[ladder] = ladder.sudo()._ordered_levels()
            levels = levels_of[ladder]
            current = Level.browse(updates[move.id]["collection_level_id"])
            position = ladder._collection_climbed(levels, current)
            following = levels[position : position + 1]
            next_date = following._date_for(move, workdays, dues.get(move.id)) if following else False
            level_date = updates[move.id]["collection_level_date"]
            if next_date and level_date:
                # The ladder's spacing holds from the day the current level was reached: a
                # late invoice walks the remaining steps each on its own working day, and at
                # most one step per invoice and working day, so a second run finds nothing.
                next_date = max(
                    next_date, workdays.shift(level_date, following._collection_gap_after(current))
                )
            updates[move.id].update(
                {
                    "collection_ladder_id": ladder.id,
                    "collection_next_level_id": following.id or None,
                    "collection_next_date": next_date or None,
                }
            )
        self._collection_write_states(updates)

    def _collection_reference_dues(self):
        """{invoice id: the due date its ladder counts from}: the maturity of its earliest open
        instalment (an invoice whose first half is overdue is chased for it), else its due date.
        One query for the recordset."""
        if not self.ids:
            return {}
        self.env["account.move.line"].flush_model(
            ["move_id", "account_id", "reconciled", "amount_residual", "date_maturity"]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT aml.move_id, MIN(aml.date_maturity)
                  FROM account_move_line aml
                  JOIN account_account account ON account.id = aml.account_id
                 WHERE aml.move_id = ANY(%s) AND account.account_type = 'asset_receivable'
                   AND NOT aml.reconciled AND aml.amount_residual > 0
              GROUP BY aml.move_id
                """,
                self.ids,
            )
        )
        return {move_id: day for move_id, day in rows if day}

    @api.model
    def _collection_level_values(self, moves, reached, today):
        """{invoice id: its level fields}: the level `reached` today, else the current one."""
        values = {}
        for move in moves:
            if move.id in reached:
                level_id, position = reached[move.id]
                values[move.id] = {
                    "collection_level_id": level_id,
                    "collection_level_sequence": position,
                    "collection_level_date": today,
                }
            else:
                values[move.id] = {
                    "collection_level_id": move.collection_level_id.id or None,
                    "collection_level_sequence": move.collection_level_sequence,
                    "collection_level_date": move.collection_level_date or None,
                }
        return values

    def _collection_write_state(self, vals):
        """Write the same ladder bookkeeping values on all these invoices (one UPDATE)."""
        self._collection_write_states(dict.fromkeys(self.ids, vals))

    @api.model
    def _collection_write_states(self, values_by_id):
        """Write the ladder's bookkeeping fields, {invoice id: {field: value}}, in one UPDATE.

        ``account.move.write`` re-synchronises the lines and taxes of every invoice it
        touches (several queries each); the ladder's state never affects them. Every dict
        has the same keys; the values travel in a VALUES list joined on the id.
        """
        if not values_by_id:
            return
        names = list(next(iter(values_by_id.values())))
        moves = self.browse(list(values_by_id))
        moves.flush_recordset(names)
        rows = SQL(", ").join(
            SQL("(%s)", SQL(", ").join([SQL("%s", move_id), *(SQL("%s", vals[name]) for name in names)]))
            for move_id, vals in values_by_id.items()
        )
        assignments = SQL(", ").join(
            SQL(
                "%s = new.%s::%s",
                SQL.identifier(name),
                SQL.identifier(name),
                SQL(self._fields[name].column_type[1]),
            )
            for name in names
        )
        columns = SQL(", ").join(SQL.identifier(name) for name in ["id", *names])
        self.env.execute_query(
            SQL(
                "UPDATE account_move SET %s FROM (VALUES %s) AS new(%s) WHERE account_move.id = new.id",
                assignments,
                rows,
                columns,
            )
        )
        moves.invalidate_recordset(names)

    def _collection_workdays(self, company, today=None):
        """Working days covering every date these invoices' ladders can reach."""
        today = today or fields.Date.context_today(self)
        dates = [d for move in self for d in (move.invoice_date, move.invoice_date_due) if d] or [today]
        offsets = self.env["account.collection.ladder.level"].sudo().search(
            [("company_id", "=", company.id)]
        ).mapped("offset_days") or [0]
        # Three calendar days per working day leave room for weekends and long holidays.
        start = min(*dates, today) + timedelta(days=3 * min(0, *offsets) - 30)
        stop = max(*dates, today) + timedelta(days=3 * max(0, *offsets) + 30)
        return company._collection_workdays(start, stop)

    def _collection_bring_forward(self, day):
        """Escalations: the next step of these open invoices falls due on `day` at the latest."""
        self.filtered(
            lambda m: m.collection_next_level_id
            and m._collection_is_open()
            and (not m.collection_next_date or m.collection_next_date > day)
        ).sudo()._collection_write_state({"collection_next_date": day})

    def _collection_manager(self, company, fallback):
        """Who hears of escalations: the invoices' ladder manager, else the default collector."""
        return self[:1].collection_ladder_id.manager_id or company.sudo().collection_user_id or fallback

    def _collection_leave_ladder(self):
        """Paid or cancelled invoices leave the ladder; close the collection tasks about them."""
        self._collection_write_state({"collection_next_date": None, "collection_next_level_id": None})
        histories = (
            self.env["account.collection.history"]
            .sudo()
            .search([("move_ids", "in", self.ids), ("activity_id", "!=", False)])
        )
        done = self.env["mail.activity"]
        for history in histories.filtered("activity_id.active"):
            if not any(move._collection_is_open() for move in history.move_ids):
                done |= history.activity_id
        if done:
            with grant(self.env, CLOSE_CALL, done.ids):
                done.action_feedback(feedback=self.env._("Closed automatically: the invoices are paid."))

    def _post(self, soft=True):
        self._collection_check_credit_hold()
        posted = super()._post(soft=soft)
        posted.filtered(lambda m: m.move_type == "out_invoice")._collection_schedule()
        return posted

    # ------------------------------------------------------------------
    # Ladder: the daily engine
    # ------------------------------------------------------------------
    @api.model
    def _collection_due_domain(self, company, today):
        """Invoices whose next step is due and that nothing pauses."""
        domain = [
            ("company_id", "=", company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", OPEN_PAYMENT_STATES),
            ("collection_next_date", "<=", today),
            ("collection_disputed", "=", False),
        ]
        paused = self._collection_paused_move_ids(company)
        if paused:
            domain.append(("id", "not in", paused))
        return domain

    @api.model
    def _collection_paused_move_ids(self, company):
        """Invoices the ladder must not touch today: those covered by an open promise to pay."""
        self.env["account.collection.promise"].flush_model(["state", "company_id", "move_ids"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT rel.move_id
                  FROM account_collection_promise_move_rel rel
                  JOIN account_collection_promise promise ON promise.id = rel.promise_id
                 WHERE promise.state = 'open' AND promise.company_id = %s
                """,
                company.id,
            )
        )
        return [row[0] for row in rows]

    @api.model
    def _collection_excluded_partner_ids(self, company, partner_ids):
        """Customers without automatic actions: handed to lawyers, or excluded from follow-up."""
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_company(company)
            .search([("id", "in", partner_ids), ("collection_stage", "=", "legal")])
        )
        return set(partners.ids)

    @api.model
    def _cron_collection_ladder(self):
        """Daily job: run every company's ladder, committing per batch of customers."""
        for company in self.env["res.company"].sudo().search([], limit=None):
            self.sudo().with_company(company)._collection_run(company, commit=True)

    @api.model
    def action_collection_run_now(self):
        """Managers' "Run now": the daily job runs at once, in the background.

        It runs as the scheduled job itself, which Odoo never runs twice at a time: a manager's
        run and the nightly one cannot fight over the same customers.
        """
        if not self.env.user.has_group(MANAGER):
            raise AccessError(self.env._("Only collections managers can run the collection ladder."))
        self.env.ref("account_collections.ir_cron_collection_ladder").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Collection ladder"),
                "message": self.env._(
                    "The ladder runs in the background within a minute; its steps appear in the history."
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    @api.model
    def _collection_run(self, company, today=None, batch_size=2000, commit=False):
        """Run one company's ladder for the day; returns counters of what was created.

        Customers are processed in batches. Each batch is locked (a second worker skips it),
        done in one transaction and committed with ``_commit_progress`` when ``commit``:
        a run that dies part-way keeps the finished batches and the next run resumes.
        Without ``commit`` (tests), batches run under savepoints.

        A customer another transaction holds (a concurrent run, a broken promise escalating)
        or whose invoices changed under this run (a serialization conflict) is tried again
        after the other batches, up to RUN_ATTEMPTS times; what is still left then is counted
        (``skipped``) and logged, and the next run takes it up: never silently lost.
        """
        today = today or fields.Date.context_today(self)
        Move = self.sudo().with_company(company)
        stats = defaultdict(int)
        if not company._collection_workdays(today, today).dates:
            # Nothing is sent or planned on a weekend or holiday: the steps that fall due
            # meanwhile are taken on the next working day.
            _logger.info("Collection ladder for %s: %s is not a working day", company.name, today)
            return {}
        Move._collection_adopt_open_invoices(company)
        Move._collection_release_closed_invoices(company)
        partner_ids = Move._collection_due_partner_ids(company, today)
        excluded = Move._collection_excluded_partner_ids(company, partner_ids)
        pending = [pid for pid in partner_ids if pid not in excluded]
        workdays = None
        for attempt in range(1, RUN_ATTEMPTS + 1):
            skipped, remaining = [], len(pending)
            for chunk in split_every(batch_size, pending, list):
                if workdays is None:
                    workdays = Move.search(
                        Move._collection_due_domain(company, today), limit=1
                    )._collection_workdays(company, today)
                try:
                    with self.env.cr.savepoint(flush=True):
                        done = Move._collection_run_batch(company, today, chunk, workdays, stats)
                except (SerializationFailure, LockNotAvailable):
                    done = set()
                skipped += [pid for pid in chunk if pid not in done]
                remaining -= len(chunk)
                if commit:
                    self.env["ir.cron"]._commit_progress(len(chunk), remaining=remaining)
                    # Committed work needs no cache: keep memory flat over long runs.
                    self.env.invalidate_all()
                    self.env.cr.cache.pop("collection_formats", None)
            if not skipped:
                break
            pending = skipped
            if attempt < RUN_ATTEMPTS:
                _logger.info("Collection ladder: %s customers busy elsewhere, trying again", len(skipped))
                if commit:
                    # Give the other transaction time to finish; ours sees it once committed.
                    time.sleep(RETRY_DELAY * attempt)
        else:
            stats["skipped"] = len(skipped)
            _logger.warning(
                "Collection ladder for %s on %s: %s customers stayed busy in another transaction "
                "and are left for the next run (ids %s)",
                company.name,
                today,
                len(skipped),
                skipped[:20],
            )
        _logger.info("Collection ladder for %s on %s: %s", company.name, today, dict(stats))
        return dict(stats)

    @api.model
    def _collection_due_partner_ids(self, company, today):
        query = self._search(self._collection_due_domain(company, today))
        rows = self.env.execute_query(
            SQL(
                "SELECT DISTINCT account_move.commercial_partner_id FROM %s WHERE %s ORDER BY 1",
                query.from_clause,
                query.where_clause,
            )
        )
        return [row[0] for row in rows]

    @api.model
    def _collection_adopt_open_invoices(self, company):
        """Open invoices that never met the engine (installed later, imported) get a schedule."""
        moves = self.search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", OPEN_PAYMENT_STATES),
                ("collection_ladder_id", "=", False),
            ]
        )
        for batch in split_every(5000, moves.ids, self.browse):
            batch._collection_schedule_company(company)

    @api.model
    def _collection_release_closed_invoices(self, company):
        """Invoices paid or cancelled since the last run leave the ladder."""
        moves = self.search(
            [
                ("company_id", "=", company.id),
                ("collection_next_date", "!=", False),
                "|",
                ("state", "!=", "posted"),
                ("payment_state", "not in", OPEN_PAYMENT_STATES),
            ]
        )
        if moves:
            moves._collection_leave_ladder()

    @api.model
    def _collection_lock_partners(self, company, partner_ids):
        """Customers this transaction may work on: a concurrent run holds the others."""
        rows = self.env.execute_query(
            SQL(
                "SELECT pid FROM unnest(%s::int[]) AS pid WHERE pg_try_advisory_xact_lock(%s, pid)",
                partner_ids,
                self._collection_lock_key(company),
            )
        )
        return [row[0] for row in rows]

    @api.model
    def _collection_lock_key(self, company):
        # One advisory-lock namespace per company; 0x436f6c6c is "Coll".
        return 0x436F6C6C + company.id

    def _collection_run_batch(self, company, today, partner_ids, workdays, stats, escalate=(), call_day=None):
        """One locked batch of customers; invoices in `escalate` climb at least one level, and
        their call is planned on `call_day` (default: today).

        Returns the ids of the customers this transaction locked and processed.
        """
        partner_ids = self._collection_lock_partners(company, partner_ids)
        if not partner_ids:
            return set()
        domain = Domain(self._collection_due_domain(company, today))
        if escalate:
            # A broken promise escalates its invoices even while another instalment is open.
            domain |= Domain("id", "in", list(escalate))
        domain &= Domain("commercial_partner_id", "in", partner_ids)
        # Row locks too: under REPEATABLE READ, an invoice another run changed since this
        # transaction began raises a serialization error instead of being processed twice.
        candidates = self.search(domain, order="commercial_partner_id, invoice_date_due, id")
        locked = candidates.try_lock_for_update()
        # A customer with an invoice locked elsewhere waits for the retry, whole.
        busy = set((candidates - locked).commercial_partner_id.ids)
        moves = locked.filtered(lambda m: m.commercial_partner_id.id not in busy)
        done = set(partner_ids) - busy
        if not moves:
            return done
        plan = moves._collection_plan(company, today, workdays, escalate)
        partners = self.env["res.partner"].browse(list(plan.by_partner))
        demands = partners._collection_demands(today)
        threshold = company.sudo().collection_demand_threshold
        for partner_id, demand in demands.items():
            if company.currency_id.compare_amounts(demand.net_company, threshold) <= 0:
                # Nothing (or too little) is owed once credits are deducted and disputed and
                # promised items left out: no demand, no call about money already paid. The
                # items stay where they are, and are looked at again on the next run.
                plan.hold_payment_steps(partner_id)
        if plan.by_partner:
            self.env["account.collection.history"]._collection_execute(
                plan, company, today, stats, demands, call_day
            )
        reached = {
            move_id: (level_id, position)
            for (level_id, position), move_ids in plan.reached.items()
            for move_id in move_ids
        }
        moves._collection_schedule_company(company, workdays, reached, today)
        return done

    def _collection_plan(self, company, today, workdays, escalate=()):
        """Which level each due invoice reaches today, grouped per customer.

        An invoice already on the ladder climbs one level at a time: the next one, whose
        working day has come (its schedule keeps the ladder's spacing), or whatever its
        date when it is in `escalate` (a broken promise). An invoice meeting the ladder for
        the first time, late (imported, or the addon installed on a live database), goes to
        the furthest level its dates call for, but never past a written step (e-mail or
        letter): the demand is always sent before the claim, the claim before the hand-over,
        each on its working day. Levels that wait for a call outcome hold the invoice while
        the customer still has an open collection call (escalations do not wait).
        """
        plan = CollectionPlan()
        waiting = self._collection_partners_with_open_call(company)
        self.fetch(
            [
                "collection_ladder_id",
                "collection_level_id",
                "invoice_date",
                "invoice_date_due",
                "commercial_partner_id",
            ]
        )
        dues = self._collection_reference_dues()
        levels_of = {}
        for move in self:
            ladder = move.collection_ladder_id
            if ladder not in levels_of:
                levels_of[ladder] = ladder.sudo()._ordered_levels()
            levels = levels_of[ladder]
            start = ladder._collection_climbed(levels, move.collection_level_id)
            if start >= len(levels):
                continue
            forced = move.id in escalate
            target, position = None, 0
            if move.collection_level_id or forced:
                target, position = levels[start], start + 1
            else:
                for index, level in enumerate(levels[start:], start + 1):
                    level_date = level._date_for(move, workdays, dues.get(move.id))
                    if not level_date or level_date > today:
                        break
                    target, position = level, index
                    if level._collection_is_written():
                        break
            if not target:
                continue
            partner = move.commercial_partner_id
            if target.wait_for_outcome and partner.id in waiting and not forced:
                continue
            plan.add(partner, target, position, move)
        return plan

    def _collection_partners_with_open_call(self, company):
        partner_ids = self.commercial_partner_id.ids
        if not partner_ids:
            return set()
        groups = (
            self.env["mail.activity"]
            .sudo()
            ._read_group(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", partner_ids),
                    ("activity_type_id", "=", self.env.ref(CALL_TYPE).id),
                ],
                ["res_id"],
            )
        )
        return {res_id for (res_id,) in groups}


class CollectionPlan:
    """The day's work for one batch: invoice ids per customer and level, and levels reached."""

    def __init__(self):
        self.by_partner = defaultdict(lambda: defaultdict(list))
        self.levels = {}
        self.positions = defaultdict(set)
        self.reached = defaultdict(list)

    def add(self, partner, level, position, move):
        self.levels[level.id] = level
        self.by_partner[partner.id][level.id].append(move.id)
        self.positions[partner.id].add(position)
        self.reached[(level.id, position)].append(move.id)

    def hold_payment_steps(self, partner_id):
        """Take out the customer's steps that ask for payment (see the level's
        ``_collection_asks_for_payment``); steps before the due date stay."""
        levels = self.by_partner.get(partner_id, {})
        for level_id in [lid for lid in levels if self.levels[lid]._collection_asks_for_payment()]:
            move_ids = set(levels.pop(level_id))
            for key in [key for key in self.reached if key[0] == level_id]:
                self.reached[key] = [mid for mid in self.reached[key] if mid not in move_ids]
                if not self.reached[key]:
                    del self.reached[key]
        if levels:
            self.positions[partner_id] = {pos for lid, pos in self.reached if lid in levels}
        else:
            self.by_partner.pop(partner_id, None)
            self.positions.pop(partner_id, None)
