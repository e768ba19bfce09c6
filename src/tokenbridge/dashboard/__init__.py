"""The dashboard: the operator's pages at /dashboard/ (docs/DASHBOARD.md).

An edge, as http/ is: it reads and acts through the domain's OperatorService only, never
the store, and renders HTML from the templates and the stylesheet in this package (no
asset from elsewhere, so it works offline).
"""

from tokenbridge.dashboard.views import DashboardApp

__all__ = ["DashboardApp"]
