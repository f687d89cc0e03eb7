from bisect import bisect_left
from datetime import datetime, time, timedelta

from pytz import timezone

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import ValidationError

from ..const import MANAGER


class ResCompany(models.Model):
    _inherit = "res.company"

    # Collection policy is management's decision: collectors neither see nor
    # change it; business code reads it with sudo().
    collection_ladder_id = fields.Many2one(
        "account.collection.ladder",
        string="Default Collection Ladder",
        groups=MANAGER,
        domain="[('company_id', '=', id)]",
    )
    collection_user_id = fields.Many2one(
        "res.users",
        string="Default Collector",
        groups=MANAGER,
        help="Collector of customers that have neither a collector nor a salesperson, "
        "when the ladder names none either.",
    )
    collection_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Collection Working Calendar",
        groups=MANAGER,
        help="Working days and public holidays used to schedule collection steps. "
        "Defaults to the company's working hours.",
    )
    collection_promise_horizon = fields.Integer(
        string="Promise Horizon (days)",
        default=30,
        groups=MANAGER,
        help="A promise to pay may not be dated further than this many days ahead.",
    )
    collection_portal_link_days = fields.Integer(
        string="Portal Link Validity (days)",
        default=60,
        groups=MANAGER,
        help="Days the link in a reminder or letter opens the customer's page without logging in.",
    )
    collection_portal_promise_days = fields.Integer(
        string="Portal Promises (days)",
        default=0,
        groups=MANAGER,
        help="Days from today a customer may promise to pay on the portal without its collector's "
        "agreement, beyond its approved tolerance. A later date becomes a request for the collector.",
    )
    collection_promise_grace = fields.Integer(
        string="Promise Grace (working days)",
        default=3,
        groups=MANAGER,
        help="Working days after the promised date during which a payment still keeps the promise.",
    )
    collection_credit_hold = fields.Boolean(
        string="Block Customers On Credit Hold",
        groups=MANAGER,
        help="Refuse to post customer invoices of customers on credit hold (overdue beyond the "
        "tolerance, over the limit with the 'block' policy, or held by a manager). "
        "Collections managers can still post with a reason.",
    )
    collection_limit_policy = fields.Selection(
        [("warn", "Warn"), ("block", "Block")],
        string="Credit Limit Policy",
        default="block",
        required=True,
        groups=MANAGER,
        help="Whether exceeding the credit limit only warns or puts the customer on hold.",
    )
    collection_broken_promise_limit = fields.Integer(
        string="Broken Promises Before Hold",
        default=2,
        groups=MANAGER,
        help="A customer with more broken promises than this in 90 days is put on hold. "
        "Zero disables the rule.",
    )
    collection_demand_threshold = fields.Monetary(
        string="Demand Above",
        currency_field="currency_id",
        groups=MANAGER,
        help="A customer whose net amount due (due items, less unmatched payments and credit notes, "
        "disputed and promised items left out) is at or below this gets no payment demand and "
        "no collection call after the due date.",
    )
    collection_run_retention_days = fields.Integer(
        string="Keep Run Records (days)",
        default=365,
        groups=MANAGER,
        help="Records of the daily collection runs older than this are deleted. Zero keeps them all.",
    )
    collection_call_retries = fields.Integer(
        string="Call Retries",
        default=3,
        groups=MANAGER,
        help="Unanswered calls retried on the next working day before escalating.",
    )

    collection_run_workers = fields.Integer(
        string="Workers",
        default=1,
        groups=MANAGER,
        help="Scheduled jobs sharing the daily run, each taking a part of the customers (1 to 4). "
        "They run at the same time only if the server has as many cron threads "
        "(--max-cron-threads); otherwise the parts run one after the other.",
    )
    collection_snapshot_retention_days = fields.Integer(
        string="Keep Snapshots (days)",
        default=730,
        groups=MANAGER,
        help="Daily receivables snapshots older than this are deleted. Zero keeps them all.",
    )
    collection_charges_enabled = fields.Boolean(
        string="Late-Payment Charges",
        groups=MANAGER,
        help="Levels with a charge policy post late-payment fees and interest on fee invoices. "
        "Off: nothing is charged, whatever the levels say.",
    )
    collection_charges_since = fields.Date(
        string="Charges Since",
        groups=MANAGER,
        help="Interest is charged for days from this date on (set when charges are first enabled): "
        "turning charges on does not bill the years an old debt was late before.",
    )
    collection_charge_product_id = fields.Many2one(
        "product.product",
        string="Charges Product",
        groups=MANAGER,
        help="Product of the fee invoices' lines: its income account and taxes apply.",
    )
    collection_charge_journal_id = fields.Many2one(
        "account.journal",
        string="Charges Journal",
        domain="[('type', '=', 'sale')]",
        groups=MANAGER,
        help="Sales journal of the fee invoices; empty: the first sales journal.",
    )

    def write(self, vals):
        if vals.get("collection_charges_enabled") and "collection_charges_since" not in vals:
            for company in self.filtered(lambda c: not c.sudo().collection_charges_since):
                company.sudo().collection_charges_since = fields.Date.context_today(self)
        return super().write(vals)

    @api.constrains("collection_run_workers")
    def _check_collection_run_workers(self):
        for company in self:
            if not 1 <= company.collection_run_workers <= 4:
                raise ValidationError(self.env._("The daily run takes 1 to 4 workers."))

    def _collection_blocks_on_hold(self):
        """Whether anything is refused to this company's customers on credit hold (posting
        invoices here; the bridges add sales orders and deliveries)."""
        self.ensure_one()
        return bool(self.sudo().collection_credit_hold)

    def _collection_fallback_user(self):
        """Who gets the collection work nobody is named for (no collector, salesperson, ladder
        collector or manager, default collector): the company's first collections manager, else
        the administrator; never OdooBot, whose activities nobody sees. Looked up once per
        transaction and company."""
        self.ensure_one()
        cache = self.env.cr.cache.setdefault("collection_fallback_user", {})
        if self.id not in cache:
            user = (
                self.env["res.users"]
                .sudo()
                .search(
                    [
                        ("all_group_ids", "in", self.env.ref(MANAGER).id),
                        ("company_ids", "in", self.id),
                        ("share", "=", False),
                        ("id", "!=", SUPERUSER_ID),
                    ],
                    order="id",
                    limit=1,
                )
            )
            # No collections manager at all: the administrator, who at least sees the work.
            admin = self.env.ref("base.user_admin", raise_if_not_found=False)
            cache[self.id] = user.id or (admin and admin.id) or SUPERUSER_ID
        return self.env["res.users"].browse(cache[self.id])

    def _collection_calendar(self):
        """Working calendar of the collection schedule (company calendar by default)."""
        self.ensure_one()
        company = self.sudo()
        return company.collection_calendar_id or company.resource_calendar_id

    def _collection_workdays(self, start, stop):
        """Working days of the collection calendar from `start` to `stop`, public holidays excluded.

        Computed once per run and range, so scheduling thousands of invoices costs no query;
        a date outside the range widens it (one more calendar computation).
        """
        self.ensure_one()
        return WorkingDays(
            self._collection_workday_dates(start, stop), start, stop, self._collection_workday_dates
        )

    def _collection_workday_dates(self, start, stop):
        self.ensure_one()
        calendar = self._collection_calendar()
        if not calendar:
            return [
                start + timedelta(days=i)
                for i in range((stop - start).days + 1)
                if (start + timedelta(days=i)).weekday() < 5
            ]
        tz = timezone(calendar.tz or "UTC")
        start_dt = tz.localize(datetime.combine(start, time.min))
        stop_dt = tz.localize(datetime.combine(stop, time.max))
        intervals = calendar.sudo()._work_intervals_batch(start_dt, stop_dt, tz=tz)[False]
        return sorted({begin.date() for begin, _end, _meta in intervals})


class WorkingDays:
    """Sorted working dates of a window with working-day arithmetic.

    `load(start, stop)` gives the working dates of a window; a shift reaching outside the
    current window widens it first, so any date works, however old the invoice.
    """

    def __init__(self, dates, start=None, stop=None, load=None):
        self.dates, self.start, self.stop, self.load = dates, start, stop, load
        # {(reference, offset): date}: a run shifts the same few hundred dates by the same few
        # offsets for tens of thousands of items.
        self.shifted = {}

    def _cover(self, reference, offset):
        """Widen the window around `reference` and `offset` working days (3 calendar days each)."""
        margin = timedelta(days=3 * abs(offset) + 30)
        low, high = reference - margin, reference + margin
        if self.load and (low < self.start or high > self.stop):
            # Widen by a year on the short side: a backlog's old dates then cost one reload.
            if low < self.start:
                self.start = low - timedelta(days=365)
            if high > self.stop:
                self.stop = high + timedelta(days=365)
            self.dates = self.load(self.start, self.stop)
            self.shifted = {}

    def shift(self, reference, offset):
        """The date `offset` working days from `reference`.

        A reference on a non-working day counts from the next working day, so a step
        that would fall on a weekend or holiday moves to the next working day.
        """
        key = (reference, offset)
        if key in self.shifted:
            return self.shifted[key]
        self._cover(reference, offset)
        index = bisect_left(self.dates, reference) + offset
        self.shifted[key] = self.dates[index] if 0 <= index < len(self.dates) else None
        return self.shifted[key]

    def next_workday(self, day):
        """`day` itself when it is a working day, else the next one."""
        return self.shift(day, 0)
