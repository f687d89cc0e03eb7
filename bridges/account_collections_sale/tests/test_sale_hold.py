from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.account_collections.tests.common import CollectionsCommon

TODAY = date(2026, 6, 15)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestSaleHold(CollectionsCommon):
    """Credit terms before the goods leave: a sales order of a customer on hold does not
    confirm, whatever the path, unless a collections manager says why."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sudo().write(
            {
                "collection_sale_hold": True,
                "account_use_credit_limit": True,
                "collection_limit_policy": "block",
            }
        )
        cls.customer.sudo().write({"credit_limit": 1000, "use_partner_credit_limit": True})
        cls.salesman = new_test_user(
            cls.env,
            login="salesman_hold",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
        )
        cls.portal = new_test_user(cls.env, login="portal_hold", groups="base.group_portal")
        # A collections manager who confirms orders sells too.
        cls.manager.group_ids |= cls.env.ref("sales_team.group_sale_salesman_all_leads")

    def _order(self, amount, partner=None, user=None):
        return (
            self.env["sale.order"]
            .with_user(user or self.salesman)
            .create(
                {
                    "partner_id": (partner or self.customer).id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.product_a.id, "product_uom_qty": 1, "price_unit": amount}
                        )
                    ],
                }
            )
        )

    def test_exposure_counts_confirmed_orders_not_invoiced(self):
        first = self._order(800)
        self.assertEqual(first.collection_credit_status, "normal")
        first.action_confirm()
        self.assertEqual(first.state, "sale")
        second = self._order(300)
        # 800 confirmed, not invoiced, plus these 300: over the limit of 1,000.
        self.assertEqual(second.collection_credit_status, "hold")
        self.assertIn("exceeds the credit limit", second.collection_hold_reasons)
        with self.assertRaisesRegex(UserError, "on credit hold"):
            second.action_confirm()
        self.assertEqual(second.state, "draft")

    def test_every_path_to_confirmation_is_closed(self):
        self._invoice(self.customer, 500, date(2026, 5, 1))  # 45 days overdue, no tolerance
        order = self._order(100)
        self.assertEqual(order.collection_credit_status, "hold")
        self.assertIn("Overdue for 45 days", order.collection_hold_reasons)
        paths = {
            "button": lambda o: o.action_confirm(),
            "write": lambda o: o.write({"state": "sale"}),
            "portal": lambda o: o.with_user(self.portal).sudo().action_confirm(),
            "copy": lambda o: o.copy().action_confirm(),
            "cancel then confirm": lambda o: (o._action_cancel(), o.action_draft(), o.action_confirm()),
        }
        for name, path in paths.items():
            with self.subTest(path=name), self.assertRaisesRegex(UserError, "on credit hold"):
                path(order.with_user(self.salesman))
        with self.assertRaisesRegex(UserError, "on credit hold"):
            self.env["sale.order"].with_user(self.salesman).create(
                {
                    "partner_id": self.customer.id,
                    "state": "sale",
                    "order_line": [Command.create({"product_id": self.product_a.id, "price_unit": 10})],
                }
            )
        self.assertEqual(order.state, "draft")
        self.assertFalse(
            self.env["sale.order"].search([("partner_id", "=", self.customer.id), ("state", "=", "sale")])
        )

    def test_manager_confirms_with_a_reason(self):
        self._invoice(self.customer, 500, date(2026, 5, 1))
        order = self._order(100)
        action = order.with_user(self.manager).action_confirm()
        self.assertEqual(action["res_model"], "sale.order.hold.override")
        self.assertEqual(order.state, "draft")
        with self.assertRaises(AccessError):
            order.with_user(self.salesman)._collection_confirm_with_override("I say so")
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).write({"collection_hold_override_reason": "I say so"})
        wizard = self.env["sale.order.hold.override"].with_user(self.manager).browse(action["res_id"])
        with self.assertRaisesRegex(UserError, "Give the reason"):
            wizard.action_confirm()
        wizard.reason = "Paid by wire this morning"
        wizard.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.collection_hold_override_reason, "Paid by wire this morning")
        self.assertIn("Confirmed despite the credit hold", order.message_ids[0].body)
        self.assertIn("Credit hold overridden for", self.customer.message_ids[0].body)
        # Invoicing goods already ordered (and maybe delivered) is not held, even with the
        # company blocking invoices of customers on hold.
        self.company.sudo().collection_credit_hold = True
        invoice = order._create_invoices()
        invoice.with_user(self.collector).action_post()
        self.assertEqual(invoice.state, "posted")

    def test_order_paid_in_advance_is_never_held(self):
        self._invoice(self.customer, 500, date(2026, 5, 1))
        order = self._order(100)
        method = self.env.ref("payment.payment_method_unknown")
        provider = self.env["payment.provider"].create(
            {
                "name": "Test Provider",
                "code": "none",
                "state": "test",
                "payment_method_ids": [Command.set(method.ids)],
            }
        )
        method.active = True
        self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": method.id,
                "amount": order.amount_total,
                "currency_id": order.currency_id.id,
                "partner_id": self.customer.id,
                "reference": "HOLD-PREPAID",
                "sale_order_ids": [Command.set(order.ids)],
                "state": "done",
            }
        )
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_credit_request_from_a_blocked_order(self):
        self._order(800).action_confirm()
        order = self._order(300)
        action = order.action_collection_request_credit()
        self.assertEqual(action["res_model"], "account.collection.credit.request")
        form = Form(
            self.env["account.collection.credit.request"]
            .with_user(self.salesman)
            .with_context(**action["context"])
        )
        self.assertEqual(form.credit_limit, 1000 + order.amount_total)
        request = form.save()
        self.assertEqual(request.sale_order_ids, order)
        self.assertIn(order.name, request.reason)
        with self.assertRaises(AccessError):
            request.with_user(self.salesman).action_approve()
        request.with_user(self.manager).action_approve()
        self.assertEqual(self.customer.credit_limit, 1000 + order.amount_total)
        self.assertEqual(order.state, "sale", "the order confirms once the request is approved")

    def test_approval_that_is_not_enough_says_so(self):
        self._order(800).action_confirm()
        order = self._order(300)
        request = (
            self.env["account.collection.credit.request"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": self.customer.id,
                    "change_credit_limit": True,
                    "credit_limit": 1050,
                    "reason": "Some more",
                    "sale_order_ids": [Command.set(order.ids)],
                }
            )
        )
        request.with_user(self.manager).action_approve()
        self.assertEqual(order.state, "draft")
        self.assertIn("Still on credit hold", order.message_ids[0].body)
