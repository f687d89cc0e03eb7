{
    "name": "Accounts Receivable Collections - Inventory",
    "summary": "Credit terms enforced on deliveries: validating a delivery to a customer on hold "
    "is refused when the company enables it, with a manager override",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/account-collections/account_collections",
    "author": "account_collections developers",
    "license": "LGPL-3",
    "depends": ["account_collections", "stock"],
    "auto_install": True,
    "data": [
        "security/ir.model.access.csv",
        "wizard/stock_picking_hold_override_views.xml",
        "views/stock_picking_views.xml",
        "views/res_config_settings_views.xml",
    ],
}
