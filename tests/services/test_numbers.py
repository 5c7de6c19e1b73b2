"""Read paths: listing, showing and browsing the inventory; read failures change nothing."""

from __future__ import annotations

import pytest

from bot.services.errors import InvalidInput, NotFound, VobizUnavailable
from tests.services.world import World


def test_list_pages_and_search(world: World) -> None:
    page = world.services.numbers.list_page(1, None)
    listed = [n for n in world.sandbox.snapshot()["numbers"] if n["where"] in ("owned", "pending_release")]
    assert page.total == len(listed) and len(page.items) == 10 and page.has_next
    one = world.sandbox.owned_numbers()[0]
    found = world.services.numbers.list_page(1, one)
    assert [n.e164 for n in found.items] == [one]
    with pytest.raises(InvalidInput):
        world.services.numbers.list_page(0, None)


def test_show_an_owned_number_an_inventory_number_and_neither(world: World) -> None:
    owned = world.sandbox.owned_numbers("SA_SALES0001")[0]
    assert world.services.numbers.show(owned).owner == "SA_SALES0001"
    for_sale = world.sandbox.inventory_numbers("US")[0]
    shown = world.services.numbers.show(for_sale)
    assert shown.owner is None and shown.setup_fee is not None and shown.currency == "USD"
    with pytest.raises(NotFound, match="neither"):
        world.services.numbers.show("+14155550100")
    with pytest.raises(InvalidInput):
        world.services.numbers.show("555")


def test_inventory_by_country(world: World) -> None:
    page = world.services.numbers.inventory_page("gb", None, 1)
    assert page.items and {n.country for n in page.items} == {"GB"}
    assert page.total == len(world.sandbox.inventory_numbers("GB"))
    with pytest.raises(InvalidInput, match="two-letter"):
        world.services.numbers.inventory_page("Britain", None, 1)


def test_a_failing_read_is_vobiz_unavailable(world: World) -> None:
    world.sandbox.inject("list_inventory", "server_error", count=3)
    with pytest.raises(VobizUnavailable, match="listing the inventory.*Nothing was changed"):
        world.services.numbers.inventory_page(None, None, 1)
