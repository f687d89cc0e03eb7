{
    "name": "Accounts Receivable Collections - Online Payment",
    "summary": "Pay now from the customer's collection page: the ladder's net demand paid through "
    "the company's payment providers and matched with the invoices and credits",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/account-collections/account_collections",
    "author": "account_collections developers",
    "license": "LGPL-3",
    "depends": ["account_collections", "account_payment"],
    "auto_install": True,
    "data": [
        "views/portal_templates.xml",
    ],
    "assets": {
        "web.assets_tests": ["account_collections_payment/static/tests/tours/*.js"],
    },
}
