"""The REST API, `/api/v1/`: one django-ninja Router per app."""

from ninja import NinjaAPI

from openiop.core.api import TokenAuth, VerifiedSessionAuth, install_error_handlers

api = NinjaAPI(
    title="OpenIOP API",
    version="1",
    description="Patients, episodes of care, programs, tracks, sites and staff, "
    "scoped to the caller exactly as the pages are. Authenticate with the browser "
    "session or a personal token (`Authorization: Bearer oiop_...`).",
    auth=[TokenAuth(), VerifiedSessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
)
install_error_handlers(api)

from openiop.accounts.api import router as accounts_router  # noqa: E402
from openiop.care.api import router as care_router  # noqa: E402
from openiop.care.plans.api import router as plans_router  # noqa: E402
from openiop.directory.api import router as directory_router  # noqa: E402
from openiop.measures.api import router as measures_router  # noqa: E402
from openiop.organizations.api import router as organizations_router  # noqa: E402
from openiop.outcomes.api import router as outcomes_router  # noqa: E402
from openiop.patients.api import router as patients_router  # noqa: E402
from openiop.scheduling.api import router as scheduling_router  # noqa: E402

api.add_router("/", accounts_router)
api.add_router("/", organizations_router)
api.add_router("/patients", patients_router)
api.add_router("/episodes", care_router)
api.add_router("/", measures_router)
api.add_router("/outcomes", outcomes_router)
api.add_router("/", plans_router)
api.add_router("/directory", directory_router)
api.add_router("/scheduling", scheduling_router)


def _check_every_operation_declares_a_permission() -> None:
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                if not getattr(op.view_func, "openiop_permission", None):
                    raise RuntimeError(f"API operation {path} declares no permission.")


_check_every_operation_declares_a_permission()
