"""The seed plan with more communities: copies of its samples with new ids and addresses."""

from __future__ import annotations

from models.plan.schema import Community, Plan


def scaled(plan: Plan, factor: int) -> Plan:
    """The plan with `factor` times the communities."""
    copies = [
        Community.model_validate(
            c.model_dump()
            | {
                "id": f"{c.id}x{n}",
                "contact": {"name": c.contact.name, "email": f"x{n}.{c.contact.email}"},
                "head": {"name": c.head.name, "email": f"x{n}.{c.head.email}"},
            }
        )
        for n in range(1, factor)
        for c in plan.communities
    ]
    return plan.model_copy(update={"communities": [*plan.communities, *copies]})
