import { registry } from "@web/core/registry";

/**
 * A collector's morning: two customers are on today's worklist. The first call ends with a
 * promise to pay and that customer leaves the list; the collector moves on to the next one,
 * who does not answer. Dates are typed in the user's format (en_US).
 */
registry.category("web_tour.tours").add("account_collections_worklist_tour", {
    steps: () => [
        {
            content: "Today's calls to both customers are on the worklist",
            trigger:
                ".o_list_view:has(.o_data_row:contains('Tour Next Customer')) .o_data_row:contains('Tour Debtor')",
        },
        {
            content: "Log the call to the first customer from the worklist",
            trigger: ".o_data_row:contains('Tour Debtor') button[name='action_log_call']",
            run: "click",
        },
        {
            content: "The wizard is about the first customer",
            trigger: ".modal .o_field_widget[name='partner_id']:contains('Tour Debtor')",
        },
        {
            content: "The customer agreed to pay",
            trigger: ".modal .o_field_widget[name='outcome_id'] .o_selection_badge:contains('Promise to pay')",
            run: "click",
        },
        {
            content: "How much",
            trigger: ".modal .o_field_widget[name='promise_amount'] input",
            run: "edit 250",
        },
        {
            content: "By when: a week from today",
            trigger: ".modal .o_field_widget[name='promise_date'] input",
            run: `edit ${luxon.DateTime.now().plus({ days: 7 }).toFormat("MM/dd/yyyy")}`,
        },
        {
            content: "What was said",
            trigger: ".modal .o_field_widget[name='next_step'] input",
            run: "edit Check the transfer next week",
        },
        {
            content: "Save the outcome",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The call is done: the first customer leaves today's list, the next one is still on it",
            trigger:
                "body:not(:has(.modal)) .o_list_view:not(:has(.o_data_row:contains('Tour Debtor'))) .o_data_row:contains('Tour Next Customer')",
        },
        {
            content: "Move on: log the call to the next customer",
            trigger: ".o_data_row:contains('Tour Next Customer') button[name='action_log_call']",
            run: "click",
        },
        {
            content: "The wizard is about the next customer",
            trigger: ".modal .o_field_widget[name='partner_id']:contains('Tour Next Customer')",
        },
        {
            content: "Nobody picked up",
            trigger: ".modal .o_field_widget[name='outcome_id'] .o_selection_badge:contains('No answer')",
            run: "click",
        },
        {
            content: "What to do next",
            trigger: ".modal .o_field_widget[name='next_step'] input",
            run: "edit Try the accounts payable line",
        },
        {
            content: "Save the outcome",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "Both calls are done: nobody is left on today's list",
            trigger:
                "body:not(:has(.modal)) .o_action_manager:not(:has(.o_data_row:contains('Tour Next Customer'))):not(:has(.o_data_row:contains('Tour Debtor')))",
        },
    ],
});

/** On the customer: the promise is there, with its amount. */
registry.category("web_tour.tours").add("account_collections_customer_promise_tour", {
    steps: () => [
        {
            content: "The customer shows one open promise",
            trigger: ".o_form_view .oe_stat_button[name='action_collection_promises']:contains('1')",
            run: "click",
        },
        {
            content: "The promise lists its amount and state",
            trigger: ".o_list_view .o_data_row:contains('250.00'):contains('Open')",
        },
    ],
});

/** "Mark Done" on a collection call in the chatter leads to the outcome wizard, never past it. */
registry.category("web_tour.tours").add("account_collections_mark_done_tour", {
    steps: () => [
        {
            content: "Mark the planned collection call as done from the chatter",
            trigger: ".o-mail-Activity:contains('Due call') .o-mail-Activity-markDone",
            run: "click",
        },
        {
            content: "Confirm in the popover",
            trigger: ".o-mail-ActivityMarkAsDone button[aria-label='Done']",
            run: "click",
        },
        {
            content: "Refused: the call needs an outcome; open the wizard from the warning",
            trigger: ".modal:contains('recorded outcome') button:contains('Log the call')",
            run: "click",
        },
        {
            content: "The customer had no complaint",
            trigger: ".modal .o_field_widget[name='outcome_id'] .o_selection_badge:contains('Satisfied')",
            run: "click",
        },
        {
            content: "Save the outcome",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The call is no longer planned",
            trigger: "body:not(:has(.modal)) .o-mail-Chatter:not(:has(.o-mail-Activity:contains('Due call')))",
        },
    ],
});

/**
 * The accounting administrator opens a ladder's level from the configuration menu and rewrites
 * the title and the text of its letter.
 */
registry.category("web_tour.tours").add("account_collections_level_letter_tour", {
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Invoicing",
            trigger: ".o_app[data-menu-xmlid='account.menu_finance']",
            run: "click",
        },
        {
            content: "Open the configuration menu",
            trigger: ".o_main_navbar button[data-menu-xmlid='account.menu_finance_configuration']",
            run: "click",
        },
        {
            content: "Collection ladders",
            trigger: ".dropdown-item[data-menu-xmlid='account_collections.account_collection_ladder_menu']",
            run: "click",
        },
        {
            content: "Open the company's ladder",
            trigger: ".o_list_view .o_data_row:contains('Test ladder') .o_data_cell[name='name']",
            run: "click",
        },
        {
            content: "Open the level in its form",
            trigger: ".o_field_widget[name='level_ids'] .o_data_row:contains('Demand') .o_data_cell[name='name']",
            run: "click",
        },
        {
            content: "The letter's title",
            trigger: ".modal .o_field_widget[name='letter_title'] input",
            run: "edit Final demand before legal action",
        },
        {
            content: "The letter's text",
            trigger: ".modal .o_field_html[name='letter_body'] .odoo-editor-editable p:contains('Please pay')",
            run: "editor Pay within eight days to avoid court costs.",
        },
        {
            content: "Keep the level's changes",
            trigger: ".modal .modal-footer .o_form_button_save",
            run: "click",
        },
        {
            content: "Save the ladder",
            trigger: "body:not(:has(.modal)) .o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_button_save:not(:visible)",
        },
    ],
});
