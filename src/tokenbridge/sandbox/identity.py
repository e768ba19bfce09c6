"""Identity: the owners of a sandbox Item's accounts (names, phones, emails, addresses)."""

from __future__ import annotations

from tokenbridge.domain.bank_records import Address, AddressData, Email, Owner, PhoneNumber
from tokenbridge.domain.models import Item
from tokenbridge.sandbox.derive import digits, rng_for
from tokenbridge.sandbox.overrides import Profile

_GIVEN = ("Alberta", "Bartholomew", "Cordelia", "Desmond", "Evangeline", "Florian", "Gwendolyn")

_MIDDLE = ("Bobbeth", "Quincy", "Marguerite", "Ambrose", "Theodora", "Lysander", "Perpetua")

_FAMILY = ("Charleson", "Whitlock", "Pemberton", "Okonkwo", "Castellano", "Lindqvist", "Abernathy")

_STREETS = ("Cameron Road", "Leisure Lane", "Juniper Court", "Harbor View Drive", "Maple Row")

_PLACES = (
    ("Malakoff", "NY", "14236"), ("San Matias", "CA", "93405-2255"), ("Bexley", "OH", "43209"),
    ("Fairhope", "AL", "36532"), ("Lakewood", "CO", "80226"),
)  # fmt: skip


def owners_for(item: Item) -> list[Owner]:
    """The account holders of the Item's accounts (the same owner on every account).

    About half of the Items show Plaid's documented sandbox owner, Alberta Bobbeth
    Charleson of 2992 Cameron Road, Malakoff NY 14236; the other values vary per Item but
    stay the same for one Item.
    """
    rng = rng_for("identity", item.item_id)
    i = rng.randrange(len(_GIVEN))
    # Half the Items show Plaid's own sandbox owner, so that docs examples match.
    if rng.random() < 0.5:
        i = 0
    given, middle, family = _GIVEN[i], _MIDDLE[i], _FAMILY[i]
    if i == 0:
        home = AddressData("Malakoff", "NY", "2992 Cameron Road", "14236", "US")
    else:
        city, region, postal = _PLACES[rng.randrange(len(_PLACES))]
        street = f"{rng.randint(100, 9999)} {_STREETS[rng.randrange(len(_STREETS))]}"
        home = AddressData(city, region, street, postal, "US")
    second_city, second_region, second_postal = _PLACES[1]
    second = AddressData(
        second_city, second_region, f"{rng.randint(100, 9999)} Leisure Lane", second_postal, "US"
    )
    local = f"{given}.{family}".lower()
    area = f"{rng.randint(201, 989)}"
    return [
        Owner(
            names=[f"{given} {middle} {family}"],
            phone_numbers=[
                PhoneNumber(area + str(rng.randint(2, 9)) + digits(rng, 6), True, "home"),
                PhoneNumber(area + str(rng.randint(2, 9)) + digits(rng, 6), False, "work"),
                PhoneNumber(area + str(rng.randint(2, 9)) + digits(rng, 6), False, "mobile"),
            ],
            emails=[
                Email(f"{local}@example.com", True, "primary"),
                Email(f"{local}{rng.randint(1, 99)}@example.net", False, "secondary"),
            ],
            addresses=[Address(home, True), Address(second, False)],
        )
    ]


def configured_owners(profile: Profile, position: int, derived: list[Owner]) -> list[Owner]:
    """The owner a user_custom configuration gives the account at `position`.

    What the account's `identity` leaves out is the sandbox's default ("Any fields not
    specified will be filled in with default Sandbox information"); names given for any
    account serve every account ("the same name data will be used for all accounts
    associated with an Item", OwnerOverride.names).
    """
    accounts = profile.accounts
    mine = accounts[position].identity if position < len(accounts) else None
    names = (mine.names if mine is not None else None) or next(
        (a.identity.names for a in accounts if a.identity and a.identity.names), None
    )
    if mine is None and names is None:
        return derived
    base = derived[0]
    return [
        Owner(
            names=list(names) if names else base.names,
            phone_numbers=base.phone_numbers
            if mine is None or mine.phone_numbers is None
            else [PhoneNumber(p.data, p.primary, p.type) for p in mine.phone_numbers],
            emails=base.emails
            if mine is None or mine.emails is None
            else [Email(e.data, e.primary, e.type) for e in mine.emails],
            addresses=base.addresses
            if mine is None or mine.addresses is None
            else [
                Address(
                    AddressData(
                        a.data.city,
                        a.data.region,
                        a.data.street,
                        a.data.postal_code,
                        a.data.country,
                    ),
                    a.primary,
                )
                for a in mine.addresses
            ],
        )
    ]
