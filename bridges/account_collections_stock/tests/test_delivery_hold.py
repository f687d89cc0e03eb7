from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.account_collections.tests.common import CollectionsCommon

TODAY = date(2026, 6, 15)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDeliveryHold(CollectionsCommon):
    """When the company enables it, goods do not leave for a customer on credit hold."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sudo().collection_delivery_hold = True
        cls.storekeeper = new_test_user(
            cls.env, login="storekeeper_hold", groups="stock.group_stock_user", company_id=cls.company.id
        )
        cls.manager.group_ids |= cls.env.ref("stock.group_stock_user")
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)

    def _delivery(self, partner=None):
        picking = (
            self.env["stock.picking"]
            .with_company(self.company)
            .create(
                {
                    "partner_id": (partner or self.customer).id,
                    "picking_type_id": self.warehouse.out_type_id.id,
                    "move_ids": [
                        Command.create(
                            {
                                "product_id": self.product_a.id,
                                "product_uom_qty": 2,
                                "location_id": self.warehouse.lot_stock_id.id,
                                "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                            }
                        )
                    ],
                }
            )
        )
        picking.action_confirm()
        picking.move_ids.quantity = 2
        return picking

    def test_delivery_to_a_customer_on_hold_is_refused(self):
        self._invoice(self.customer, 500, date(2026, 5, 1))  # 45 days overdue
        picking = self._delivery()
        for attempt in (
            lambda p: p.button_validate(),
            lambda p: p._action_done(),
        ):
            with self.assertRaisesRegex(UserError, "on credit hold"):
                attempt(picking.with_user(self.storekeeper))
        self.assertNotEqual(picking.state, "done")
        with self.assertRaises(AccessError):
            picking.with_user(self.storekeeper).write({"collection_hold_override_reason": "urgent"})
        # Nor on a new delivery, where the reason would let it through.
        with self.assertRaises(AccessError):
            self.env["stock.picking"].with_user(self.storekeeper).create(
                {
                    "partner_id": self.customer.id,
                    "picking_type_id": self.warehouse.out_type_id.id,
                    "collection_hold_override_reason": "urgent",
                }
            )
        with self.assertRaises(AccessError):
            picking.with_user(self.storekeeper)._collection_validate_with_override("urgent")
        action = picking.with_user(self.manager).button_validate()
        self.assertEqual(action["res_model"], "stock.picking.hold.override")
        wizard = self.env["stock.picking.hold.override"].with_user(self.manager).browse(action["res_id"])
        with self.assertRaisesRegex(UserError, "Give the reason"):
            wizard.action_confirm()
        wizard.reason = "Cash on delivery agreed"
        wizard.action_confirm()
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.collection_hold_override_reason, "Cash on delivery agreed")
        self.assertIn("Delivered despite the credit hold", self.customer.message_ids[0].body)

    def test_customers_within_terms_and_companies_not_blocking(self):
        picking = self._delivery()
        picking.with_user(self.storekeeper).button_validate()
        self.assertEqual(picking.state, "done")
        self._invoice(self.customer, 500, date(2026, 5, 1))
        self.company.sudo().collection_delivery_hold = False
        other = self._delivery()
        other.with_user(self.storekeeper).button_validate()
        self.assertEqual(other.state, "done")
