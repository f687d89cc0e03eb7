"""Print the days CI runs the suite on besides today: the next Saturday, and the next
25 December (the test calendar's public holiday, tests/common.py) that is a weekday."""

from datetime import date, timedelta

today = date.today()
saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
year = today.year
while (holiday := date(year, 12, 25)) <= today or holiday.weekday() >= 5:
    year += 1
print(saturday.isoformat(), holiday.isoformat())
