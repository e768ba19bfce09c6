"""Identity: the owners of a sandbox Item's accounts (names, phones, emails, addresses)."""

from __future__ import annotations

from tokenbridge.domain.bank_records import Address, AddressData, Email, Owner, PhoneNumber
from tokenbridge.domain.models import Item
from tokenbridge.sandbox.derive import digits, rng_for

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
