"""The roles a notice is addressed in (SPEC §4): who they are, in Chinese, and which outranks which."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A recipient's role for one notice, lowest first: a person holding several is written to in the highest."""

    ASSIGNEE = "assignee"
    SUPERVISORS = "supervisors"
    ASSIGNEE_HEAD = "assignee_head"
    SUPERVISOR_HEADS = "supervisor_heads"
    LEADING_GROUP_OFFICE = "leading_group_office"
    LEADER = "leader"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def zh(self) -> str:
        return _CHINESE[self]

    @property
    def reader(self) -> str:
        """Who reads a notice in this role, as each of its lines says why it reached them: 责任单位经办人 …"""
        return _READERS[self]

    def outranks(self, current: Role | str | None) -> bool:
        """Whether this role is higher than the one a person already has for a notice (None: no role yet)."""
        return current is None or _RANK[self] > _RANK[current]  # a stored role is a plain str: same hash


_RANK: dict[str, int] = {role: rank for rank, role in enumerate(Role, start=1)}  # looked up per recipient
_CHINESE = {
    Role.ASSIGNEE: "责任单位",
    Role.SUPERVISORS: "督办科室",
    Role.ASSIGNEE_HEAD: "责任单位负责人",
    Role.SUPERVISOR_HEADS: "督办科室负责人",
    Role.LEADING_GROUP_OFFICE: "领导小组办公室",
    Role.LEADER: "领导小组组长",
}

_READERS = {
    Role.ASSIGNEE: "责任单位经办人",
    Role.SUPERVISORS: "督导科室联络员",
    Role.ASSIGNEE_HEAD: "责任单位负责人",
    Role.SUPERVISOR_HEADS: "督导科室负责人",
    Role.LEADING_GROUP_OFFICE: "领导小组办公室",
    Role.LEADER: "领导小组组长",
}
