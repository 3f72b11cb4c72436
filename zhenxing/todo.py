"""The home page's to-do list. Each app registers a provider that yields the user's open items.

A provider is `fn(user) -> Iterable[TodoItem]`; it must filter through the user's scope.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class TodoItem:
    title: str
    url: str
    due: date | None = None
    days_overdue: int = 0
    category: str = ""


_providers: list[Callable[..., Iterable[TodoItem]]] = []


def register(provider: Callable[..., Iterable[TodoItem]]) -> Callable[..., Iterable[TodoItem]]:
    _providers.append(provider)
    return provider


def items_for(user) -> list[TodoItem]:
    items = [item for provider in _providers for item in provider(user)]
    # Most overdue first, then soonest due.
    return sorted(items, key=lambda i: (-i.days_overdue, i.due or date.max, i.title))
