import { registry } from "@web/core/registry";

/**
 * A debtor opens the link of its reminder, without logging in: it promises to pay part of what
 * it owes in two instalments, then disputes the older invoice. The page says what happened
 * after each form.
 */
registry.category("web_tour.tours").add("account_collections_portal_tour", {
    steps: () => [
        {
            content: "The page states what is owed, credits deducted",
            trigger: ".o_collection_net:contains('1,300.00')",
        },
        {
            content: "First instalment: 600",
            trigger: "#promise_amount_1",
            run: "edit 600",
        },
        {
            content: "Open the instalments",
            trigger: ".o_collection_instalments summary",
            run: "click",
        },
        {
            content: "Second instalment: 700...",
            trigger: ".o_collection_instalments input[name='amount_2']",
            run: "edit 700",
        },
        {
            content: "... in a week",
            trigger: ".o_collection_instalments input[name='date_2']",
            // A date input takes its value as YYYY-MM-DD whatever the browser's language.
            run() {
                const input = document.querySelector(".o_collection_instalments input[name='date_2']");
                input.value = luxon.DateTime.now().plus({ days: 7 }).toISODate();
            },
        },
        {
            content: "Promise",
            trigger: ".o_collection_promise_form button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The promise is recorded",
            trigger: ".alert-success:contains('your promise is recorded')",
        },
        {
            content: "Nothing is left to demand while the promise runs",
            trigger: ".o_collection_due:contains('payment promised, not demanded')",
        },
        {
            content: "Choose the invoice to dispute: the oldest, listed first",
            trigger: "#dispute_move",
            run: "selectByIndex 0",
        },
        {
            content: "Say why",
            trigger: "#dispute_reason",
            run: "edit The goods never arrived",
        },
        {
            content: "Dispute",
            trigger: ".o_collection_dispute_form button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The dispute is recorded and shown",
            trigger: ".alert-success:contains('Your dispute is recorded')",
        },
        {
            content: "The invoice is under review",
            trigger: ".o_collection_disputed:contains('under review')",
        },
    ],
});
