"""The unit of the ladder is the open receivable item: instalments, entries, currencies, the
migration from invoice levels, and the record each run leaves."""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tests import new_test_user, tagged

from .common import CollectionsCommon, prepare_invoice_vals

MONDAY = date(2026, 6, 15)


@tagged("post_install", "-at_install")
class TestItems(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.half_half = cls.env["account.payment.term"].create(
            {
                "name": "50% now, 50% in 45 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 45}),
                ],
            }
        )

    def _run(self, day, **kwargs):
        with freeze_time(day):
            return self.env["account.collection.run"]._collection_run(self.company, today=day, **kwargs)

    def _history(self, partner):
        return self.env["account.collection.history"].search([("partner_id", "=", partner.id)])

    def _instalment_invoice(self, amount=1000.0):
        """Invoiced Friday 15 May: half due that day, half on Monday 29 June."""
        vals = prepare_invoice_vals(self.customer, amount, date(2026, 5, 15), invoice_date=date(2026, 5, 15))
        vals.pop("invoice_date_due")
        vals["invoice_payment_term_id"] = self.half_half.id
        with freeze_time(date(2026, 5, 15)):
            invoice = self.env["account.move"].create(vals)
            self._post_as_data(invoice)
        first, second = invoice._collection_items().sorted("date_maturity")
        self.assertEqual((first.date_maturity, second.date_maturity), (date(2026, 5, 15), date(2026, 6, 29)))
        return invoice, first, second

    def _outcome_of(self, kind):
        return self.env["account.collection.outcome"].search([("outcome_type", "=", kind)], limit=1)

    def _migrate(self):
        """Run the upgrade scripts of 19.0.1.1.0 and 19.0.1.4.0 as Odoo would from 19.0.1.0.0
        (those of 19.0.1.2.0 and 19.0.1.3.0 are about calls and disputes)."""
        self._run_migration("19.0.1.1.0", "19.0.1.0.0")
        self._run_migration("19.0.1.4.0", "19.0.1.0.0")
        self.assertFalse(self._old_columns(), "the old columns are dropped")

    def _old_columns(self):
        self.env.cr.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns
             WHERE table_name IN ('account_move', 'account_move_line')
               AND column_name IN ('collection_level_id', 'collection_next_date')
            """
        )
        return self.env.cr.fetchall()

    # ------------------------------------------------------------------
    # Instalments and partial payments
    # ------------------------------------------------------------------
    def test_each_instalment_climbs_on_its_own(self):
        """The overdue first half is demanded alone; the second half, not yet due, waits for its
        own courtesy call. The invoice shows the level of its furthest item and its first step."""
        invoice, first, second = self._instalment_invoice()
        stats = self._run(MONDAY)
        self.assertEqual(stats["items"], 1)
        demand = self.levels[2]
        self.assertEqual(first.collection_level_id, demand)  # first contact stops at the written step
        self.assertEqual(first.collection_level_date, MONDAY)
        self.assertEqual(first.collection_next_level_id, self.levels[3])
        self.assertEqual(first.collection_next_date, date(2026, 6, 19))  # the ladder's 4-day spacing
        self.assertFalse(second.collection_level_id)
        self.assertEqual(second.collection_next_level_id, self.levels[0])
        self.assertEqual(second.collection_next_date, date(2026, 6, 24))  # 3 working days before 29 June
        # The invoice shows what its items say.
        self.assertEqual(invoice.collection_level_id, demand)
        self.assertEqual(invoice.collection_level_sequence, 3)
        self.assertEqual(invoice.collection_next_date, date(2026, 6, 19))
        self.assertEqual(invoice.collection_next_level_id, self.levels[3])
        history = self._history(self.customer)
        self.assertEqual(history.level_id, demand)
        self.assertEqual(history.line_ids, first)
        self.assertEqual(history.move_ids, invoice)
        self.assertEqual(history.amount, 500.0)
        self.assertEqual(self.customer._collection_demand(MONDAY).net, 500.0)
        # The second half's own steps come on their days: its courtesy call on 24 June.
        self._run(date(2026, 6, 19))  # the first half's claim
        self.assertEqual(first.collection_level_id, self.levels[3])
        self.assertFalse(second.collection_level_id)
        self._run(date(2026, 6, 24))
        self.assertEqual(second.collection_level_id, self.levels[0])
        self.assertEqual(invoice.collection_level_id, self.levels[3], "the furthest item")

    def test_partial_payment_leaves_the_rest_demanded(self):
        invoice, first, second = self._instalment_invoice()
        with freeze_time(date(2026, 6, 10)):
            self._pay(invoice, 300.0, date(2026, 6, 10))
        # The payment settles the oldest instalment first.
        self.assertEqual((first.amount_residual, second.amount_residual), (200.0, 500.0))
        self._run(MONDAY)
        history = self._history(self.customer)
        self.assertEqual(history.line_ids, first)
        self.assertEqual(history.amount, 200.0)
        mail = history.mail_id
        self.assertTrue(mail)
        self.assertEqual(self.customer._collection_demand(MONDAY).net, 200.0)
        # Paying the rest of the first half takes it off the ladder; the second half stays on.
        with freeze_time(date(2026, 6, 16)):
            self._pay(invoice, 200.0, date(2026, 6, 16))
        self.assertTrue(first.reconciled)
        self.assertFalse(first.collection_next_date)
        self.assertEqual(second.collection_next_date, date(2026, 6, 24))
        self.assertEqual(invoice.collection_next_date, date(2026, 6, 24))

    # ------------------------------------------------------------------
    # Entries that are not invoices, and currencies
    # ------------------------------------------------------------------
    def test_opening_balance_is_chased(self):
        entry = self._opening_balance(700.0, date(2026, 5, 20))
        item = entry._collection_items()
        stats = self._run(MONDAY)
        self.assertEqual(stats["emails"], 1)
        self.assertEqual(item.collection_level_id, self.levels[2])
        self.assertEqual(entry.collection_level_id, self.levels[2])
        history = self._history(self.customer)
        self.assertEqual(history.move_ids, entry)
        self.assertEqual(history.line_ids, item)
        self.assertEqual(history.amount, 700.0)
        demand = self.customer._collection_demand(MONDAY)
        self.assertEqual([line["id"] for line in demand.due], item.ids)
        self.assertEqual(demand.net, 700.0)
        self.assertIn(entry.name, history.mail_id.body_html)

    def test_an_opening_balance_is_discussed_and_disputed(self):
        """A collector calls about an opening balance like about an invoice: the wizard offers it
        with its amount; disputed, it pauses; resolved, it climbs."""
        entry = self._opening_balance(700.0, date(2026, 5, 20))
        invoice = self._invoice(self.customer, 300.0, date(2026, 5, 20))
        self.assertEqual(self.customer._collection_overdue_moves(), entry | invoice)
        self.assertEqual(entry._collection_customer(), self.customer)
        Wizard = self.env["account.collection.call.register"].with_user(self.collector)
        with freeze_time(MONDAY):
            wizard = Wizard.with_context(default_partner_id=self.customer.id).create(
                {"outcome_id": self._outcome_of("dispute").id}
            )
        self.assertEqual(wizard.move_ids, entry | invoice)
        self.assertEqual(wizard.open_amount, 1000.0)
        with freeze_time(MONDAY):
            self.env["account.collection.call"].with_user(self.collector)._collection_log(
                self.customer, self._outcome_of("dispute"), entry, details={"reason": "Never delivered"}
            )
        self.assertTrue(entry.collection_disputed)
        self._run(MONDAY)
        self.assertFalse(entry._collection_items().collection_level_id, "disputed: paused")
        self.assertEqual(invoice.collection_level_id, self.levels[2])
        self.assertEqual(self.customer._collection_demand(MONDAY).net, 300.0)
        entry.action_collection_resolve_dispute()
        self._run(date(2026, 6, 16))
        self.assertEqual(entry._collection_items().collection_level_id, self.levels[2])

    def test_an_entry_on_a_contact_is_the_customers(self):
        """A manual entry booked on a contact person of the customer is the customer's debt:
        demanded with the rest, in the customer's step."""
        contact = self.env["res.partner"].create({"name": "Accounts clerk", "parent_id": self.customer.id})
        invoice = self._invoice(self.customer, 300.0, date(2026, 5, 20))
        entry = self._opening_balance(200.0, date(2026, 5, 20), partner=contact)
        self._run(MONDAY)
        history = self._history(self.customer)
        self.assertEqual(history.line_ids, (invoice | entry)._collection_items())
        self.assertEqual(self.customer._collection_demand(MONDAY).net, 500.0)
        self.assertEqual(contact._collection_demand(MONDAY).net, 500.0)

    def test_items_in_two_currencies(self):
        """A customer owing in euros and in the company currency: each item is chased, the step
        and the demand count them in company currency."""
        euro = self.setup_other_currency("EUR")  # 2 EUR per company unit
        self.assertNotEqual(euro, self.currency)
        in_euro = self._invoice(self.customer, 1000.0, date(2026, 5, 20), currency=euro)
        local = self._invoice(self.customer, 300.0, date(2026, 5, 20))
        self.assertEqual(in_euro._collection_items().amount_residual, 500.0)
        self._run(MONDAY)
        history = self._history(self.customer)
        self.assertEqual(history.line_ids, (in_euro | local)._collection_items())
        self.assertEqual(history.amount, 800.0)
        demand = self.customer._collection_demand(MONDAY)
        self.assertEqual(demand.currency_id, self.currency.id)
        self.assertEqual(demand.net, 800.0)

    # ------------------------------------------------------------------
    # Upgrade from invoice levels
    # ------------------------------------------------------------------
    def test_migration_moves_invoice_levels_to_items(self):
        """A database that ran the invoice-level engine keeps its levels: the invoice's level goes
        to the items it was taken for, the history names them, and the ladder goes on from
        there (no step is taken again)."""
        invoice, first, second = self._instalment_invoice()
        self._run(MONDAY)
        history = self._history(self.customer)
        # What 19.0.1.0.0 left: levels on the invoice only, history naming invoices only.
        self._keep_in_old_columns("account_move", invoice.ids)
        self._forget_ladder_steps(invoice.line_ids)
        self.env.cr.execute(
            "INSERT INTO account_collection_history_move_rel (history_id, move_id) VALUES (%s, %s)",
            [history.id, invoice.id],
        )
        self.env.cr.execute(
            "DELETE FROM account_collection_history_line_rel WHERE history_id = %s", history.ids
        )
        self.env.invalidate_all()
        self.assertFalse(first.collection_level_id)
        self.assertFalse(invoice.collection_level_id)
        self.env.cr.execute("SELECT collection_level_id FROM account_move WHERE id = %s", invoice.ids)
        self.assertEqual(self.env.cr.fetchone()[0], self.levels[2].id)

        self._migrate()

        self.assertEqual(first.collection_level_id, self.levels[2])
        self.assertEqual(first.collection_level_date, MONDAY)
        self.assertEqual(first.collection_level_sequence, 3)
        self.assertEqual(first.collection_next_date, date(2026, 6, 19))
        self.assertFalse(second.collection_ladder_id, "due later: it meets the ladder at the next run")
        self.assertEqual(history.line_ids, first)
        cron = self.env.ref("account_collections.ir_cron_collection_ladder")
        self.assertEqual(cron.model_id.model, "account.collection.run")
        # The next run goes on from the level reached: the claim, not the demand again.
        self._run(date(2026, 6, 19))
        self.assertEqual(first.collection_level_id, self.levels[3])
        self.assertEqual(second.collection_next_date, date(2026, 6, 24))
        self.assertEqual(self._history(self.customer).level_id, self.levels[2] | self.levels[3])

    def test_migration_keeps_a_level_reached_before_the_due_date(self):
        """An invoice that had its courtesy call (before its due date) keeps it: the call is not
        made again after the upgrade."""
        invoice = self._invoice(self.customer, 100.0, date(2026, 6, 18))
        self._run(MONDAY)  # the courtesy call, 3 working days before 18 June
        item = invoice._collection_items()
        self.assertEqual(item.collection_level_id, self.levels[0])
        self._keep_in_old_columns("account_move", invoice.ids)
        self._forget_ladder_steps(item)
        self._migrate()
        self.assertEqual(item.collection_level_id, self.levels[0])
        self.assertEqual(item.collection_next_date, date(2026, 6, 18))
        self._run(date(2026, 6, 16))
        self.assertEqual(len(self._history(self.customer)), 1, "no second courtesy call")

    def test_migration_moves_positions_to_their_table(self):
        """A database of 19.0.1.1.0 to 19.0.1.3.0 kept each item's position in columns of the
        item (and a copy on the invoice): the upgrade moves them to the positions' table, the
        invoice points at them, the columns go, and the ladder goes on from there."""
        invoice, first, second = self._instalment_invoice()
        self._run(MONDAY)
        self.assertEqual(first.collection_next_date, date(2026, 6, 19))
        self._keep_in_old_columns("account_move_line", invoice.line_ids.ids)
        self._keep_in_old_columns("account_move", invoice.ids)
        self._forget_ladder_steps(invoice.line_ids)
        self.assertFalse(invoice.collection_level_id)

        self._run_migration("19.0.1.4.0", "19.0.1.3.0")

        self.assertFalse(self._old_columns())
        self.assertEqual(first.collection_item_id.id, first.id)
        self.assertEqual(first.collection_level_id, self.levels[2])
        self.assertEqual(first.collection_level_date, MONDAY)
        self.assertEqual(first.collection_level_sequence, 3)
        self.assertEqual(first.collection_next_date, date(2026, 6, 19))
        self.assertFalse(second.collection_level_id)
        self.assertEqual(second.collection_next_date, date(2026, 6, 24), "its courtesy call")
        self.assertEqual(invoice.collection_level_id, self.levels[2])
        self.assertEqual(invoice.collection_next_date, date(2026, 6, 19))
        self._run(date(2026, 6, 19))
        self.assertEqual(first.collection_level_id, self.levels[3], "the claim, not the demand again")
        self.assertEqual(len(self._history(self.customer)), 2)

    def test_migration_keeps_the_level_of_an_invoice_in_draft(self):
        """An invoice reset to draft whose items Odoo made again kept its level on the invoice
        alone: after the upgrade it still shows it, and its new items take it when posted."""
        invoice = self._invoice(self.customer, 100.0, date(2026, 5, 20))
        self._run(MONDAY)
        with freeze_time(date(2026, 6, 16)):
            invoice.button_draft()
            invoice.write({"invoice_date": date(2026, 5, 19), "invoice_payment_term_id": self.half_half.id})
        self._keep_in_old_columns("account_move", invoice.ids)
        self._keep_in_old_columns("account_move_line", invoice.line_ids.ids)
        self.env.cr.execute("DELETE FROM account_collection_item WHERE move_id = %s", invoice.ids)
        self.env.invalidate_all()
        self.assertFalse(invoice.collection_level_id)

        self._run_migration("19.0.1.4.0", "19.0.1.3.0")

        self.assertEqual(invoice.collection_level_id, self.levels[2])
        with freeze_time(date(2026, 6, 16)):
            self._post_as_data(invoice)
        first, second = invoice._collection_items().sorted("date_maturity")
        self.assertEqual(first.collection_level_id, self.levels[2])
        self.assertFalse(second.collection_level_id)
        self.assertEqual(
            self.env["account.collection.item"].search([("move_id", "=", invoice.id)]),
            (first | second).collection_item_id,
            "the invoice's own position goes once its items have theirs",
        )

    def test_an_invoice_posted_again_keeps_its_level(self):
        """Reset to draft and posted again with another invoice date and payment term, an
        invoice gets new items from Odoo: those the level was taken for keep it, the ladder goes
        on from there, and the new half falling due later starts on its own."""
        invoice = self._invoice(self.customer, 100.0, date(2026, 5, 20))
        self._run(MONDAY)
        self.assertEqual(invoice.collection_level_id, self.levels[2])
        old_items = invoice._collection_items()
        with freeze_time(date(2026, 6, 16)):
            invoice.button_draft()
            invoice.write({"invoice_date": date(2026, 5, 19), "invoice_payment_term_id": self.half_half.id})
            self._post_as_data(invoice)
        first, second = invoice._collection_items().sorted("date_maturity")
        self.assertEqual((first.date_maturity, second.date_maturity), (date(2026, 5, 19), date(2026, 7, 3)))
        self.assertTrue((first | second) - old_items, "Odoo made new items")
        self.assertEqual(first.collection_level_id, self.levels[2])
        self.assertFalse(second.collection_level_id)
        self.assertEqual(invoice.collection_level_id, self.levels[2])
        monday = self._history(self.customer)
        self.assertEqual(monday.move_ids, invoice)
        self.assertEqual(invoice.collection_history_ids, monday)
        self._run(date(2026, 6, 19))
        self.assertEqual(first.collection_level_id, self.levels[3], "the claim, not the demand again")
        demands = self._history(self.customer).filtered(lambda h: h.level_id == self.levels[2])
        self.assertEqual(demands.date, MONDAY)
        self.assertEqual(invoice.collection_history_ids, self._history(self.customer))
        self.assertEqual(self._history(self.customer).move_ids, invoice)
        self.assertEqual(
            self.env["account.collection.history"].search([("move_ids", "in", invoice.ids)]),
            self._history(self.customer),
        )

    def test_an_entry_keeps_its_history_when_its_item_is_deleted(self):
        """A step names its entry through its items; an item deleted since (an entry reset to
        draft and booked again) leaves the step naming the entry: its history stays with it."""
        entry = self._opening_balance(700.0, date(2026, 5, 20))
        item = entry._collection_items()
        self._run(MONDAY)
        step = self._history(self.customer)
        self.assertEqual((step.line_ids, step.move_ids, entry.collection_history_ids), (item, entry, step))
        self.assertFalse(step.kept_move_ids, "named through its item")
        with freeze_time(date(2026, 6, 16)):
            entry.button_draft()
            entry.write(
                {
                    "line_ids": [
                        Command.delete(item.id),
                        Command.create(
                            {
                                "account_id": item.account_id.id,
                                "partner_id": self.customer.id,
                                "debit": 700.0,
                                "date_maturity": date(2026, 5, 20),
                                "name": "Opening balance, booked again",
                            }
                        ),
                    ]
                }
            )
            entry.action_post()
        self.assertFalse(item.exists())
        self.assertFalse(step.line_ids)
        self.assertEqual(step.move_ids, entry)
        self.assertEqual(entry.collection_history_ids, step)
        self.assertEqual(self.env["account.collection.history"].search([("move_ids", "in", entry.ids)]), step)
        History = self.env["account.collection.history"]
        self.assertFalse(History.search([("move_ids", "not in", entry.ids), ("id", "=", step.id)]))
        self.assertEqual(History.search([("move_ids", "!=", False), ("id", "=", step.id)]), step)
        self.assertFalse(History.search([("move_ids", "=", False), ("id", "=", step.id)]))
        unnamed = History.create({"partner_id": self.customer.id, "date": MONDAY, "note": "no entry"})
        self.assertEqual(
            History.search([("move_ids", "=", False), ("partner_id", "=", self.customer.id)]), unnamed
        )
        Move = self.env["account.move"]
        self.assertEqual(Move.search([("collection_history_ids", "in", step.ids)]), entry)
        self.assertNotIn(entry, Move.search([("collection_history_ids", "=", False)]))
        self.assertIn(entry, Move.search([("collection_history_ids", "!=", False)]))

    def test_migration_keeps_only_the_entries_steps_name_without_items(self):
        """Steps logged by 19.0.1.4.0 named their items' entries a second time: the upgrade drops
        those links and keeps the entries a step names without its items."""
        invoice = self._invoice(self.customer, 100.0, date(2026, 5, 20))
        entry = self._opening_balance(700.0, date(2026, 5, 20))
        self._run(MONDAY)
        steps = self._history(self.customer)
        by_items = steps.filtered("line_ids")
        self.assertEqual(by_items[0].line_ids.move_id, invoice | entry)
        legacy = self.env["account.collection.history"].create(
            {"partner_id": self.customer.id, "date": MONDAY}
        )
        self.env.cr.execute(
            """
            INSERT INTO account_collection_history_move_rel (history_id, move_id)
            VALUES (%(step)s, %(invoice)s), (%(step)s, %(entry)s), (%(legacy)s, %(invoice)s)
            """,
            {"step": by_items[0].id, "invoice": invoice.id, "entry": entry.id, "legacy": legacy.id},
        )
        self.env.invalidate_all()
        self.assertEqual(by_items[0].kept_move_ids, invoice | entry)
        named = {step: step.move_ids for step in steps | legacy}

        self._run_migration("19.0.1.5.0", "19.0.1.4.0")

        self.assertFalse(by_items[0].kept_move_ids, "its items name both")
        self.assertEqual(legacy.kept_move_ids, invoice)
        self.assertEqual({step: step.move_ids for step in steps | legacy}, named)

    def test_broken_promise_leaves_instalments_not_yet_due(self):
        """A broken promise raises the items that were due one level; the half not yet due keeps
        its own steps."""
        invoice, first, second = self._instalment_invoice()
        self._run(MONDAY)
        with freeze_time(MONDAY):
            promise = (
                self.env["account.collection.call"]
                .with_user(self.collector)
                ._collection_log(
                    self.customer,
                    self.env["account.collection.outcome"].search(
                        [("outcome_type", "=", "promise")], limit=1
                    ),
                    invoice,
                    details={"lines": [(500.0, date(2026, 6, 17))]},
                )
                .promise_ids
            )
        with freeze_time(date(2026, 6, 23)):
            self.env["account.collection.promise"]._cron_evaluate()
        self.assertEqual(promise.state, "broken")
        self.assertEqual(first.collection_level_id, self.levels[3])
        self.assertFalse(second.collection_level_id)
        self.assertEqual(second.collection_next_date, date(2026, 6, 24))

    def test_invoices_and_items_search_sort_and_group_by_their_level(self):
        """Kept with the items' positions, the level and next step still filter, sort and group
        the invoice list (as its search view offers) and the items, for a collections manager
        and for an invoicing user who may not read the positions themselves."""
        invoice, first, second = self._instalment_invoice()
        courtesy = self._invoice(self.customer, 100.0, date(2026, 6, 18))
        self._run(MONDAY)
        self.assertEqual(courtesy.collection_level_id, self.levels[0])
        invoicing = new_test_user(
            self.env,
            login="items_invoicing",
            groups="account.group_account_invoice",
            company_id=self.company.id,
        )
        both = Domain("id", "in", (invoice | courtesy).ids)
        for user in (self.manager, invoicing):
            Move = self.env["account.move"].with_user(user)
            with self.subTest(user=user.login):
                self.assertEqual(
                    dict(Move._read_group(both, ["collection_level_id"], ["__count"])),
                    {self.levels[2]: 1, self.levels[0]: 1},
                )
                self.assertEqual(Move.search(both & Domain("collection_level_sequence", ">=", 3)), invoice)
                self.assertEqual(
                    Move.search(both & Domain("collection_next_date", "<=", date(2026, 6, 18))), courtesy
                )
                self.assertEqual(
                    Move.search(both, order="collection_next_date desc").ids, [invoice.id, courtesy.id]
                )
                self.assertEqual(Move.browse(invoice.id).collection_next_date, date(2026, 6, 19))
                described = Move.fields_get(
                    ["collection_level_id", "collection_next_date"], ["groupable", "sortable"]
                )
                self.assertTrue(all(attrs["groupable"] and attrs["sortable"] for attrs in described.values()))
                Line = self.env["account.move.line"].with_user(user)
                self.assertEqual(
                    Line.search(
                        [("move_id", "=", invoice.id), ("collection_next_date", "=", date(2026, 6, 24))]
                    ),
                    second,
                )
                self.assertEqual(
                    Line.search([("id", "in", (first | second).ids), ("collection_level_id", "=", False)]),
                    second,
                )

    def test_ladder_fields_are_the_ladders(self):
        """Nobody sets a level by hand, on the invoice or on its items, whatever the role."""
        invoice, first = self._instalment_invoice()[:2]
        accountant = self.env.user.copy({"login": "items_accountant"})
        for record in (invoice, first):
            for user in (self.manager, accountant):
                with self.assertRaisesRegex(UserError, "set by the ladder"):
                    record.with_user(user).write({"collection_level_id": self.levels[4].id})
        position = first.collection_item_id
        self.assertTrue(position, "scheduled when posted: its courtesy call")
        for fname in ("collection_top_item_id", "collection_step_item_id"):
            with self.assertRaisesRegex(UserError, "set by the ladder"):
                invoice.with_user(self.manager).write({fname: position.id})
        with self.assertRaisesRegex(UserError, "set by the ladder"):
            first.with_user(self.manager).write({"collection_item_id": position.id})
        self.assertFalse(first.collection_level_id)
        vals = prepare_invoice_vals(self.customer, 100.0, date(2026, 6, 30))
        with self.assertRaisesRegex(UserError, "set by the ladder"):
            self.env["account.move"].with_user(self.manager).create(
                {**vals, "collection_next_date": date(2026, 6, 16)}
            )
