"""Ids and names: making a step or team id of a name, and telling whether a name is the customer's.

Shared by everything that builds a blueprint out of another format (BPMN files, event logs), so
that the same name gives the same id and the same lane whatever it was read from.
"""
from __future__ import annotations

import re

__all__ = ["slug", "unique_id", "is_customer_name", "CUSTOMER_WORDS", "STAFF_WORDS"]

#: Words that make a pool, lane, resource or group the customer's (a word of its name), unless a
#: word of :data:`STAFF_WORDS` is there too.
CUSTOMER_WORDS = frozenset({
    "customer", "customers", "client", "clients", "consumer", "consumers", "patient", "patients",
    "citizen", "citizens", "applicant", "applicants", "guest", "guests", "buyer", "buyers", "passenger",
    "passengers", "shopper", "shoppers", "caller", "callers", "claimant", "claimants", "member", "members",
    "student", "students", "tenant", "tenants"})
#: Words that make a name the staff's even when a customer word is in it ("Customer service").
STAFF_WORDS = frozenset({
    "service", "services", "support", "care", "desk", "team", "agent", "agents", "manager", "relations",
    "success", "department", "dept", "centre", "center", "office", "management", "advisor", "adviser",
    "representative", "rep", "officer", "staff"})


def slug(text: str | None, fallback: str = "step") -> str:
    """An id made of `text`: lower case, words joined by ``_``, starting with a letter or ``_``.

    At most 48 characters; `fallback` when `text` holds no letter or digit.

    Examples
    --------
    >>> slug("Check credit history"), slug("3rd call"), slug("  "), slug(None, "team")
    ('check_credit_history', '_3rd_call', 'step', 'team')
    """
    out = re.sub(r"[^A-Za-z0-9]+", "_", text or "").strip("_").lower()[:48].strip("_")
    if not out:
        return fallback
    return "_" + out if out[0].isdigit() else out


def unique_id(base: str, used: set[str]) -> str:
    """`base`, or `base_2`, `base_3`, ... : the first not in `used`, which it is added to.

    Examples
    --------
    >>> used = {"call"}
    >>> unique_id("call", used), unique_id("call", used), unique_id("visit", used)
    ('call_2', 'call_3', 'visit')
    >>> sorted(used)
    ['call', 'call_2', 'call_3', 'visit']
    """
    name, i = base, 2
    while name in used:
        name = f"{base}_{i}"
        i += 1
    used.add(name)
    return name


def is_customer_name(name: str | None) -> bool:
    """Whether a pool, lane, resource or group named `name` is the customer.

    Examples
    --------
    >>> is_customer_name("Customer"), is_customer_name("Clients"), is_customer_name("Customer service")
    (True, True, False)
    >>> is_customer_name(None)
    False
    """
    words = set(re.findall(r"[a-z]+", (name or "").lower()))
    return bool(words & CUSTOMER_WORDS) and not words & STAFF_WORDS
