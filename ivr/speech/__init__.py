"""Ukrainian speech for dynamic values, planned in Python as sequences of prompt fragments.

Asterisk's ``say.c`` has no Ukrainian (it falls back to English word order), so the IVR plans
numbers, times, dates, money and digit strings itself and plays the fragments with STREAM
FILE. The fragments are ordinary prompts rendered by ``ivr prompts build``.
"""

from ivr.speech.fragments import Fragment, catalogue, fragment_text
from ivr.speech.grammar import (
    NOUNS,
    Gender,
    digit_groups,
    plan_appeal_number,
    plan_count,
    plan_date,
    plan_digits,
    plan_duration,
    plan_hours,
    plan_money,
    plan_number,
    plan_phone,
    plan_time,
    plan_weekday,
    plan_year,
    plural_form,
)
from ivr.speech.parse import KINDS, plan_value
from ivr.speech.plan import Plan, SayError

__all__ = [
    "KINDS",
    "NOUNS",
    "Fragment",
    "Gender",
    "Plan",
    "SayError",
    "catalogue",
    "digit_groups",
    "fragment_text",
    "plan_appeal_number",
    "plan_count",
    "plan_date",
    "plan_digits",
    "plan_duration",
    "plan_hours",
    "plan_money",
    "plan_number",
    "plan_phone",
    "plan_time",
    "plan_value",
    "plan_weekday",
    "plan_year",
    "plural_form",
]
