import { registry } from "@web/core/registry";

/**
 * A debtor opens the link of its reminder and pays what it owes with the demo provider, without
 * logging in; it comes back to its page, thanked.
 */
registry.category("web_tour.tours").add("account_collections_pay_now_tour", {
    steps: () => [
        {
            content: "Pay now",
            trigger: ".o_collection_pay_now",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The amount is what is owed, credits deducted",
            trigger: "#o_payment_form[data-amount='1300.0']",
        },
        {
            content: "Choose the demo provider",
            trigger: "input[name='o_payment_radio'][data-provider-code='demo']",
            run: "click",
        },
        {
            content: "Card details (test data)",
            trigger: "#customer_input",
            run: "edit 4242424242424242",
        },
        {
            content: "Pay",
            trigger: "button[name='o_payment_submit_button']:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the collection page, thanked",
            trigger: ".alert-success:contains('Thank you for your payment')",
            timeout: 20000,
        },
    ],
});
