import { registry } from "@web/core/registry";

/**
 * A collector's morning: the customer is on today's worklist, the call ends with a promise
 * to pay, the customer leaves the list. Dates are typed in the user's format (en_US).
 */
registry.category("web_tour.tours").add("account_collections_worklist_tour", {
    steps: () => [
        {
            content: "Today's call to the debtor is on the worklist",
            trigger: ".o_list_view .o_data_row:contains('Tour Debtor')",
        },
        {
            content: "Log the call from the worklist",
            trigger: ".o_data_row:contains('Tour Debtor') button[name='action_log_call']",
            run: "click",
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
            content: "The call is done: the debtor leaves today's list",
            trigger: "body:not(:has(.modal)) .o_action_manager:not(:has(.o_data_row:contains('Tour Debtor')))",
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
