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
- /transactions/recurring/get and /transactions/refresh need Transactions initialized on the
  Item first; that rule is the transactions service's (`TransactionsService`), as it holds
  for the partner forms too.

Consent (Data Transparency Messaging's `additional_consented_products`) is not modelled:
the sandbox's Items have consented to every product.
"""

from __future__ import annotations

from collections.abc import Sequence

from tokenbridge.domain import errors

ADDED_ON_FIRST_CALL: frozenset[str] = frozenset(
    {"auth", "identity", "investments", "liabilities", "transactions", "signal"}
)

PER_CALL: frozenset[str] = frozenset(
    {"balance", "identity_match", "investments_auth", "recurring_transactions",
     "transactions_refresh"}
)  # fmt: skip


def check_readable(product: str, products: Sequence[str]) -> None:
    """Nothing if a read of `product` may go on for an Item whose products are `products`;
    PRODUCTS_NOT_SUPPORTED where Plaid refuses it. Pure: the read adds the product with
    `to_add` only once it has succeeded."""
    if product not in products and product not in ADDED_ON_FIRST_CALL | PER_CALL:
        raise errors.ProductsNotSupported(f"the {product} product cannot be added to this Item")


def to_add(product: str, products: Sequence[str]) -> str | None:
    """The product a successful read of `product` adds to an Item whose products are
    `products`: `product` itself for a one-time or subscription product it lacks, else None."""
    return product if product in ADDED_ON_FIRST_CALL and product not in products else None
