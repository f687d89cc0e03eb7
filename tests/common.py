import importlib.util
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from odoo import Command, fields, models
from odoo.tests import new_test_user
from odoo.tools import SQL

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.account_collections.grant import POST_ON_HOLD, grant
from odoo.addons.account_collections.models.account_move_line import ITEM_COLUMNS


def prepare_invoice_vals(partner, amount, due, invoice_date=None, currency=None, move_type="out_invoice"):
    """Values of a one-line customer invoice (or refund) due on `due`, without taxes.

    Shared by the tests and the benchmark so both build the same documents.
    """
    return {
        "move_type": move_type,
        "partner_id": partner.id,
        "invoice_date": invoice_date or min(due, fields.Date.today()),
        "invoice_date_due": due,
        "invoice_payment_term_id": False,
        **({"currency_id": currency.id} if currency else {}),
        "invoice_line_ids": [
            Command.create({"name": "Goods", "quantity": 1, "price_unit": amount, "tax_ids": []})
        ],
    }


# The test calendar's public holiday, every year: CI runs the suite with the clock set to one
# that falls on a weekday (tools/dev.sh test-dates), and to a Saturday.
PUBLIC_HOLIDAY = (12, 25)
HOLIDAY_YEARS = range(2020, 2041)


def public_holidays():
    return [date(year, *PUBLIC_HOLIDAY) for year in HOLIDAY_YEARS]


class CollectionsCommon(AccountTestInvoicingCommon):
    """Companies, collectors and customers shared by the collections tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.currency = cls.company.currency_id
        cls.collector = new_test_user(
            cls.env,
            login="collector_a",
            name="Collector A",
            groups="account_collections.group_collections_collector",
            company_id=cls.company.id,
        )
        cls.collector_b = new_test_user(
            cls.env,
            login="collector_b",
            name="Collector B",
            groups="account_collections.group_collections_collector",
            company_id=cls.company.id,
        )
        cls.manager = new_test_user(
            cls.env,
            login="collections_manager",
            name="Collections Manager",
            groups="account_collections.group_collections_manager",
            company_id=cls.company.id,
        )
        cls.env["resource.calendar.leaves"].create(
            [
                {
                    "name": "Christmas",
                    "calendar_id": cls.company.resource_calendar_id.id,
                    "company_id": cls.company.id,
                    "date_from": datetime.combine(day, datetime.min.time()),
                    "date_to": datetime.combine(day, datetime.max.time().replace(microsecond=0)),
                    "time_type": "leave",
                }
                for day in public_holidays()
            ]
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Debtor Ltd", "is_company": True, "email": "ap@debtor.example.com"}
        )
        cls.ladder = cls.env["account.collection.ladder"].create(
            {
                "name": "Test ladder",
                "company_id": cls.company.id,
                "user_id": cls.collector.id,
                "manager_id": cls.manager.id,
                "level_ids": [
                    Command.create(vals)
                    for vals in (
                        {"sequence": 1, "name": "Courtesy call", "offset_days": -3, "action_call": True},
                        {
                            "sequence": 2,
                            "name": "Due call",
                            "offset_days": 0,
                            "call_time": 12,
                            "action_call": True,
                        },
                        {
                            "sequence": 3,
                            "name": "Demand",
                            "offset_days": 1,
                            "action_email": True,
                            "action_letter": True,
                        },
                        {
                            "sequence": 4,
                            "name": "Claim",
                            "offset_days": 5,
                            "action_call": True,
                            "action_notify_manager": True,
                        },
                        {"sequence": 5, "name": "Lawyers", "offset_days": 10, "action_legal": True},
                    )
                ],
            }
        )
        cls.levels = cls.ladder._ordered_levels()
        cls.company.sudo().collection_ladder_id = cls.ladder
        # wkhtmltopdf fetches the letters' stylesheets from the report URL: point it at a closed
        # port, so that PDF tests never wait on whatever Odoo server listens on the default one.
        cls.env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")

    def _flush_tracking(self):
        """Tracking values are written when the transaction commits (a pre-commit hook)."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _run_migration(self, version, previous):
        """Run the upgrade script of `version` as Odoo would on a database at `previous`."""
        path = Path(__file__).parents[1] / "migrations" / version / "post-migrate.py"
        spec = importlib.util.spec_from_file_location(f"collections_migrate_{version}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.env.flush_all()
        module.migrate(self.env.cr, previous)
        self.env.invalidate_all()

    @contextmanager
    def _refused(self, exception, pattern):
        with self.assertRaises(exception) as refusal:
            yield refusal
        self.assertRegex(str(refusal.exception), pattern)

    def assertRaisesRegex(self, exception, regex, *args, **kwargs):
        """Like Odoo's ``assertRaises``, under a savepoint: a refused write leaves nothing behind
        (unittest's version would keep the rows the refused call inserted)."""
        if args:
            with self._refused(exception, regex):
                args[0](*args[1:], **kwargs)
            return None
        return self._refused(exception, regex)

    @classmethod
    def _invoice(cls, partner, amount, due, post=True, company=None, **kwargs):
        move = (
            cls.env["account.move"]
            .with_company(company or cls.company)
            .create(prepare_invoice_vals(partner, amount, due, **kwargs))
        )
        if post:
            cls._post_as_data(move)
        return move

    @classmethod
    def _forget_ladder_steps(cls, lines):
        """Take these items off the ladder in the database (their positions go), as imported
        items come; their entries follow."""
        cls.env.flush_all()
        cls.env.cr.execute(
            "DELETE FROM account_collection_item WHERE id = ANY(%s) RETURNING move_id", [lines.ids]
        )
        cls.env["account.move"]._collection_derive_from_items({row[0] for row in cls.env.cr.fetchall()})
        cls.env.invalidate_all()

    @classmethod
    def _keep_in_old_columns(cls, table, ids):
        """Put where these rows stand on the ladder (items or invoices, as their fields read it
        now) in the columns an older version kept on `table`, as an upgrade finds them."""
        cls.env.flush_all()
        model = cls.env["account.move" if table == "account_move" else "account.move.line"]
        for name in ITEM_COLUMNS:
            column_type = model._fields[name].column_type[1]
            cls.env.cr.execute(
                SQL(
                    "ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s",
                    SQL.identifier(table),
                    SQL.identifier(name),
                    SQL(column_type),
                )
            )
        for record in model.browse(ids):
            cls.env.cr.execute(
                SQL(
                    "UPDATE %s SET %s WHERE id = %s",
                    SQL.identifier(table),
                    SQL(", ").join(
                        SQL(
                            "%s = %s",
                            SQL.identifier(name),
                            value.id or None if isinstance(value, models.BaseModel) else value or None,
                        )
                        for name in ITEM_COLUMNS
                        for value in [record[name]]
                    ),
                    record.id,
                )
            )

    @staticmethod
    def _post_as_data(moves):
        """Post test data whatever the customers' credit status: the server-side grant the
        override wizard uses, which no client can send."""
        with grant(moves.env, POST_ON_HOLD, moves.ids):
            moves.action_post()

    @classmethod
    def _unmatched_credit(cls, partner, amount, day, company=None):
        """A payment received but not yet matched with an invoice: a journal entry crediting
        the customer's receivable (as a bank statement line booked on account would)."""
        company = company or cls.company
        receivable = partner.with_company(company).property_account_receivable_id
        bank = cls.company_data["default_journal_bank"].default_account_id
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "date": day,
                    "journal_id": cls.company_data["default_journal_misc"].id,
                    "line_ids": [
                        Command.create({"account_id": bank.id, "debit": amount, "name": "Transfer"}),
                        Command.create(
                            {
                                "account_id": receivable.id,
                                "partner_id": partner.id,
                                "credit": amount,
                                "name": "Transfer",
                            }
                        ),
                    ],
                }
            )
        )
        move.action_post()
        return move

    def _opening_balance(self, amount, maturity, partner=None, day=None):
        """An opening balance of the customer, as a company migrating to Odoo books it: an
        entry on its receivable, not an invoice, booked on `day` (1 May 2026 by default)."""
        partner = partner or self.customer
        day = day or date(2026, 5, 1)
        receivable = partner.property_account_receivable_id
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": day,
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": receivable.id,
                            "partner_id": partner.id,
                            "debit": amount,
                            "date_maturity": maturity,
                            "name": "Opening balance",
                        }
                    ),
                    Command.create(
                        {
                            "account_id": self.company_data["default_account_revenue"].id,
                            "credit": amount,
                            "name": "Opening balance",
                        }
                    ),
                ],
            }
        )
        entry.action_post()
        return entry

    @classmethod
    def _pay(cls, invoice, amount, date):
        return cls._register_payment(invoice, amount=amount, payment_date=date)
