"""Products an Item was not linked with: what a read with an access token does about them.

https://plaid.com/docs/link/initializing-products/ ("Adding products post-Link"): calling a
product's endpoint on an Item linked without that product "will automatically attempt to
add that product to the Item", and the product is billed from that first call. The same
page and the endpoints' references name the exceptions that matter here:

- the one-time and subscription products (Auth, Identity, Investments, Liabilities,
  Transactions, and Signal, which /signal/prepare exists to add) are added to the Item's
  `products` and `billed_products` by their first read;
- the products billed per call (Balance, Identity Match, Investments Move's
  `investments_auth`, the Recurring Transactions and Transactions Refresh add-ons) are
  served without being added, as `balance` never shows in `billed_products`;
- /transactions/recurring/get "can only be called on an Item that has already been
  initialized with Transactions", and /transactions/refresh needs Transactions "added as a
  product": both are refused otherwise. Plaid documents no code for that refusal; we answer
  PRODUCTS_NOT_SUPPORTED, its code for a product read the Item cannot serve, with a message
  that says what to call first.

Consent (Data Transparency Messaging's `additional_consented_products`) is not modelled:
the sandbox's Items have consented to every product.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tokenbridge.domain import errors

ADDED_ON_FIRST_CALL: frozenset[str] = frozenset(
    {"auth", "identity", "investments", "liabilities", "transactions", "signal"}
)

PER_CALL: frozenset[str] = frozenset(
    {"balance", "identity_match", "investments_auth", "recurring_transactions",
     "transactions_refresh"}
)  # fmt: skip

# A per-call add-on and the product the Item must already have for it, with the endpoint
# whose message names it.
REQUIRES: Mapping[str, tuple[str, str]] = {
    "recurring_transactions": ("transactions", "/transactions/recurring/get"),
    "transactions_refresh": ("transactions", "/transactions/refresh"),
}


def on_first_call(product: str, products: Sequence[str]) -> str | None:
    """What a read of `product` does to an Item whose products are `products` and do not
    include it: the product to add to the Item, or None to serve it without adding it.
    Raises PRODUCTS_NOT_SUPPORTED where Plaid refuses the read."""
    required = REQUIRES.get(product)
    if required is not None and required[0] not in products:
        needed, endpoint = required
        raise errors.ProductsNotSupported(
            f"{endpoint} needs the {needed} product on the Item: link it with {needed}, or"
            f" call /transactions/sync or /transactions/get once to add it"
        )
    if product in ADDED_ON_FIRST_CALL:
        return product
    if product in PER_CALL:
        return None
    raise errors.ProductsNotSupported(f"the {product} product cannot be added to this Item")
