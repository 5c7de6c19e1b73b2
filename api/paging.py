"""Lazy iteration over Vobiz's numbered pages, shared by the numbers and sub-accounts resources."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T", covariant=True)


class NumberedPage(Protocol[T]):
    @property
    def rows(self) -> Sequence[T]: ...

    def is_last(self, asked: int) -> bool: ...


def iterate_pages(fetch: Callable[[int], NumberedPage[T]]) -> Iterator[T]:
    """Every row of pages 1, 2, ..., fetched only as the rows are consumed.

    It stops at the page that `is_last` (which counts the page number asked for, not the one echoed
    back, and without a total waits for an empty or short page), and at a page that repeats the previous
    one: a server that ignores `page` must neither loop forever nor hand out the same rows twice.
    """
    asked = 1
    previous: Sequence[T] | None = None
    while True:
        page = fetch(asked)
        rows = page.rows
        if previous is not None and list(rows) == list(previous):
            return
        yield from rows
        if page.is_last(asked):
            return
        previous = rows
        asked += 1


__all__ = ["NumberedPage", "iterate_pages"]
