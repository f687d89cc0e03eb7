from collections import defaultdict

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

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

    def write(self, vals):
        # A log: rows change only through their actions (letter posted, e-mail retried).
        if not self.env.su:
            raise UserError(self.env._("The collection history is a log: its steps cannot be edited."))
        return super().write(vals)

    def action_mark_posted(self):
        """Letters to post: the accountant confirms the letter went out."""
        self.check_access("write")
        self.sudo().filtered(lambda h: h.letter_state == "to_post").write(
            {"letter_state": "posted", "letter_posted_date": fields.Date.context_today(self)}
        )
        return True

    # ------------------------------------------------------------------
    # Engine: execute one batch of the day's plan
    # ------------------------------------------------------------------
    @api.model
    def _collection_execute(self, plan, company, today, stats, demands, call_day=None):
        """Create the calls, e-mails, letters, notifications and history rows of a plan.

        Everything is created in batches: one activity per customer per day for all the
        invoices it has at any level, one e-mail per customer and level. `demands` are the
        customers' ``CollectionDemand`` of the day: what letters, e-mails and calls state.
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
        owners = self._collection_assign_collectors(partners, plan, demands, company)
        history_vals, calls, emails, letters, notices, legal = (
            [],
            defaultdict(list),
            defaultdict(list),
            [],
            [],
            [],
        )
        for partner in partners:
            overdue = demands[partner.id].net_company
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
                    "move_ids": moves.ids,
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
        tasks = self._collection_send_emails(emails, owners, stats, demands)
        tasks += self._collection_letter_tasks(letters)
        tasks += self._collection_manager_tasks(notices + legal, owners)
        self._collection_hand_to_lawyers(legal, company)
        activity_of = self._collection_create_activities(calls, owners, today, tasks, call_day, demands)[0]
        for vals in history_vals:
            if vals.get("did_call"):
                vals["activity_id"] = activity_of[vals["partner_id"]].id
        histories = self.sudo()._collection_insert(history_vals)
        stats["history"] += len(histories)
        stats["calls"] += len(activity_of)
        stats["letters"] += len(letters)
        stats["notifications"] += len(notices)
        stats["legal"] += len(legal)
        stats["tasks"] += len(tasks)
        return histories

    @api.model
    def _collection_insert(self, vals_list):
        """Insert history rows, `move_ids` given as a list of invoice ids, in three queries.

        A first run writes tens of thousands of rows and the ORM inserts 100 per query. The
        history is an append-only log built by the engine from records it just checked: no
        defaults, computed fields or constraints to run, so the rows go in one INSERT (ids
        taken from the sequence first, to know which row is which) and their invoices in another.
        """
        if not vals_list:
            return self.browse()
        self.check_access("create")
        ids = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "SELECT nextval(%s) FROM generate_series(1, %s)",
                    f"{self._table}_id_seq",
                    len(vals_list),
                )
            )
        ]
        names = sorted({name for vals in vals_list for name in vals} - {"move_ids"})
        columns = [("id", ids, "int4")]
        for name in names:
            field = self._fields[name]
            values = [field.convert_to_column(vals.get(name), self, vals) for vals in vals_list]
            columns.append((name, values, field.column_type[1]))
        now = self.env.cr.now()
        for name in ("create_uid", "write_uid"):
            columns.append((name, [self.env.uid] * len(ids), "int4"))
        for name in ("create_date", "write_date"):
            columns.append((name, [now] * len(ids), "timestamp"))
        self.env.execute_query(
            SQL(
                "INSERT INTO %s (%s) SELECT * FROM unnest(%s)",
                SQL.identifier(self._table),
                SQL(", ").join(SQL.identifier(name) for name, _values, _type in columns),
                SQL(", ").join(SQL("%s::%s[]", values, SQL(sql_type)) for _name, values, sql_type in columns),
            )
        )
        links = [
            (history_id, move_id)
            for history_id, vals in zip(ids, vals_list, strict=True)
            for move_id in vals["move_ids"]
        ]
        if links:
            self.env.execute_query(
                SQL(
                    """
                    INSERT INTO account_collection_history_move_rel (history_id, move_id)
                    SELECT * FROM unnest(%s::int[], %s::int[])
                    """,
                    [history_id for history_id, _move_id in links],
                    [move_id for _history_id, move_id in links],
                )
            )
            # The invoices' side of the relation, if loaded, no longer tells the truth.
            moves = self.env["account.move"].browse({move_id for _history_id, move_id in links})
            moves.invalidate_recordset(["collection_history_ids"])
        return self.browse(ids)

    @api.model
    def _collection_assign_collectors(self, partners, plan, demands, company):
        """{partner id: collector}: the partner's collector, else its salesperson, else the ladder's.

        A ladder's hand-over rule moves the customer to its escalation collector when the
        overdue amount or the level reached crosses the threshold; the change is tracked.
        """
        owners, handed = {}, defaultdict(list)
        for partner in partners:
            ladder = next(iter(plan.levels[lid] for lid in plan.by_partner[partner.id])).ladder_id
            owner = partner._collection_collector(ladder)
            target = ladder.handover_user_id
            if target and owner != target:
                overdue = demands[partner.id].net_company
                top = max(plan.positions[partner.id])
                if (ladder.handover_amount and overdue > ladder.handover_amount) or (
                    ladder.handover_level_sequence and top >= ladder.handover_level_sequence
                ):
                    handed[target].append(partner.id)
                    owner = target
            owners[partner.id] = owner
        for user, partner_ids in handed.items():
            # Their open calls and the collector's tasks go with them.
            partners.browse(partner_ids)._collection_set_collector(
                user, self.env._("the collection ladder's hand-over rule")
            )
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
    def _collection_demand_note(self, demand):
        """The demand in a call's note: what to ask for, after credits; what not to ask for."""
        amount_text = self.env["res.partner"]._collection_formatters()[1]
        currency = self.env["res.currency"].browse(demand.currency_id)
        parts = [
            Markup("<p><b>%s</b></p>")
            % self.env._(
                "Ask for %(net)s: due %(due)s, credits %(credits)s.",
                net=amount_text(currency, demand.net),
                due=amount_text(currency, demand.due_total),
                credits=amount_text(currency, demand.credit_total),
            )
        ]
        held = [
            self.env._(
                "%(name)s (%(amount)s): %(why)s",
                name=item["name"],
                amount=amount_text(currency, item["value"]),
                why=self.env._("disputed") if item["disputed"] else self.env._("promised"),
            )
            for item in demand.held
        ]
        if held:
            parts.append(Markup("<p>%s</p>") % self.env._("Do not ask for: %(items)s", items="; ".join(held)))
        return Markup("").join(parts)

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
    def _collection_create_activities(self, calls, owners, today, tasks=(), call_day=None, demands=None):
        """Create the day's calls and collection tasks in one go; returns ({customer id: call},
        tasks).

        `calls` is {customer id: [(level, invoices)]}: one call per customer and day, which
        extends the customer's open call of that day if there is one. The call is due today,
        or on `call_day` (escalations plan their call for the
        next working day). `tasks` are (res_model, res_id, user, summary, note) to-dos due today.
        A call's note states the customer's demand of the day (`demands`), as its letter does.
        """
        call_day = call_day or today
        existing = self._collection_calls_on(list(calls), call_day) if calls else {}
        call_type = self.env.ref(CALL_TYPE)
        vals_list, result = [], {}
        for partner_id, items in calls.items():
            note = Markup("").join(
                Markup("<p><b>%s</b></p>%s") % (level.name, self._collection_invoice_table(moves))
                for level, moves in items
            )
            if demands and partner_id in demands:
                note += self._collection_demand_note(demands[partner_id])
            if partner_id in existing:
                activity = existing[partner_id]
                activity.note = (activity.note or Markup("")) + note
                result[partner_id] = activity
                continue
            first_level = min((level for level, _moves in items), key=lambda lvl: lvl.call_time)
            hours, minutes = divmod(round(first_level.call_time * 60), 60)
            vals_list.append(
                {
                    "res_model": "res.partner",
                    "res_id": partner_id,
                    "activity_type_id": call_type.id,
                    "summary": self.env._(
                        "%(level)s at %(time)s",
                        level=first_level.summary or first_level.name,
                        time=f"{hours:02d}:{minutes:02d}",
                    ),
                    "note": note,
                    "date_deadline": call_day,
                    "user_id": owners[partner_id].id,
                    "automated": True,
                    "collection_call_time": first_level.call_time,
                }
            )
        new_calls = len(vals_list)
        if tasks:
            todo_id = self.env.ref(TODO_TYPE).id
            vals_list += [
                {
                    "res_model": model,
                    "res_id": res_id,
                    "activity_type_id": todo_id,
                    "summary": summary,
                    "note": note,
                    "date_deadline": today,
                    "user_id": user.id,
                    "automated": True,
                }
                for model, res_id, user, summary, note in tasks
            ]
        activities = self._collection_new_activities(vals_list)
        result.update({activity.res_id: activity for activity in activities[:new_calls]})
        return result, activities[new_calls:]

    @api.model
    def _collection_new_activities(self, vals_list):
        """Create activities from values naming their document by `res_model` and `res_id`, with
        the names of the documents given.

        ``mail.activity`` computes its stored document name after inserting, one UPDATE per
        100 activities; the ladder knows the names (display names read in one batch per model)
        and inserts them with the rows.
        """
        Activity = self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True)
        if not vals_list:
            return Activity
        by_model = defaultdict(set)
        for vals in vals_list:
            by_model[vals["res_model"]].add(vals["res_id"])
        names = {
            (model, record.id): record.display_name
            for model, ids in by_model.items()
            for record in self.env[model].sudo().browse(ids)
        }
        for vals in vals_list:
            model = vals.pop("res_model")
            vals["res_model_id"] = self.env["ir.model"]._get_id(model)
            vals["res_name"] = names[(model, vals["res_id"])]
        activities = Activity.create(vals_list)
        self.env.remove_to_compute(Activity._fields["res_name"], activities)
        return activities

    @api.model
    def _collection_todo(self, partner_vals, today):
        """Create collection tasks from [(res_model, res_id, user, summary, note)] in one go."""
        return self._collection_create_activities({}, {}, today, partner_vals)[1]

    @api.model
    def _collection_send_emails(self, emails, owners, stats, demands):
        """Queue one e-mail per customer and level, stating its demand of the day; returns the
        tasks for the collectors of customers without an e-mail address."""
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
            self._collection_prefetch_demands(demands)
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
                self._collection_forget_demands()
            mail_of = {mail.res_id: mail for mail in mails}
            for partner, vals in sendable:
                vals["mail_id"] = mail_of[partner.id].id
            stats["emails"] += len(mails)
        stats["email_tasks"] += len(tasks)
        return tasks

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
    def _collection_prefetch_demands(self, demands):
        """Keep the customers' demands (each of its day) for the reminders about to render
        (``res.partner._collection_demand`` reads them, until ``_collection_forget_demands``)."""
        self.env.cr.cache.setdefault("collection_demands", {}).update(demands)

    @api.model
    def _collection_forget_demands(self):
        self.env.cr.cache.pop("collection_demands", None)

    @api.model
    def _collection_letter_tasks(self, letters):
        """Letters go to the 'Letters to post' list; the ladder's manager gets one task per day."""
        per_ladder = defaultdict(int)
        for _, level in letters:
            per_ladder[level.ladder_id] += 1
        return [
            (
                "account.collection.ladder",
                ladder.id,
                ladder.manager_id or ladder.user_id or self.env.ref("base.user_root"),
                self.env._("%(count)s letters to print and post", count=count),
                escape(self.env._("See Collections / Letters to Post.")),
            )
            for ladder, count in per_ladder.items()
        ]

    @api.model
    def _collection_manager_tasks(self, items, owners):
        """One task per customer and day for the ladder's manager (else the collector) about the
        levels that ask for one, [(customer, level, invoices)]: review them, or confirm the
        hand-over to lawyers when one of them hands the customer over."""
        by_partner = defaultdict(dict)
        for partner, level, moves in items:
            by_partner[partner].setdefault(level, moves)
        tasks = []
        for partner, levels in by_partner.items():
            ordered = sorted(levels, key=lambda lvl: (lvl.sequence, lvl.id))
            top = ordered[-1]
            if any(level.action_legal for level in ordered):
                summary = self.env._(
                    "Confirm the hand-over of %(partner)s to lawyers (firm, date, amount)",
                    partner=partner.name,
                )
            else:
                summary = self.env._(
                    "Review: %(partner)s reached %(level)s", partner=partner.name, level=top.name
                )
            note = Markup("").join(
                Markup("<p><b>%s</b></p>%s") % (level.name, self._collection_invoice_table(levels[level]))
                for level in ordered
            )
            user = top.ladder_id.manager_id or owners[partner.id]
            tasks.append(("res.partner", partner.id, user, summary, note))
        return tasks

    @api.model
    def _collection_hand_to_lawyers(self, legal, company):
        """Stop automatic actions for these customers in `company`: their stage becomes "legal".

        The stage is company-dependent (a jsonb value per company) and the ORM writes it 100
        customers at a time; one UPDATE sets it for the whole batch. The history row and the
        manager's confirmation task say when and why.
        """
        partners = self.env["res.partner"].sudo().browse(sorted({partner.id for partner, _l, _m in legal}))
        if not partners:
            return
        partners.flush_recordset(["collection_stage"])
        self.env.execute_query(
            SQL(
                """
                UPDATE res_partner
                   SET collection_stage = COALESCE(collection_stage, '{}'::jsonb)
                                          || jsonb_build_object(%s::text, 'legal'),
                       write_uid = %s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                 WHERE id = ANY(%s)
                """,
                company.id,
                self.env.uid,
                partners.ids,
            )
        )
        partners.invalidate_recordset(["collection_stage", "write_uid", "write_date"])
        partners.modified(["collection_stage"])
