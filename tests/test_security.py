import base64

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import CollectionsCommon

MODELS = [
    "account.collection.ladder",
    "account.collection.ladder.level",
    "account.collection.outcome",
    "account.collection.call",
    "account.collection.promise",
    "account.collection.history",
    "account.collection.credit.request",
    "account.collection.worklist",
    "account.collection.aging",
]


@tagged("post_install", "-at_install")
class TestSecurity(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = new_test_user(cls.env, login="portal_debtor", groups="base.group_portal")
        cls.public = cls.env.ref("base.public_user")
        cls.employee = new_test_user(
            cls.env, login="plain_employee", groups="base.group_user", company_id=cls.company.id
        )
        cls.invoice = cls._invoice(cls.customer, 500, fields.Date.today())
        cls.call = (
            cls.env["account.collection.call"]
            .with_user(cls.collector)
            ._collection_log(
                cls.customer,
                cls.env.ref("account_collections.account_collection_outcome_refused"),
                cls.invoice,
            )
        )
        cls.recording = cls.env["ir.attachment"].create(
            {
                "name": "call.ogg",
                "raw": b"OggS fake audio",
                "res_model": "account.collection.call",
                "res_id": cls.call.id,
            }
        )
        cls.call.recording_ids = [Command.set(cls.recording.ids)]

    def test_portal_and_public_users_reach_nothing(self):
        for user in (self.portal, self.public):
            for model in MODELS:
                with self.subTest(user=user.id, model=model), self.assertRaises(AccessError):
                    self.env[model].with_user(user).search([], limit=1)
            with self.assertRaises(AccessError):
                self.recording.with_user(user).read(["raw"])
        # Credit terms and collection figures on contacts are for collectors only, even on
        # the contact a portal user may read (its own).
        own = self.portal.partner_id.with_user(self.portal)
        own.read(["name"])
        for fname in ("collection_overdue_amount", "collection_credit_status", "collection_hold_reason"):
            with self.subTest(field=fname), self.assertRaises(AccessError):
                own.read([fname])

    def test_employees_outside_collections_reach_nothing(self):
        for model in MODELS:
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.employee).search([], limit=1)

    def test_recordings_readable_by_collectors_of_the_company_only(self):
        self.assertEqual(self.recording.with_user(self.collector_b).raw, b"OggS fake audio")
        self.assertEqual(self.recording.with_user(self.manager).datas, base64.b64encode(b"OggS fake audio"))
        with self.assertRaises(AccessError):
            self.recording.with_user(self.employee).read(["raw"])
        other_company = self.setup_other_company(name="Elsewhere Ltd")["company"]
        outsider = new_test_user(
            self.env,
            login="outsider_collector",
            groups="account_collections.group_collections_collector",
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
        )
        with self.assertRaises(AccessError):
            self.recording.with_user(outsider).read(["raw"])
        with self.assertRaises(AccessError):
            self.call.with_user(outsider).read(["notes"])

    def test_import_obeys_the_constraints(self):
        """Odoo's CSV import (``load``) rejects what the forms reject, and writes nothing."""
        Ladder = self.env["account.collection.ladder"].with_user(self.manager)
        before = Ladder.search_count([])
        with mute_logger("odoo.sql_db", "odoo.models"):
            result = Ladder.load(["name"], [["Imported, no level"]])
        self.assertFalse(result["ids"])
        self.assertIn("at least one level", result["messages"][0]["message"])
        with mute_logger("odoo.sql_db", "odoo.models"):
            result = Ladder.load(
                ["name", "level_ids/name", "level_ids/offset_days"],
                [["Imported, idle level", "Does nothing", "3"]],
            )
        self.assertFalse(result["ids"])
        self.assertIn("must do something", result["messages"][0]["message"])
        with mute_logger("odoo.sql_db", "odoo.models"):
            result = Ladder.load(
                ["name", "level_ids/name", "level_ids/offset_days", "level_ids/action_call"],
                [["Imported, twice", "First", "3", "1"], ["", "Second", "3", "1"]],
            )
        self.assertFalse(result["ids"])
        self.assertEqual(Ladder.search_count([]), before)
        Promise = self.env["account.collection.promise"].with_user(self.manager)
        with mute_logger("odoo.sql_db", "odoo.models"):
            result = Promise.load(
                ["partner_id/id", "move_ids/id", "currency_id/id", "amount", "date"],
                [
                    [
                        self.customer.get_external_id().get(self.customer.id)
                        or self.customer._export_rows([["id"]])[0][0],
                        self.invoice._export_rows([["id"]])[0][0],
                        self.invoice.currency_id._export_rows([["id"]])[0][0],
                        "0",
                        "2030-01-01",
                    ]
                ],
            )
        self.assertFalse(result["ids"])
        self.assertFalse(Promise.search([("partner_id", "=", self.customer.id)]))

    def test_access_matrix_every_model_and_role(self):
        """Model x role x operation, as the access rights grant it; then, records of another
        company are out of reach of its collectors and managers."""
        invoicing = new_test_user(
            self.env,
            login="matrix_invoicing",
            groups="account.group_account_invoice",
            company_id=self.company.id,
        )
        other_company = self.setup_other_company(name="Matrix Ltd")["company"]
        outsider = new_test_user(
            self.env,
            login="matrix_outsider",
            groups="account_collections.group_collections_manager",
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
        )
        read, collect, decide, everything, nothing = "r", "rwc", "rw", "rwcu", ""
        # {model: (collector, manager)}: public, portal, plain employees and invoicing users get nothing.
        expected = {
            "account.collection.ladder": (read, everything),
            "account.collection.ladder.level": (read, everything),
            "account.collection.outcome": (read, everything),
            "account.collection.call": (collect, everything),
            "account.collection.promise": (collect, everything),
            "account.collection.history": (decide, everything),
            "account.collection.credit.request": (collect, everything),
            "account.collection.worklist": (read, read),
            "account.collection.aging": (read, read),
            "account.collection.item": (read, read),
            "account.collection.call.register": (everything, everything),
            "account.collection.call.register.line": (everything, everything),
            "account.collection.reminder.send": (everything, everything),
            "account.collection.reassign": (nothing, everything),
            "account.move.hold.override": (nothing, "rwc"),
            "account.collection.charge.policy": (read, everything),
            "account.collection.charge.rate": (read, everything),
            "account.collection.charge": (read, read),
            "account.collection.charge.waive": (nothing, "rwc"),
            "account.collection.snapshot": (nothing, read),
            "account.collection.kpi": (nothing, read),
            "account.collection.collector.kpi": (nothing, read),
        }
        operations = {"r": "read", "w": "write", "c": "create", "u": "unlink"}
        roles = {
            "public": (self.public, lambda rights: nothing),
            "portal": (self.portal, lambda rights: nothing),
            "employee": (self.employee, lambda rights: nothing),
            "invoicing": (invoicing, lambda rights: nothing),
            "collector": (self.collector, lambda rights: rights[0]),
            "manager": (self.manager, lambda rights: rights[1]),
            "other company": (outsider, lambda rights: rights[1]),
        }
        Access = self.env["ir.model.access"]
        for model, rights in expected.items():
            for role, (user, allowed) in roles.items():
                granted = "".join(
                    letter
                    for letter, operation in operations.items()
                    if Access.with_user(user).check(model, operation, raise_exception=False)
                )
                self.assertEqual(granted, allowed(rights), f"{role} on {model}")
        # Record rules: this company's records, as another company's manager sees them.
        records = {
            "account.collection.ladder": self.ladder,
            "account.collection.ladder.level": self.levels[0],
            "account.collection.item": self.invoice._collection_items().collection_item_id,
            "account.collection.call": self.call,
            "account.collection.history": self.env["account.collection.history"].create(
                {"partner_id": self.customer.id, "ladder_id": self.ladder.id}
            ),
            "account.collection.credit.request": self.env["account.collection.credit.request"].create(
                {"partner_id": self.customer.id, "change_tolerance": True, "tolerance_days": 5, "reason": "x"}
            ),
        }
        for model, record in records.items():
            with self.subTest(model=model):
                self.assertFalse(self.env[model].with_user(outsider).search([("id", "=", record.id)]))
                with self.assertRaises(AccessError):
                    record.with_user(outsider).read(["display_name"])
                with self.assertRaises(AccessError):
                    record.with_user(outsider).check_access("write")
                self.assertTrue(record.with_user(self.manager).read(["display_name"]))
        # The managers' figures and the company's own charge policy: none for another company.
        today = fields.Date.context_today(self.manager)
        self._invoice(self.customer, 100.0, today)
        self.env["account.collection.snapshot"]._collection_take(self.company, today)
        own_policy = self.env["account.collection.charge.policy"].create(
            {"name": "Own", "company_id": self.company.id}
        )
        mine = [("company_id", "=", self.company.id)]
        for model in (
            "account.collection.snapshot",
            "account.collection.kpi",
            "account.collection.collector.kpi",
            "account.collection.charge.policy",
        ):
            with self.subTest(model=model):
                self.assertTrue(self.env[model].with_user(self.manager).search(mine))
                self.assertFalse(self.env[model].with_user(outsider).search(mine))
        with self.assertRaises(AccessError):
            own_policy.with_user(outsider).read(["name"])
