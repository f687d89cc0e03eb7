from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class CollectionsCommon(AccountTestInvoicingCommon):
    """Companies, collectors and customers shared by the collections tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
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
