"""Which company a misrouted caller needs (``redirect`` with the directory): from the
identified account (its supplier; its settlement's DSO), else from the region the caller picks
on the keypad; a supplier nobody knows is the region's universal-service supplier."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from ivr.config.directory import CompanyRole, DirectoryEntry, Misrouted
from ivr.config.model import Menu
from ivr.flow.context import FlowContext, Request, Response

#: Times the region question is asked before the caller is told no company is known.
REGION_ATTEMPTS = 2


@dataclass(frozen=True)
class Target:
    """The company to name, and the prompt that introduces it."""

    entry: DirectoryEntry
    intro: str  # misrouted_supplier | misrouted_universal | misrouted_dso


Found = Generator[Request, Response, Target | None]


def find_company(ctx: FlowContext, menu: Menu, role: str, misrouted: Misrouted) -> Found:
    """The company for the caller's area, or None when the directory has none."""
    directory, account = ctx.config.directory, ctx.state.account
    settlement = account.address.settlement if account is not None else None
    if role == "supplier" and account is not None:
        supplier = directory.find(account.supplier)
        if supplier is not None and supplier.role is not CompanyRole.DSO:
            return Target(supplier, "misrouted_supplier")
    if role == "dso":
        dso = directory.dso_for(settlement)
        if dso is not None:
            return Target(dso, "misrouted_dso")
    region = directory.region_of(settlement)
    if region is None:
        region = yield from ask_region(ctx, menu, misrouted)
    if region is None:
        return None
    if role == "dso":
        entry = directory.in_region(region, CompanyRole.DSO)
        return None if entry is None else Target(entry, "misrouted_dso")
    entry = directory.in_region(region, CompanyRole.UNIVERSAL_SUPPLIER)
    return None if entry is None else Target(entry, "misrouted_universal")


def ask_region(
    ctx: FlowContext, menu: Menu, misrouted: Misrouted
) -> Generator[Request, Response, str | None]:
    """The region the caller picks from the configured keypad list (None: no list, or no
    valid key after ``REGION_ATTEMPTS`` questions)."""
    if misrouted.region_prompt is None or not misrouted.regions:
        return None
    keys = "".join(sorted(misrouted.regions))
    for _ in range(REGION_ATTEMPTS):
        key = yield from ctx.play(misrouted.region_prompt, keys)
        if key is None:
            key = yield from ctx.wait_digit(menu.timeout_ms)
        if key is not None and key in misrouted.regions:
            ctx.step(menu, key=key, event=f"region_{misrouted.regions[key]}")
            return misrouted.regions[key]
        yield from ctx.play(menu.timeout_prompt if key is None else menu.invalid_prompt)
    ctx.step(menu, event="region_unknown")
    return None
