"""Deadlines of the procedure steps, in working days of the official calendar (policy §1.7, rule 13).

A step's deadline counts from the day its stage began: consent and home check share one window from the
case's opening; review and notice share one window from the comparison; the township's window starts
when the notice ends. The identification as a whole must reach county approval within
`identification_total_days` calendar days of the lead's discovery.
"""

import datetime

from zhenxing.cases.models import Step
from zhenxing.lib.workdays import add_working_days

WORKDAYS_KEY = {
    Step.CONSENT: "home_verification_workdays",
    Step.HOME_CHECK: "home_verification_workdays",
    Step.COMPARISON: "comparison_workdays",
    Step.REVIEW: "village_review_workdays",
    Step.NOTICE: "village_review_workdays",
    Step.TOWNSHIP: "township_review_workdays",
    Step.COUNTY: "county_approval_workdays",
    Step.ANNOUNCEMENT: "announcement_workdays",
}
# Steps that share the deadline of the step before them (one window for both).
SHARES_WINDOW = {Step.HOME_CHECK: Step.CONSENT, Step.NOTICE: Step.REVIEW}


def due_date(step: str, since: datetime.date, policy) -> datetime.date | None:
    key = WORKDAYS_KEY.get(step)
    return add_working_days(since, policy[key]) if key else None


def days_overdue(due: datetime.date | None, today: datetime.date) -> int:
    return max(0, (today - due).days) if due else 0
