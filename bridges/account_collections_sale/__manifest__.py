{
    "name": "Accounts Receivable Collections - Sales",
    "summary": "Credit terms enforced on sales orders: confirmation refused for customers on hold, "
    "manager override with a reason, credit requests from a blocked order",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/account-collections/account_collections",
    "author": "account_collections developers",
    "license": "LGPL-3",
    "depends": ["account_collections", "sale"],
    "auto_install": True,
    "data": [
        "security/ir.model.access.csv",
        "wizard/sale_order_hold_override_views.xml",
        "views/sale_order_views.xml",
        "views/account_collection_credit_request_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": ["demo/sale_order_demo.xml"],
}
