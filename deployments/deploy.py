"""`greencomm deploy`: the campaign's deployments registered on a Prefect process work pool, for workers to run.

No code storage: every deployment's entrypoint is a module path (`flows.phase.pilot_phase`), so a process
worker started from the environment greencomm is installed in imports the flow directly.
"""

from __future__ import annotations

from collections.abc import Iterator

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectNotFound
from prefect.workers.process import ProcessWorker

from deployments.definitions import deployments
from models.plan import Plan


def ensure_pool(name: str) -> bool:
    """The process work pool `name`, created with Prefect's default job template if missing; True if created."""
    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            template = ProcessWorker.get_default_base_job_template()
            client.create_work_pool(WorkPoolCreate(name=name, type="process", base_job_template=template))
            return True
    if pool.type != "process":
        raise ValueError(f"--pool: work pool {name!r} is of type {pool.type!r}, not 'process'")
    return False


def deploy_to_pool(plan: Plan, pool: str) -> Iterator[str]:
    """Register (or update) every deployment of the plan on the pool, yielding each name (flow/deployment)."""
    for deployment in deployments(plan):
        deployment.apply(work_pool_name=pool)
        yield f"{deployment.flow_name}/{deployment.name}"
