"""Every operation the app serves, in one table.

Each handler module registers its operations with `@operation` when it is imported, so the
table is complete only once all of them are. Importing `ROUTES` from here, not from
`handlers`, is what guarantees that; a new handler module is added to the import below.
"""

from __future__ import annotations

from tokenbridge.http import partner, transactions
from tokenbridge.http.handlers import ROUTES, Route

# The modules are imported for their registrations; naming them keeps that visible.
HANDLER_MODULES = (partner, transactions)

__all__ = ["HANDLER_MODULES", "ROUTES", "Route"]
