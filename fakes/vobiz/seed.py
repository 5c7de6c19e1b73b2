"""The sandbox's starting world: one master account, three sub-accounts, owned numbers and a few hundred
inventory numbers in IN, US and GB. Built from `random.Random(seed)` and a fixed start clock, so the
same seed always gives the same world.
"""

from __future__ import annotations

import functools
import random
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import phonenumbers

from fakes.vobiz.model import Account, Number

SEED = 20260901
START = datetime(2026, 9, 1, 9, 0, 0, tzinfo=timezone.utc)

MASTER_AUTH_ID = "MA_SANDBOX01"
MASTER_TOKEN = "sandbox-token-not-secret"
MASTER_BALANCE = Decimal(25_000)  # INR

# (auth_id, token, name, release fee in INR, days before START it was created)
SUB_ACCOUNTS: tuple[tuple[str, str, str, int, int], ...] = (
    ("SA_SALES0001", "sandbox-sales-token-not-secret", "Sales", 700, 400),
    ("SA_SUPPORT001", "sandbox-support-token-not-secret", "Support", 500, 300),
    ("SA_ENGINEER01", "sandbox-engineering-token-not-secret", "Engineering", 500, 120),
)
MASTER_RELEASE_FEE = 700

INVENTORY_PER_COUNTRY = {"IN": 160, "US": 100, "GB": 60}
OWNED_PER_COUNTRY = {"IN": 22, "US": 6, "GB": 2}

# (area code, region): area codes are real, subscriber digits are random and checked by phonenumbers.
_AREAS: dict[str, tuple[tuple[str, str], ...]] = {
    "IN": (
        ("80", "Karnataka"),
        ("22", "Maharashtra"),
        ("11", "Delhi"),
        ("44", "Tamil Nadu"),
        ("40", "Telangana"),
        ("33", "West Bengal"),
        ("20", "Maharashtra"),
        ("79", "Gujarat"),
    ),
    "US": (
        ("415", "CA"),
        ("650", "CA"),
        ("212", "NY"),
        ("646", "NY"),
        ("312", "IL"),
        ("512", "TX"),
        ("206", "WA"),
        ("617", "MA"),
        ("305", "FL"),
        ("720", "CO"),
    ),
    "GB": (
        ("20", "London"),
        ("161", "Manchester"),
        ("121", "Birmingham"),
        ("131", "Edinburgh"),
        ("141", "Glasgow"),
        ("113", "Leeds"),
        ("117", "Bristol"),
    ),
}
_COUNTRY_CODE = {"IN": "91", "US": "1", "GB": "44"}
_NATIONAL_LENGTH = {"IN": 10, "US": 10, "GB": 10}
_CURRENCY = {"IN": "INR", "US": "USD", "GB": "GBP"}
# (setup fees, monthly fees) to choose from, whole units of the number's currency
_FEES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "IN": ((0, 100, 100, 200, 250, 500), (150, 200, 250, 300, 300, 400, 500)),
    "US": ((0, 1, 1, 2), (1, 1, 2, 3)),
    "GB": ((0, 1, 2), (1, 2, 2, 3, 4)),
}
# (minimum commitments in months to choose from, share with SMS, share needing Aadhaar verification)
_TERMS: dict[str, tuple[tuple[int, ...], float, float]] = {
    "IN": ((0, 0, 0, 0, 3, 12), 0.3, 0.5),
    "US": ((0, 0, 0, 0, 0, 6), 0.0, 0.0),
    "GB": ((0, 0, 0, 12), 0.2, 0.0),
}
_TAGS = ("support-line", "campaign", "ivr", "office", "on-call")


@dataclass
class World:
    accounts: dict[str, Account]
    numbers: dict[str, Number]  # by e164

    def copy(self) -> World:
        """An independent copy (only the mutable containers inside records need their own copies)."""
        return World(
            accounts={key: replace(a) for key, a in self.accounts.items()},
            numbers={
                key: replace(n, capabilities=dict(n.capabilities), tags=list(n.tags))
                for key, n in self.numbers.items()
            },
        )


def build_world(seed: int = SEED, start: datetime = START) -> World:
    """A fresh, independent copy of the world for this seed and start."""
    return _built_world(seed, start).copy()


def clear_cache() -> None:
    """Forget built worlds, so the next build_world starts from scratch (for determinism tests)."""
    _built_world.cache_clear()


@functools.lru_cache(maxsize=8)
def _built_world(seed: int, start: datetime) -> World:
    # Validating a few hundred numbers with phonenumbers takes a while; every server reuses the result.
    rng = random.Random(seed)
    accounts = _accounts(rng, start)
    used: set[str] = set()
    numbers: dict[str, Number] = {}
    for country, count in INVENTORY_PER_COUNTRY.items():
        for _ in range(count):
            number = _number(rng, country, start, used)
            numbers[number.e164] = number
    owners = _owner_plan()
    owned: list[Number] = []
    for country, count in OWNED_PER_COUNTRY.items():
        for _ in range(count):
            owned.append(_number(rng, country, start, used))
    for index, (number, owner) in enumerate(zip(owned, owners, strict=True)):
        _make_owned(rng, number, owner, index, start)
        numbers[number.e164] = number
    _one_pending_release(owned, start)
    for number in numbers.values():
        _give_terms(seed, number)
    return World(accounts=accounts, numbers=numbers)


def stock(seed: int, country: str, count: int, start: datetime, used: set[str]) -> list[Number]:
    """`count` more inventory numbers of `country` (none of them in `used`, which grows), the same ones
    for the same seed and `used`: how a test gets a big inventory to page through."""
    if country not in _AREAS:
        raise ValueError(f"country must be one of {', '.join(_AREAS)}")
    rng = random.Random(f"stock:{seed}:{country}:{len(used)}")
    fresh = [_number(rng, country, start, used) for _ in range(count)]
    for number in fresh:
        _give_terms(seed, number)
    return fresh


def _give_terms(seed: int, number: Number) -> None:
    """Capabilities beyond voice, the minimum commitment and the Aadhaar flag, drawn from a generator of
    their own (keyed by the number), so adding them left every other drawn value of the world as it was."""
    rng = random.Random(f"terms:{seed}:{number.e164}")
    months, sms_share, kyc_share = _TERMS[number.country]
    caps = number.capabilities
    caps["sms"] = caps["sms"] or rng.random() < sms_share
    caps["mms"] = caps["sms"] and number.country == "US" and rng.random() < 0.4
    number.minimum_commitment_months = rng.choice(months)
    number.aadhaar_verification_required = rng.random() < kyc_share
    number.aadhaar_verified = number.aadhaar_verification_required and number.owner is not None


def _accounts(rng: random.Random, start: datetime) -> dict[str, Account]:
    master = Account(
        auth_id=MASTER_AUTH_ID,
        auth_token=MASTER_TOKEN,
        name="Acme Telecom Ops",
        parent=None,
        release_fee=Decimal(MASTER_RELEASE_FEE),
        created_at=start - timedelta(days=700),
        numeric_id="1001",
        email="telecom-ops@acme.example",
        phone="+918041000100",
        description="Master account",
        balance=MASTER_BALANCE,
        admin=True,
        api_id=str(_uuid(rng)),
    )
    accounts = {master.auth_id: master}
    for index, (auth_id, token, name, fee, age_days) in enumerate(SUB_ACCOUNTS):
        accounts[auth_id] = Account(
            auth_id=auth_id,
            auth_token=token,
            name=name,
            parent=master.auth_id,
            release_fee=Decimal(fee),
            created_at=start - timedelta(days=age_days, hours=index * 3),
            numeric_id=str(1040 + index),
            email=f"{name.lower()}@acme.example",
            phone=f"+91804100020{index}",
            description=f"{name} team numbers",
            api_id=str(_uuid(rng)),
            last_used=start - timedelta(hours=2 + index * 5),
        )
    return accounts


def _owner_plan() -> list[str]:
    """Who owns each seeded number, in order: the master keeps 12, each team holds 6. The pattern's
    length (10) is coprime with the call pattern's (3), so every owner has recent, old and no calls."""
    sales, support, engineering = (auth_id for auth_id, *_ in SUB_ACCOUNTS)
    master = MASTER_AUTH_ID
    pattern = [master, sales, master, support, engineering, master, sales, support, master, engineering]
    return pattern * 3


def _number(rng: random.Random, country: str, start: datetime, used: set[str]) -> Number:
    area, region = rng.choice(_AREAS[country])
    e164 = _fresh_e164(rng, country, area, used)
    setups, monthlies = _FEES[country]
    created = start - timedelta(days=rng.randint(20, 500), seconds=rng.randint(0, 86_399))
    capabilities = {"voice": True, "sms": country == "US" and rng.random() < 0.5, "mms": False, "fax": False}
    return Number(
        id=str(_uuid(rng)),
        e164=e164,
        country=country,
        region=region,
        setup_fee=Decimal(rng.choice(setups)),
        monthly_fee=Decimal(rng.choice(monthlies)),
        currency=_CURRENCY[country],
        created_at=created,
        updated_at=created,
        capabilities=capabilities,
    )


def _fresh_e164(rng: random.Random, country: str, area: str, used: set[str]) -> str:
    subscriber_length = _NATIONAL_LENGTH[country] - len(area)
    while True:
        first = str(rng.randint(2, 7) if country != "US" else rng.randint(2, 9))
        rest = "".join(str(rng.randint(0, 9)) for _ in range(subscriber_length - 1))
        e164 = f"+{_COUNTRY_CODE[country]}{area}{first}{rest}"
        if e164 in used or (country == "US" and (first + rest[:2] == "555" or rest[:2] == "11")):
            continue  # 555 exchanges are fictional and N11 codes are service numbers
        parsed = phonenumbers.parse(e164, None)
        if phonenumbers.is_valid_number(parsed) and phonenumbers.region_code_for_number(parsed) == country:
            used.add(e164)
            return e164


def _make_owned(rng: random.Random, number: Number, owner: str, index: int, start: datetime) -> None:
    purchased = number.created_at + timedelta(days=rng.randint(1, 15), seconds=rng.randint(0, 86_399))
    if purchased >= start:
        purchased = start - timedelta(days=2)
    number.owner = owner
    number.source = "purchased"
    number.purchased_at = purchased
    number.last_billing_date = _last_anniversary(purchased, start)
    number.next_billing_date = add_months(number.last_billing_date, 1)
    number.updated_at = purchased
    if index % 2 == 0:
        number.application_id = str(rng.randint(10**16, 10**17 - 1))
    if index % 3 == 0:
        number.trunk_group_id = str(_uuid(rng))
    if index % 4 == 1:
        number.tags = [rng.choice(_TAGS)]
    # Calls: a third within the cool-off (1-12 days ago), a third long ago, a third never used.
    kind = index % 3
    if kind == 0:
        number.last_call_at = start - timedelta(days=rng.randint(1, 12), seconds=rng.randint(0, 86_399))
    elif kind == 1:
        number.last_call_at = start - timedelta(days=rng.randint(20, 90), seconds=rng.randint(0, 86_399))


def _one_pending_release(owned: list[Number], start: datetime) -> None:
    """A master-owned number released two hours before the start, to show the state in listings."""
    candidate = next(n for n in owned[5:] if n.owner == MASTER_AUTH_ID)
    released = start - timedelta(hours=2)
    candidate.status = "pending_release"
    candidate.cooldown_ends_at = released + timedelta(hours=24)
    candidate.release_fee_charged = Decimal(MASTER_RELEASE_FEE)
    candidate.release_fee_payer = MASTER_AUTH_ID
    candidate.application_id = None
    candidate.trunk_group_id = None
    candidate.updated_at = released


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def add_months(when: datetime, months: int) -> datetime:
    month_index = when.month - 1 + months
    year, month = when.year + month_index // 12, month_index % 12 + 1
    day = min(when.day, 28)
    return when.replace(year=year, month=month, day=day)


def _last_anniversary(purchased: datetime, now: datetime) -> datetime:
    """The most recent monthly billing date on or before `now`."""
    billing = purchased
    while add_months(billing, 1) <= now:
        billing = add_months(billing, 1)
    return billing
