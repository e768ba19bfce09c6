"""Investments: securities, holdings, investment transactions and transfer numbers for
sandbox accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from tokenbridge.domain.bank_records import (
    Holding,
    InvestmentsAuthNumbers,
    InvestmentTransaction,
    NumbersACATS,
    NumbersATON,
    NumbersRetirement401k,
    Security,
)
from tokenbridge.domain.models import Account, Item
from tokenbridge.sandbox.derive import as_of, digits, rng_for, stable_id
from tokenbridge.sandbox.overrides import (
    HoldingsOverride,
    InvestmentTransactionOverride,
    SecurityOverride,
)

# (ticker, name, type, subtype, price, sector, industry, cash equivalent, MIC). The names
# are made up; the tickers do not belong to real listings.
_SECURITIES = (
    ("PLTX", "Platypus Total Market Index Fund", "mutual fund", "mutual fund", 112.46,
     None, None, False, None),
    ("GNGB", "Gingham Aggregate Bond ETF", "etf", "etf", 97.31, None, None, False, "XNAS"),
    ("TRTN", "Tartan Industries Inc.", "equity", "common stock", 41.87,
     "Producer Manufacturing", "Industrial Machinery", False, "XNYS"),
    ("HNDS", "Houndstooth Health Corp.", "equity", "common stock", 233.05,
     "Health Technology", "Pharmaceuticals", False, "XNAS"),
    ("WNDP", "Windowpane International Equity Fund", "mutual fund", "mutual fund", 18.92,
     None, None, False, None),
    ("CUR:USD", "U S Dollar", "cash", "cash", 1.0, None, None, True, None),
)  # fmt: skip

_CASH = "CUR:USD"


def _security(row: tuple[str, str, str, str, float, str | None, str | None, bool, str | None],
              today: date) -> Security:  # fmt: skip
    ticker, name, kind, subtype, price, sector, industry, cash, mic = row
    cusip = None if cash else stable_id("cusip", ticker, length=9).upper()
    return Security(
        security_id=stable_id("security", ticker),
        isin=None if cash or cusip is None else f"US{cusip}0",
        cusip=cusip,
        sedol=None,
        institution_security_id=None,
        institution_id=None,
        proxy_security_id=None,
        name=name,
        ticker_symbol=ticker,
        is_cash_equivalent=cash,
        type=kind,
        subtype=subtype,
        close_price=price,
        close_price_as_of=today,
        iso_currency_code="USD",
        unofficial_currency_code=None,
        market_identifier_code=mic,
        sector=sector,
        industry=industry,
        cfi_code=None,
        figi=None,
        option_contract=None,
        fixed_income=None,
    )


def holdings_for(item: Item, account: Account) -> tuple[list[Holding], list[Security]]:
    """The account's holdings and their securities. Their values add up to the account's
    current balance, as an investment account's balance is the value of what it holds."""
    rng = rng_for("holdings", item.item_id, account.account_id)
    today = as_of(item)
    total = account.balances.current or 0.0
    rows = [*rng.sample(_SECURITIES[:-1], rng.randint(2, 4)), _SECURITIES[-1]]
    weights = [*(rng.uniform(1, 4) for _ in rows[:-1]), 0.25]
    scale = sum(weights)
    holdings: list[Holding] = []
    securities: list[Security] = []
    left = round(total, 4)
    for n, (row, weight) in enumerate(zip(rows, weights, strict=True)):
        security = _security(row, today)
        price = row[4]
        # The cash line takes what is left, so that the values add up exactly.
        value = left if n == len(rows) - 1 else round(total * weight / scale, 4)
        left = round(left - value, 4)
        quantity = round(value / price, 6)
        holdings.append(
            Holding(
                account_id=account.account_id,
                security_id=security.security_id,
                institution_price=price,
                institution_price_as_of=today,
                institution_value=value,
                cost_basis=None if row[0] == _CASH else round(value * rng.uniform(0.7, 1.1), 2),
                quantity=quantity,
                iso_currency_code="USD",
                unofficial_currency_code=None,
            )
        )
        securities.append(security)
    return holdings, securities


def investment_transactions_for(
    item: Item, account: Account, days: int = 120
) -> tuple[list[InvestmentTransaction], list[Security]]:
    """The account's investment transactions over the `days` before the Item's day, newest
    first, with the securities they name. Amounts follow Plaid's sign: positive is cash
    leaving the account (a buy, a fee), negative is cash coming in (a sale, a dividend)."""
    rng = rng_for("investment_transactions", item.item_id, account.account_id)
    today = as_of(item)
    rows = [r for r in _SECURITIES if r[0] != _CASH]
    used: dict[str, Security] = {}
    found: list[InvestmentTransaction] = []
    for n in range(rng.randint(8, 14)):
        day = today - timedelta(days=rng.randrange(days))
        row = rows[rng.randrange(len(rows))]
        security = _security(row, today)
        price = round(row[4] * rng.uniform(0.9, 1.1), 2)
        kind = rng.choice(("buy", "buy", "sell", "cash", "fee"))
        quantity = round(rng.uniform(0.5, 5), 4)
        security_id: str | None = security.security_id
        if kind == "buy":
            subtype, name = "buy", f"BUY {row[1]}"
            amount, fees = round(quantity * price, 2), 0.0
        elif kind == "sell":
            subtype, name = "sell", f"SELL {row[1]}"
            amount, fees = -round(quantity * price, 2), 0.0
            quantity = -quantity
        elif kind == "cash":
            subtype, name = "dividend", f"DIVIDEND {row[1]}"
            amount, fees, quantity, price = -round(rng.uniform(1, 40), 2), 0.0, 0.0, 0.0
        else:
            subtype, name = "account fee", "ACCOUNT MAINTENANCE FEE"
            amount, fees, quantity, price = round(rng.uniform(1, 15), 2), 0.0, 0.0, 0.0
            security_id = None
        if security_id is not None:
            used[security_id] = security
        found.append(
            InvestmentTransaction(
                investment_transaction_id=stable_id("itx", item.item_id, account.account_id,
                                                    str(n)),
                account_id=account.account_id,
                security_id=security_id,
                date=day,
                name=name,
                quantity=quantity,
                amount=amount,
                price=price,
                fees=fees,
                type=kind,
                subtype=subtype,
                iso_currency_code="USD",
                unofficial_currency_code=None,
            )
        )  # fmt: skip
    found.sort(key=lambda t: (t.date, t.investment_transaction_id), reverse=True)
    return found, list(used.values())


def investments_numbers_for(
    item: Item, account: Account, country: str, dtc_numbers: Sequence[str]
) -> InvestmentsAuthNumbers:
    """The numbers that move the account's holdings: an ACATS account number with the
    institution's DTC numbers in the US, an ATON one in Canada, and for a 401k its plan
    number and account. The account number ends with the account's mask."""
    rng = rng_for("investments_numbers", item.item_id, account.account_id)
    number = digits(rng, rng.randint(4, 6)) + (account.mask or digits(rng, 4))
    acats = [NumbersACATS(account.account_id, number, list(dtc_numbers))] if country == "US" else []
    aton = [NumbersATON(account.account_id, number)] if country == "CA" else []
    retirement = (
        [NumbersRetirement401k(account.account_id, "PLN" + digits(rng, 6), number)]
        if account.subtype == "401k"
        else []
    )
    return InvestmentsAuthNumbers(acats, aton, retirement)


def _configured_security(s: SecurityOverride, price: float | None, day: date | None,
                         currency: str) -> Security:  # fmt: skip
    """A security a user_custom configuration names by ticker, CUSIP or ISIN. Its id is
    derived from that identifier, so one security has one id across accounts and Items."""
    key = s.ticker_symbol or s.cusip or s.isin or ""
    cash = key.startswith("CUR:")
    return Security(
        security_id=stable_id("security", key), isin=s.isin, cusip=s.cusip, sedol=s.sedol,
        institution_security_id=None, institution_id=None, proxy_security_id=None,
        name=s.name or key, ticker_symbol=s.ticker_symbol, is_cash_equivalent=cash,
        type="cash" if cash else None, subtype="cash" if cash else None, close_price=price,
        close_price_as_of=day, iso_currency_code=s.currency or currency,
        unofficial_currency_code=None, market_identifier_code=None, sector=None,
        industry=None, cfi_code=None, figi=None, option_contract=None, fixed_income=None,
    )  # fmt: skip


def configured_holdings(
    item: Item, account: Account, overrides: list[HoldingsOverride]
) -> tuple[list[Holding], list[Security]]:
    """The holdings a user_custom configuration gives the account, with their securities;
    `institution_value` is the price times the quantity."""
    holdings: list[Holding] = []
    securities: dict[str, Security] = {}
    for h in overrides:
        day = date.fromisoformat(h.institution_price_as_of) if h.institution_price_as_of else None
        security = _configured_security(h.security, h.institution_price, day, h.currency)
        securities.setdefault(security.security_id, security)
        holdings.append(
            Holding(
                account_id=account.account_id, security_id=security.security_id,
                institution_price=h.institution_price, institution_price_as_of=day,
                institution_value=round(h.institution_price * h.quantity, 2),
                cost_basis=h.cost_basis, quantity=h.quantity, iso_currency_code=h.currency,
                unofficial_currency_code=None,
            )
        )  # fmt: skip
    return holdings, list(securities.values())


# InvestmentTransaction.subtype for each configured type.
_SUBTYPES = {"buy": "buy", "sell": "sell", "cash": "deposit", "fee": "account fee",
             "transfer": "transfer"}  # fmt: skip


def configured_investment_transactions(
    item: Item, account: Account, overrides: list[InvestmentTransactionOverride]
) -> tuple[list[InvestmentTransaction], list[Security]]:
    """The investment transactions a user_custom configuration gives the account, newest
    first. The amount is the quantity times the price plus the fees (a buy's positive
    quantity takes cash out, a sell's negative one brings it in)."""
    found: list[InvestmentTransaction] = []
    securities: dict[str, Security] = {}
    for n, t in enumerate(overrides):
        day = date.fromisoformat(t.date)
        security_id = None
        if t.security is not None:
            security = _configured_security(t.security, t.price, day, t.currency)
            securities.setdefault(security.security_id, security)
            security_id = security.security_id
        found.append(
            InvestmentTransaction(
                investment_transaction_id=stable_id("itx-configured", item.item_id,
                                                    account.account_id, str(n)),
                account_id=account.account_id, security_id=security_id, date=day,
                name=t.name, quantity=t.quantity,
                amount=round(t.quantity * t.price + (t.fees or 0.0), 2), price=t.price,
                fees=t.fees, type=t.type, subtype=_SUBTYPES[t.type],
                iso_currency_code=t.currency, unofficial_currency_code=None,
            )
        )  # fmt: skip
    found.sort(key=lambda t: (t.date, t.investment_transaction_id), reverse=True)
    return found, list(securities.values())
