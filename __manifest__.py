{
    "name": "Accounts Receivable Collections",
    "summary": "Credit terms, a working-day follow-up ladder, call outcomes and "
    "promises to pay for customer invoices",
    "version": "19.0.1.6.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/account-collections/account_collections",
    "author": "account_collections developers",
    "license": "LGPL-3",
    "depends": ["account", "mail", "portal", "resource"],
    "data": [
        # groups, then access, then record rules
        "security/account_collections_groups.xml",
        "security/ir.model.access.csv",
        "security/account_collections_security.xml",
        # data
        "data/mail_activity_type_data.xml",
        "data/mail_template_data.xml",
        "data/account_collection_ladder_data.xml",
        "data/account_collection_outcome_data.xml",
        "data/account_collection_reason_data.xml",
        "data/account_collection_charge_data.xml",
        "data/ir_cron_data.xml",
        # reports
        "report/account_collection_letter_reports.xml",
        "report/account_collection_letter_templates.xml",
        "report/account_collection_report_views.xml",
        "report/account_collection_kpi_views.xml",
        # wizard views, then views, then menus
        "wizard/account_collection_call_register_views.xml",
        "wizard/account_collection_reassign_views.xml",
        "wizard/account_collection_reminder_send_views.xml",
        "wizard/account_move_hold_override_views.xml",
        "wizard/account_collection_preview_views.xml",
        "wizard/account_collection_charge_waive_views.xml",
        "views/account_collection_ladder_views.xml",
        "views/account_collection_call_views.xml",
        "views/account_collection_credit_request_views.xml",
        "views/account_collection_history_views.xml",
        "views/account_collection_run_views.xml",
        "views/account_collection_exclusion_views.xml",
        "views/account_collection_charge_views.xml",
        "views/account_collection_promise_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/res_partner_views.xml",
        "views/portal_templates.xml",
        "views/account_collections_menus.xml",
    ],
    "assets": {
        "web.assets_tests": ["account_collections/static/tests/tours/*.js"],
    },
    "demo": [
        # collectors, customers on every level, calls with each outcome, promises
        "demo/account_collection_demo.xml",
    ],
}
