"""Uninstall the addon from the database `odoo shell` runs on and check nothing is left.

Run by `make test` after the unit tests:  odoo-bin shell -d DB < tools/check_uninstall.py
Exits non-zero on any leftover, so a broken uninstall fails the build.
"""

import sys

ADDON = "account_collections"
module = env["ir.module.module"].search([("name", "=", ADDON), ("state", "=", "installed")])  # noqa: F821
if not module:
    sys.exit(f"{ADDON} is not installed: nothing to uninstall")
module.button_immediate_uninstall()
env.cr.commit()  # noqa: F821
env.invalidate_all()  # noqa: F821

cr = env.cr  # noqa: F821
leftovers = {}
checks = {
    "models": "SELECT count(*) FROM ir_model WHERE model LIKE 'account.collection.%%'",
    "xml ids": "SELECT count(*) FROM ir_model_data WHERE module = %s",
    "views": "SELECT count(*) FROM ir_ui_view WHERE arch_db::text LIKE '%%collection_%%'",
    "crons": "SELECT count(*) FROM ir_cron WHERE cron_name::text LIKE '%%ollection%%'",
    "menus": "SELECT count(*) FROM ir_ui_menu WHERE name::text LIKE '%%Collections%%'",
    "company columns": "SELECT count(*) FROM information_schema.columns "
    "WHERE table_name = 'res_company' AND column_name LIKE 'collection_%%'",
    "tables": "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'account_collection_%%'",
}
for label, query in checks.items():
    cr.execute(query, (ADDON,) if "%s" in query else None)
    count = cr.fetchone()[0]
    if count:
        leftovers[label] = count
state = env["ir.module.module"].search([("name", "=", ADDON)]).state  # noqa: F821
print(f"uninstall check: state={state} leftovers={leftovers or 'none'}")
if state != "uninstalled" or leftovers:
    sys.exit(1)
