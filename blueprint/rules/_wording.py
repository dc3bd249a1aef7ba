"""How rule messages name things: lists of steps, teams, and what a customer does at a contact."""
from __future__ import annotations

from ..graph import listing

__all__ = ["listing", "contact_verb", "times"]

_VERBS = {"phone": "phones", "call": "phones", "telephone": "phones", "email": "emails", "e-mail": "emails",
          "mail": "deals with a letter", "letter": "deals with a letter", "post": "deals with a letter",
          "home": "waits at home", "visit": "is visited", "social": "messages", "chat": "messages",
          "message": "messages", "sms": "texts", "text": "texts", "store": "goes back to the store",
          "shop": "goes back to the shop", "branch": "goes back to the branch", "web": "goes online",
          "website": "goes online", "app": "opens the app"}


def contact_verb(channel: str) -> str:
    """What the customer does at a contact on `channel`: ``phones``, ``emails``, ...

    Examples
    --------
    >>> contact_verb("phone"), contact_verb("Email"), contact_verb("carrier pigeon")
    ('phones', 'emails', 'gets in touch (carrier pigeon)')
    """
    return _VERBS.get(channel.strip().lower(), f"gets in touch ({channel})")


def times(x: float) -> str:
    """A number of times, as a consultant says it.

    Examples
    --------
    >>> times(2.4444), times(1.0), times(12)
    ('2.4 times', '1.0 time', '12.0 times')
    """
    return f"{x:.1f} time{'' if round(x, 1) == 1 else 's'}"
