"""Knowing who calls: by caller ID when exactly one account has the number, else by the
personal account number or the 12 digits of the EIC code keyed in, read back and confirmed.

Used by the ``identify`` action and by actions that need the caller's account first
(``outage_status``). The account found is kept in ``CallState.account`` for the rest of the
call. Several accounts on one number: the caller picks one by its last digits; the IVR never
guesses. Look-ups are effects (``FindAccountsByPhone``, ``FindAccount``): a failed or late one
is said to the caller, who then gets the keypad or the operator, never silence.
"""

from __future__ import annotations

import logging
from collections.abc import Generator

from ivr.accounts.eic import KEYED_DIGITS as EIC_DIGITS
from ivr.accounts.eic import eic_from_digits
from ivr.accounts.model import Account
from ivr.accounts.numbers import mask_account
from ivr.config.model import Menu
from ivr.flow.context import FlowContext, Request, Response
from ivr.flow.effects import FindAccount, FindAccountsByPhone
from ivr.flow.input import (
    Collected,
    Confirmation,
    ConfirmRequest,
    DigitsRequest,
    collect_digits,
    confirm,
)
from ivr.speech import plan_digits

log = logging.getLogger(__name__)

#: Accounts offered by their last digits when several share the caller's number.
MAX_CHOICES = 8
LAST_DIGITS = 4

#: Prompt ids of identification: their Ukrainian texts live in prompts/uk.yaml.
PROMPTS = (
    "identify_by_phone",
    "identify_several",
    "identify_ending",
    "identify_press",
    "identify_ask",
    "identify_ask_account",
    "identify_entered",
    "identify_confirm",
    "identify_invalid",
    "identify_not_found",
    "identify_found",
    "identify_unavailable",
)

Found = Generator[Request, Response, Account | None]


#: What identification notes in the path: by caller ID, by keypad, and a keyed number the
#: registry does not know (the outcomes ``ivr test --coverage`` looks for).
EVENTS = ("identified_by_caller_id", "identified_by_keypad", "identify_not_found")


def identify(ctx: FlowContext, menu: Menu) -> Found:
    """The caller's account, or None (the keypad attempts ran out, or look-ups failed)."""
    if ctx.state.account is not None:
        return ctx.state.account
    account = yield from by_caller_id(ctx, menu)
    if account is None:
        account = _remember(ctx, (yield from _by_keypad(ctx, menu)))
    return account


def _remember(ctx: FlowContext, account: Account | None) -> Account | None:
    """Keep the account for the rest of the call (and its record)."""
    if account is not None:
        ctx.state.account = account
        ctx.state.variables["account"] = account.number
        log.info(
            "call %s: caller identified as %s", ctx.call.call_uid, mask_account(account.number)
        )
    return account


def by_caller_id(ctx: FlowContext, menu: Menu) -> Found:
    """The caller's account by caller ID alone (one account, or the caller's pick of several);
    None, without a word, when no account has the number."""
    if ctx.state.account is not None:
        return ctx.state.account
    return _remember(ctx, (yield from _by_phone(ctx, menu)))


def _by_phone(ctx: FlowContext, menu: Menu) -> Found:
    phone = ctx.call.caller.number
    if not phone:
        return None
    result = yield from ctx.effect(FindAccountsByPhone(phone))
    if not result.ok:
        log.warning(
            "call %s: accounts by caller ID not looked up: %s", ctx.call.call_uid, result.error
        )
        return None
    accounts: list[Account] = list(result.value or [])
    if len(accounts) == 1:
        yield from ctx.play("identify_by_phone")
        ctx.step(menu, event="identified_by_caller_id")
        return accounts[0]
    if len(accounts) > 1:
        return (yield from _choose(ctx, menu, accounts[:MAX_CHOICES]))
    return None


def _choose(ctx: FlowContext, menu: Menu, accounts: list[Account]) -> Found:
    """Several accounts on the caller's number: "ending in 1234: press 1, ..."; a key that
    matches none, or silence, goes to the keypad entry."""
    keys = "".join(str(i) for i in range(1, len(accounts) + 1))
    key = yield from ctx.play("identify_several", keys)
    for number, account in enumerate(accounts, start=1):
        if key is not None:
            break
        key = yield from ctx.play("identify_ending", keys)
        if key is None:
            key = yield from ctx.say(plan_digits(account.number[-LAST_DIGITS:]), keys)
        if key is None:
            key = yield from ctx.play("identify_press", keys)
        if key is None:
            key = yield from ctx.play(f"digits/{number}", keys)
    if key is None:
        key = yield from ctx.wait_digit(menu.timeout_ms)
    if key is not None and key in keys:
        ctx.step(menu, key=key, event="identified_by_choice")
        return accounts[int(key) - 1]
    return None


def _by_keypad(ctx: FlowContext, menu: Menu) -> Found:
    settings = ctx.config.identification
    length = settings.account_length
    longest = max(length, EIC_DIGITS) if settings.eic else length
    request = DigitsRequest(
        prompts=("identify_ask" if settings.eic else "identify_ask_account",),
        min_length=min(length, EIC_DIGITS) if settings.eic else length,
        max_length=longest,
    )
    question = ConfirmRequest(question_prompt="identify_confirm", intro_prompt="identify_entered")
    for _ in range(settings.attempts):
        entered = yield from collect_digits(ctx, request)
        digits = entered.digits if isinstance(entered, Collected) else ""
        if len(digits) not in (length, EIC_DIGITS if settings.eic else length):
            ctx.step(menu, event="identify_invalid")
            yield from ctx.play("identify_invalid")
            continue
        answer = yield from confirm(ctx, plan_digits(digits), question)
        if answer in (Confirmation.NO, Confirmation.NO_ANSWER):
            continue
        if len(digits) == length:
            lookup = FindAccount(number=digits)
        else:
            lookup = FindAccount(eic=eic_from_digits(digits))
        result = yield from ctx.effect(lookup)
        if not result.ok:
            log.error("call %s: account not looked up: %s", ctx.call.call_uid, result.error)
            ctx.fail(f"account look-up: {result.error}")
            yield from ctx.play("identify_unavailable")
            return None
        if result.value is None:
            ctx.step(menu, event="identify_not_found")
            yield from ctx.play("identify_not_found")
            continue
        yield from ctx.play("identify_found")
        ctx.step(menu, event="identified_by_keypad")
        return result.value  # type: ignore[no-any-return]
    return None
