# One entry point per task; tools/dev.sh does the work (see README.md).
.PHONY: run test test-dates test-runner lint bench test-odoo shell setup pot screenshots

run:        ## serve Odoo with the addon and demo data on http://127.0.0.1:8069
	bash tools/dev.sh run

test:       ## lint, fresh test database, the addon's tests through pytest
	bash tools/dev.sh test

test-dates: ## the tests with the clock on the next Saturday and on a public holiday
	bash tools/dev.sh test-dates

test-runner: ## the tests through Odoo's own runner (odoo-bin --test-enable)
	bash tools/dev.sh test-runner

lint:       ## ruff + pylint-odoo
	bash tools/dev.sh lint

bench:      ## benchmark the daily run (SIZE=2000|10000|50000)
	bash tools/dev.sh bench --size $(or $(SIZE),2000)

test-odoo:  ## Odoo's own account tests with and without the addon
	bash tools/dev.sh test-odoo

shell:      ## odoo shell on the demo database
	bash tools/dev.sh shell

setup:      ## only the virtualenv, Odoo source and PostgreSQL
	bash tools/dev.sh setup

pot:        ## regenerate i18n/account_collections.pot
	bash tools/dev.sh pot

screenshots: ## README screenshots from the demo (headless Chromium)
	bash tools/screenshots.sh
