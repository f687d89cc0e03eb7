"""Demo data built through the addon's own business methods, relative to the install day.

Like ``account``'s demo, it lives in ``demo/`` and only runs when demo data is loaded
(``demo/account_collection_demo.xml`` calls it).
"""

from datetime import timedelta

from odoo import Command, fields, models

from ..grant import POST_ON_HOLD, grant

# (name, collector key, [(amount, days from today to the due date)], what happens next)
DEMO_CUSTOMERS = [
    ("Nordwind Trading", "anna", [(1800.0, 30)], "delivery"),
    ("Baltic Timber", "anna", [(2400.0, 3)], "satisfied"),
    ("Danube Foods", "anna", [(950.0, 0)], "call_back"),
    ("Volga Machinery", "anna", [(4200.0, -1)], None),
    ("Pannonia Textiles", "anna", [(3100.0, -2)], "no_answer"),
    ("Ural Steel", "boris", [(7600.0, -4), (1200.0, 12)], "refused"),
    ("Tisza Wines", "boris", [(2750.0, -16)], "wrong_contact"),
    ("Siberian Logistics", "boris", [(12500.0, -45)], None),
    ("Carpathian Paper", "boris", [(3900.0, -25)], "hold"),
    ("Adriatic Marine", "boris", [(2000.0, -12)], "kept"),
    ("Balaton Hotels", "clara", [(1500.0, -9), (800.0, -9)], "broken"),
    ("Neva Pharmaceuticals", "clara", [(5200.0, -6)], "promise"),
    ("Kama Chemicals", "clara", [(6100.0, -8)], "partial"),
    ("Hortobagy Farms", "clara", [(1350.0, -5)], "dispute"),
    ("Onega Fisheries", "clara", [(990.0, -3)], "paid"),
]
DEMO_COLLECTORS = {
    "anna": "Anna Kovacs",
    "boris": "Boris Petrov",
    "clara": "Clara Weber",
}


class ResCompany(models.Model):
    _inherit = "res.company"

    def _collection_demo_load(self):
        """Three collectors, fifteen customers on every level of the ladder, their calls
        with each outcome, promises kept, broken and open, a hold and a lawyers' case."""
        self.ensure_one()
        company = self.with_context(tracking_disable=True, allowed_company_ids=self.ids)
        env = company.env
        today = fields.Date.context_today(env.user)
        collector_group = env.ref("account_collections.group_collections_collector")
        collectors = {
            key: env["res.users"].create(
                {
                    "name": name,
                    "login": f"{key}@collections.example.com",
                    "password": key,
                    "email": f"{key}@collections.example.com",
                    "company_id": self.id,
                    "company_ids": [Command.link(self.id)],
                    "group_ids": [Command.link(collector_group.id)],
                }
            )
            for key, name in DEMO_COLLECTORS.items()
        }
        self.sudo().write({"collection_user_id": env.ref("base.user_admin").id})
        Move, customers, invoices = env["account.move"], {}, {}
        for name, collector, lines, _ in DEMO_CUSTOMERS:
            slug = name.split()[0].lower()
            partner = env["res.partner"].create(
                {
                    "name": name,
                    "is_company": True,
                    "email": f"accounts@{slug}.example.com",
                    "phone": "+36 1 555 0100",
                    "collection_user_id": collectors[collector].id,
                }
            )
            customers[name] = partner
            invoices[name] = Move.create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": min(today - timedelta(days=30), today + timedelta(days=due - 30)),
                        "invoice_date_due": today + timedelta(days=due),
                        "invoice_payment_term_id": False,
                        "invoice_line_ids": [
                            Command.create({"name": "Goods delivered", "quantity": 1, "price_unit": amount})
                        ],
                    }
                    for amount, due in lines
                ]
            )
        nordwind = invoices["Nordwind Trading"]
        nordwind.invoice_date = today - timedelta(days=1)
        demo_moves = Move.browse([m.id for moves in invoices.values() for m in moves])
        # Demo history, posted whatever the customers' credit status (the override's grant).
        with grant(env, POST_ON_HOLD, demo_moves.ids):
            demo_moves.action_post()

        # Promises agreed in the past: kept (paid in time), broken, partially kept.
        past = today - timedelta(days=14)
        Promise = env["account.collection.promise"]
        for name, amount, paid in (("Adriatic Marine", 2000.0, 2000.0), ("Kama Chemicals", 6100.0, 2500.0)):
            moves = invoices[name]
            Promise.create(
                {
                    "partner_id": customers[name].id,
                    "move_ids": [Command.set(moves.ids)],
                    "currency_id": moves.currency_id.id,
                    "amount": amount,
                    "date": today - timedelta(days=7),
                    "date_start": past,
                    "source": "call",
                    "user_id": customers[name].collection_user_id.id,
                }
            )
            env["account.payment.register"].with_context(
                active_model="account.move", active_ids=moves.ids
            ).create({"amount": paid, "payment_date": today - timedelta(days=8)})._create_payments()
        balaton = invoices["Balaton Hotels"]
        Promise.create(
            [
                {
                    "partner_id": customers["Balaton Hotels"].id,
                    "move_ids": [Command.set(balaton.ids)],
                    "currency_id": balaton.currency_id.id,
                    "amount": 1150.0,
                    "date": today - timedelta(days=6 - 3 * index),
                    "date_start": past,
                    "source": "meeting",
                    "user_id": customers["Balaton Hotels"].collection_user_id.id,
                    "instalment": index + 1,
                    "instalment_count": 2,
                }
                for index in range(2)
            ]
        )
        # The ladder as if it had run every working day of the last weeks: each invoice
        # climbed its levels on their own days (a single run would start every late invoice
        # at its first written step). The collectors dealt with each day's calls and tasks
        # (removed here; the steps stay in the history): today's work is what is left open.
        Run = env["account.collection.run"].sudo()
        Activity = env["mail.activity"].sudo()
        Snapshot = env["account.collection.snapshot"].sudo()
        for day in self._collection_workdays(today - timedelta(days=70), today - timedelta(days=1)).dates:
            Run._collection_run(self, today=day)
            # The managers' trends need a history: the snapshot job, as if it had run each day
            # (with today's open items, aged on that day).
            Snapshot._collection_take(self, day)
            Activity.search(
                [
                    ("automated", "=", True),
                    ("date_deadline", "<=", day),
                    ("res_model", "in", ("res.partner", "account.collection.ladder")),
                ]
            ).unlink()
        # The daily jobs: promises past their date are decided, then the ladder runs.
        env["account.collection.promise"]._cron_evaluate()
        Run._collection_run(self)

        # Today's calls, one per outcome, by each customer's collector.
        # One outcome record per type at install: the shipped ones.
        outcome = {record.outcome_type: record for record in env["account.collection.outcome"].search([])}
        stories = {
            "promise": {"lines": [(2600.0, today + timedelta(days=7)), (2600.0, today + timedelta(days=21))]},
            "paid": {"paid_date": today - timedelta(days=1), "paid_reference": "Transfer 2026-118"},
            "dispute": {"reason": "Two pallets arrived damaged; the customer asks for a credit note."},
            "refused": {},
            "no_answer": {},
            "wrong_contact": {},
            "call_back": {"callback_date": today + timedelta(days=2), "callback_time": 15.0},
            "satisfied": {},
        }
        for name, _, _, story in DEMO_CUSTOMERS:
            if story not in stories:
                continue
            partner = customers[name]
            Call = env["account.collection.call"].with_user(partner.collection_user_id)
            Call._collection_log(
                partner,
                outcome[story],
                invoices[name],
                details=stories[story],
                duration=4.0,
                notes=f"<p>Spoke with the accounts payable team of {name}.</p>",
            )
        carpathian = customers["Carpathian Paper"]
        carpathian.write(
            {"collection_hold_manual": True, "collection_hold_reason": "Cheque returned unpaid twice"}
        )
        carpathian._collection_log_status_changes()
        Snapshot._collection_take(self, today)
