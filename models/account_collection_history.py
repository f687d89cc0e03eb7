from collections import defaultdict

from markupsafe import Markup, escape

from odoo import Command, api, fields, models

from ..const import CALL_TYPE, TODO_TYPE

DEFAULT_TEMPLATE = "account_collections.mail_template_collection_reminder"


class AccountCollectionHistory(models.Model):
    """One executed ladder step for one customer: what was done, for which invoices."""

    _name = "account.collection.history"
    _description = "Collection Step History"
    _order = "date desc, id desc"
    _check_company_auto = True

    date = fields.Date(required=True, index=True, default=fields.Date.context_today)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    ladder_id = fields.Many2one("account.collection.ladder", index=True)
    level_id = fields.Many2one("account.collection.ladder.level", index=True)
    user_id = fields.Many2one("res.users", string="Collector")
    move_ids = fields.Many2many(
        "account.move",
        "account_collection_history_move_rel",
        "history_id",
        "move_id",
        string="Invoices",
    )
    amount = fields.Monetary(string="Open Amount", currency_field="currency_id")
    currency_id = fields.Many2one(related="company_id.currency_id")
    activity_id = fields.Many2one("mail.activity", string="Call Activity", index="btree_not_null")
    mail_id = fields.Many2one("mail.mail", string="E-mail", index="btree_not_null")
    mail_state = fields.Selection(related="mail_id.state", string="E-mail Status")
    did_call = fields.Boolean(string="Call")
    did_email = fields.Boolean(string="E-mail Sent")
    did_letter = fields.Boolean(string="Letter")
    did_notify = fields.Boolean(string="Manager Notified")
    did_legal = fields.Boolean(string="Legal Hand-over")
    letter_state = fields.Selection([("to_post", "To Post"), ("posted", "Posted")], index="btree_not_null")
    letter_posted_date = fields.Date()
    note = fields.Text()

    def action_retry_email(self):
        """Queue again the e-mails of these steps that failed (mail server down, letter not
        rendered); the mail queue sends them with its next run."""
        self.check_access("read")
        self.sudo().mail_id.filtered(lambda mail: mail.state == "exception").action_retry()
        return True

    def action_mark_posted(self):
        """Letters to post: the accountant confirms the letter went out."""
        self.filtered(lambda h: h.letter_state == "to_post").write(
            {"letter_state": "posted", "letter_posted_date": fields.Date.context_today(self)}
        )
        return True

    # ------------------------------------------------------------------
    # Engine: execute one batch of the day's plan
    # ------------------------------------------------------------------
    @api.model
    def _collection_execute(self, plan, company, today, stats):
        """Create the calls, e-mails, letters, notifications and history rows of a plan.

        Everything is created in batches: one activity per customer per day for all the
        invoices it has at any level, one e-mail per customer and level.
        """
        all_moves = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .browse(
                [move_id for levels in plan.by_partner.values() for ids in levels.values() for move_id in ids]
            )
        )
        # Amounts, names and due dates of every invoice in the batch, in one query.
        all_moves.fetch(
            ["amount_residual_signed", "amount_residual", "name", "invoice_date_due", "currency_id"]
        )
        Move = all_moves.browse()
        partners = self.env["res.partner"].sudo().with_company(company).browse(list(plan.by_partner))
        exposure = partners._collection_exposure_by_partner(today)
        owners = self._collection_assign_collectors(partners, plan, exposure, company)
        history_vals, calls, emails, letters, notices, legal = (
            [],
            defaultdict(list),
            defaultdict(list),
            [],
            [],
            [],
        )
        for partner in partners:
            overdue = exposure.get(partner.id, {}).get("collection_overdue_amount", 0.0)
            for level_id, move_ids in plan.by_partner[partner.id].items():
                level = plan.levels[level_id]
                moves = Move.browse(move_ids)
                vals = {
                    "date": today,
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "ladder_id": level.ladder_id.id,
                    "level_id": level.id,
                    "user_id": owners[partner.id].id,
                    "move_ids": [Command.set(moves.ids)],
                    "amount": sum(moves.mapped("amount_residual_signed")),
                }
                if level.min_amount and company.currency_id.compare_amounts(overdue, level.min_amount) < 0:
                    vals["note"] = self.env._(
                        "Skipped: overdue amount below the level's minimum of %(amount)s.",
                        amount=company.currency_id.format(level.min_amount),
                    )
                    history_vals.append(vals)
                    continue
                vals.update(
                    did_call=level.action_call,
                    did_email=level.action_email,
                    did_letter=level.action_letter,
                    did_notify=level.action_notify_manager,
                    did_legal=level.action_legal,
                    letter_state="to_post" if level.action_letter else False,
                )
                history_vals.append(vals)
                if level.action_call:
                    calls[partner.id].append((level, moves))
                if level.action_email:
                    emails[level].append((partner, vals))
                if level.action_letter:
                    letters.append((partner, level))
                if level.action_notify_manager:
                    notices.append((partner, level, moves))
                if level.action_legal:
                    legal.append((partner, level, moves))
        activity_of = self._collection_create_calls(calls, owners, today)
        for vals in history_vals:
            if vals.get("did_call"):
                vals["activity_id"] = activity_of[vals["partner_id"]].id
        self._collection_send_emails(emails, owners, today, stats)
        self._collection_queue_letters(letters, today)
        self._collection_notify_managers(notices, owners, today)
        self._collection_hand_to_lawyers(legal, company, today)
        histories = self.sudo().create(history_vals)
        stats["history"] += len(histories)
        stats["calls"] += len(activity_of)
        stats["letters"] += len(letters)
        stats["notifications"] += len(notices)
        stats["legal"] += len(legal)
        return histories

    @api.model
    def _collection_assign_collectors(self, partners, plan, exposure, company):
        """{partner id: collector}: the partner's collector, else its salesperson, else the ladder's.

        A ladder's hand-over rule moves the customer to its escalation collector when the
        overdue amount or the level reached crosses the threshold; the change is tracked.
        """
        default_user = company.sudo().collection_user_id or self.env.ref("base.user_root")
        owners, handed = {}, defaultdict(list)
        for partner in partners:
            ladder = next(iter(plan.levels[lid] for lid in plan.by_partner[partner.id])).ladder_id
            owner = (
                partner.collection_user_id
                or partner.user_id
                or ladder.user_id
                or ladder.manager_id
                or default_user
            )
            target = ladder.handover_user_id
            if target and owner != target:
                overdue = exposure.get(partner.id, {}).get("collection_overdue_amount", 0.0)
                top = max(plan.positions[partner.id])
                if (ladder.handover_amount and overdue > ladder.handover_amount) or (
                    ladder.handover_level_sequence and top >= ladder.handover_level_sequence
                ):
                    handed[target].append(partner.id)
                    partner.message_post(
                        body=self.env._(
                            "Handed from %(old)s to %(new)s by the collection ladder's rule.",
                            old=owner.name,
                            new=target.name,
                        )
                    )
                    owner = target
            owners[partner.id] = owner
        for user, partner_ids in handed.items():
            partners.browse(partner_ids).write({"collection_user_id": user.id})
        return owners

    @api.model
    def _collection_invoice_table(self, moves):
        date_text, amount_text = self.env["res.partner"]._collection_formatters()
        due = self.env._("due")
        rows = Markup("").join(
            Markup("<li>%s, %s %s, %s</li>")
            % (
                move.name,
                due,
                date_text(move.invoice_date_due),
                amount_text(move.currency_id, move.amount_residual),
            )
            for move in moves
        )
        return Markup("<ul>%s</ul>") % rows

    @api.model
    def _collection_calls_on(self, partner_ids, day):
        """{customer id: its open collection call due on `day`}: the call a new one extends."""
        calls = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", partner_ids),
                    ("activity_type_id", "=", self.env.ref(CALL_TYPE).id),
                    ("date_deadline", "=", day),
                ]
            )
        )
        return {activity.res_id: activity for activity in calls}

    @api.model
    def _collection_create_calls(self, calls, owners, today):
        """One call per customer and day: extend that day's open call or create one.

        The call is due today, or on the ``collection_call_day`` of the context (escalations
        plan their call for the next working day).
        """
        if not calls:
            return {}
        today = self.env.context.get("collection_call_day") or today
        call_type = self.env.ref(CALL_TYPE)
        Activity = self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True)
        existing = self._collection_calls_on(list(calls), today)
        model_id = self.env["ir.model"]._get_id("res.partner")
        to_create, result = [], {}
        for partner_id, items in calls.items():
            first_level = min((level for level, _moves in items), key=lambda lvl: lvl.call_time)
            hours, minutes = divmod(round(first_level.call_time * 60), 60)
            note = Markup("").join(
                Markup("<p><b>%s</b></p>%s") % (level.name, self._collection_invoice_table(moves))
                for level, moves in items
            )
            summary = self.env._(
                "%(level)s at %(time)s",
                level=first_level.summary or first_level.name,
                time=f"{hours:02d}:{minutes:02d}",
            )
            if partner_id in existing:
                activity = existing[partner_id]
                activity.note = (activity.note or Markup("")) + note
                result[partner_id] = activity
                continue
            to_create.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner_id,
                    "activity_type_id": call_type.id,
                    "summary": summary,
                    "note": note,
                    "date_deadline": today,
                    "user_id": owners[partner_id].id,
                    "automated": True,
                    "collection_call_time": first_level.call_time,
                }
            )
        created = Activity.create(to_create)
        result.update({activity.res_id: activity for activity in created})
        return result

    @api.model
    def _collection_todo(self, partner_vals, today):
        """Create collection tasks from [(res_model, res_id, user, summary, note)] in one go."""
        if not partner_vals:
            return self.env["mail.activity"]
        todo = self.env.ref(TODO_TYPE)
        return (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(
                [
                    {
                        "res_model_id": self.env["ir.model"]._get_id(model),
                        "res_id": res_id,
                        "activity_type_id": todo.id,
                        "summary": summary,
                        "note": note,
                        "date_deadline": today,
                        "user_id": user.id,
                        "automated": True,
                    }
                    for model, res_id, user, summary, note in partner_vals
                ]
            )
        )

    @api.model
    def _collection_send_emails(self, emails, owners, today, stats):
        """Queue one e-mail per customer and level; no address becomes a task for the collector."""
        tasks = []
        for level, items in emails.items():
            template = level.mail_template_id or self.env.ref(DEFAULT_TEMPLATE)
            sendable = []
            for partner, vals in items:
                if partner._collection_invoice_contact().email:
                    sendable.append((partner, vals))
                    continue
                vals["did_email"] = False
                vals["note"] = self.env._("No e-mail address: the reminder was not sent.")
                tasks.append(
                    (
                        "res.partner",
                        partner.id,
                        owners[partner.id],
                        self.env._("Send the reminder by other means: no e-mail address"),
                        escape(
                            self.env._(
                                "Level %(level)s could not e-mail %(partner)s.",
                                level=level.name,
                                partner=partner.name,
                            )
                        ),
                    )
                )
            if not sendable:
                continue
            self._collection_prefetch_open_moves([partner for partner, _vals in sendable])
            try:
                mails = (
                    template.sudo()
                    .with_context(collection_level_id=level.id)
                    ._collection_send_batch(
                        [partner.id for partner, _vals in sendable],
                        letter=level._collection_has_letter(),
                        level=level,
                    )
                )
            finally:
                self._collection_forget_open_moves()
            mail_of = {mail.res_id: mail for mail in mails}
            for partner, vals in sendable:
                vals["mail_id"] = mail_of[partner.id].id
            stats["emails"] += len(mails)
        self._collection_todo(tasks, today)
        stats["email_tasks"] += len(tasks)

    @api.model
    def _collection_prefetch_open_moves(self, partners):
        """Find and load the customers' open invoices in two queries before reminders render.

        Rendering goes customer by customer; ``_collection_overdue_moves`` reads the result
        from the cursor's cache (until ``_collection_forget_open_moves``).
        """
        partners = self.env["res.partner"].browse([p.id for p in partners]).commercial_partner_id
        moves = self.env["account.move"].search(
            [
                ("commercial_partner_id", "in", partners.ids),
                ("company_id", "=", self.env.company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            order="invoice_date_due, id",
        )
        moves.fetch(
            [
                "name",
                "invoice_date",
                "invoice_date_due",
                "amount_residual",
                "currency_id",
                "commercial_partner_id",
            ]
        )
        by_partner = {partner_id: [] for partner_id in partners.ids}
        for move in moves:
            by_partner[move.commercial_partner_id.id].append(move.id)
        self.env.cr.cache.setdefault("collection_open_moves", {}).update(by_partner)

    @api.model
    def _collection_forget_open_moves(self):
        self.env.cr.cache.pop("collection_open_moves", None)

    @api.model
    def _collection_queue_letters(self, letters, today):
        """Letters go to the 'Letters to post' list; the ladder's manager gets one task per day."""
        per_ladder = defaultdict(int)
        for _partner, level in letters:
            per_ladder[level.ladder_id] += 1
        tasks = [
            (
                "account.collection.ladder",
                ladder.id,
                ladder.manager_id or ladder.user_id or self.env.ref("base.user_root"),
                self.env._("%(count)s letters to print and post", count=count),
                escape(self.env._("See Collections / Letters to Post.")),
            )
            for ladder, count in per_ladder.items()
        ]
        self._collection_todo(tasks, today)

    @api.model
    def _collection_notify_managers(self, notices, owners, today):
        tasks = [
            (
                "res.partner",
                partner.id,
                level.ladder_id.manager_id or owners[partner.id],
                self.env._("Review: %(partner)s reached %(level)s", partner=partner.name, level=level.name),
                self._collection_invoice_table(moves),
            )
            for partner, level, moves in notices
        ]
        self._collection_todo(tasks, today)

    @api.model
    def _collection_hand_to_lawyers(self, legal, company, today):
        """Stop automatic actions for the customer and ask a manager to confirm the hand-over."""
        if not legal:
            return
        partners = self.env["res.partner"].sudo().with_company(company).browse([p.id for p, _l, _m in legal])
        # One logged note per customer says it all; no tracking message on top of it.
        partners.with_context(tracking_disable=True).write({"collection_stage": "legal"})
        partners._message_log_batch(
            bodies={
                partner.id: escape(
                    self.env._("Handed to lawyers by the collection ladder (%(level)s).", level=level.name)
                )
                for partner, level, _moves in legal
            }
        )
        root = self.env.ref("base.user_root")
        tasks = []
        for partner, level, moves in legal:
            tasks.append(
                (
                    "res.partner",
                    partner.id,
                    level.ladder_id.manager_id or root,
                    self.env._(
                        "Confirm the hand-over of %(partner)s to lawyers (firm, date, amount)",
                        partner=partner.name,
                    ),
                    self._collection_invoice_table(moves),
                )
            )
        self._collection_todo(tasks, today)
