import re
from pathlib import Path

from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestFoundation(CollectionsCommon):
    def test_groups_hierarchy(self):
        collector = self.env.ref("account_collections.group_collections_collector")
        manager = self.env.ref("account_collections.group_collections_manager")
        self.assertIn(collector, manager.all_implied_ids)
        self.assertIn(manager, self.env.ref("account.group_account_manager").all_implied_ids)
        self.assertTrue(self.manager.has_group("account_collections.group_collections_collector"))
        self.assertFalse(self.collector.has_group("account_collections.group_collections_manager"))
        self.assertTrue(
            self.env.ref("base.user_admin").has_group("account_collections.group_collections_manager")
        )

    def test_menu_visible_to_collectors_only(self):
        menu = self.env.ref("account_collections.account_collections_menu")
        config_menu = self.env.ref("account_collections.account_collection_ladder_menu")
        plain_user = self.env["res.users"].create(
            {
                "name": "Billing clerk",
                "login": "billing_clerk",
                "group_ids": [(6, 0, self.env.ref("account.group_account_invoice").ids)],
            }
        )

        def visible(user):
            return set(self.env["ir.ui.menu"].with_user(user)._visible_menu_ids())

        self.assertIn(menu.id, visible(self.collector))
        self.assertNotIn(config_menu.id, visible(self.collector))
        self.assertIn(config_menu.id, visible(self.manager))
        self.assertNotIn(menu.id, visible(plain_user))

    def test_managers_reach_the_configuration_in_the_web_client(self):
        """The web client shows a menu only under visible parents: a collections manager who is
        no accounting administrator still reaches ladders, reasons and charge policies."""
        self.assertFalse(self.manager.has_group("account.group_account_manager"))
        reachable = self.env["ir.ui.menu"].with_user(self.manager).load_menus(debug=False)
        actions = {
            (menu["action_model"], menu["action_id"])
            for menu in reachable.values()
            if isinstance(menu, dict) and menu.get("action_id")
        }
        for xmlid in (
            "account_collection_ladder_action",
            "account_collection_reason_action",
            "account_collection_charge_policy_action",
        ):
            action = self.env.ref(f"account_collections.{xmlid}")
            self.assertIn((action._name, action.id), actions, xmlid)
        collector_menus = self.env["ir.ui.menu"].with_user(self.collector).load_menus(debug=False)
        self.assertNotIn(
            self.env.ref("account_collections.account_collections_menu_config").id, collector_menus
        )

    def test_collector_cannot_read_manager_configuration(self):
        company = self.company.with_user(self.collector)
        with self.assertRaises(AccessError):
            company.read(["collection_promise_horizon"])
        self.assertEqual(self.company.with_user(self.manager).collection_promise_horizon, 30)

    def test_collector_cannot_change_ladders(self):
        ladder = self.env["account.collection.ladder"].create(
            {
                "name": "Test ladder",
                "level_ids": [(0, 0, {"name": "Due-date call", "offset_days": 0, "action_call": True})],
            }
        )
        # Collectors read the ladder (they follow it) but cannot change it.
        self.assertEqual(ladder.with_user(self.collector).name, "Test ladder")
        with self.assertRaises(AccessError):
            ladder.with_user(self.collector).write({"name": "Shorter ladder"})
        with self.assertRaises(AccessError):
            ladder.level_ids.with_user(self.collector).write({"offset_days": 5})
        ladder.with_user(self.manager).write({"name": "Renamed"})
        self.assertEqual(ladder.name, "Renamed")

    def test_views_read_as_a_user_expects(self):
        """The invoice's banner puts no space before its comma; the worklist's calendar shows the
        overdue amount with its currency, and its list wraps the reasons, a line each."""
        move_form = self.env.ref("account.view_move_form")
        arch = etree.fromstring(self.env["account.move"].get_view(move_form.id)["arch"])
        (next_step,) = arch.xpath("//span[@invisible='not collection_next_level_id']")
        self.assertEqual(next_step.getprevious().get("name"), "collection_level_date")
        self.assertEqual(next_step.getprevious().tail, ")")
        self.assertTrue(next_step.text.startswith(", next:"))
        Worklist = self.env["account.collection.worklist"]
        calendar = etree.fromstring(Worklist.get_view(view_type="calendar")["arch"])
        self.assertTrue(calendar.xpath("//field[@name='currency_id']"))
        self.assertTrue(calendar.xpath("//field[@name='overdue_amount'][@widget='monetary']"))
        self.assertEqual(Worklist._fields["priority_reasons"].type, "text")

    def test_every_test_module_is_imported(self):
        """Odoo's own runner (odoo-bin --test-enable, runbot, OCA CI) only runs the test
        modules that tests/__init__.py imports; pytest finds them all by itself."""
        folder = Path(__file__).parent
        on_disk = {path.stem for path in folder.glob("test_*.py")}
        imported = set(re.findall(r"^from \. import (test_\w+)$", (folder / "__init__.py").read_text(), re.M))
        self.assertEqual(imported, on_disk)
