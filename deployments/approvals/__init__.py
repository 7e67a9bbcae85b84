"""Starting the approval flow runs the desk asks for, and resuming them with a decision taken at the desk."""

from deployments.approvals.starting import resume_approval, start_approval, start_missing

__all__ = [
    "resume_approval",
    "start_approval",
    "start_missing",
]
