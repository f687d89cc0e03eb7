{
    "name": "Accounts Receivable Collections",
    "summary": "Credit terms, a working-day follow-up ladder, call outcomes and "
    "promises to pay for customer invoices",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/account-collections/account_collections",
    "author": "account_collections developers",
    "license": "LGPL-3",
    "depends": ["account", "mail", "resource"],
    "data": [
        # groups, then access, then record rules
        "security/account_collections_groups.xml",
        "security/ir.model.access.csv",
        "security/account_collections_security.xml",
        # data
        "data/mail_activity_type_data.xml",
        # views
        "views/account_collection_ladder_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/account_collections_menus.xml",
    ],
}
