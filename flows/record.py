"""`record-progress`: a supervisor records progress rows from the Prefect UI's parameter form."""

from __future__ import annotations

import datetime as dt
from enum import Enum, StrEnum

from prefect import flow
from pydantic import BaseModel, Field

from models.records import ProgressError, first_problems
from tasks.prefect_tasks import record_rows


class Action(StrEnum):
    complete = "complete"
    select = "select"
    assess = "assess"
    claim = "claim"
    confirm = "confirm"
    reject = "reject"
    extend = "extend"


class ProgressEntry(BaseModel):
    """One row of progress, as in a progress CSV."""

    date: dt.date = Field(title="日期", description="进展发生的日期（当天的运行前生效）")
    action: Action = Field(
        title="操作",
        description=(
            "complete 完成事项 / select 列入名单 / assess 评估标准 / claim 申报办结 / confirm 确认办结 / "
            "reject 退回申报 / extend 延期"
        ),
    )
    assignee: str = Field(title="责任单位", description="community:<社区id> 或 office:<科室id>，如 community:c01")
    target: str = Field(
        title="对象",
        description=(
            "complete、claim、confirm、reject、extend: 事项id；select: 名单id（pilot/creation）；assess: 标准编号"
        ),
    )
    value: str = Field(
        default="",
        title="值",
        description=(
            "assess 时填 met、unmet 或数值（如标准12的物业覆盖率 0.35）；extend 时填新的完成时限 YYYY-MM-DD；"
            "claim 时可填说明，confirm、reject 时可填意见"
        ),
    )


@flow(name="record-progress", flow_run_name="record-progress {campaign_id}")
def record_progress(campaign_id: str, entries: list[ProgressEntry], recorded_by: str = "prefect-ui") -> int:
    """记录进展：完成事项、列入名单、评估标准。All rows or none: a bad row fails the run naming its number."""
    raw = [
        (number, {key: str(value.value if isinstance(value, Enum) else value) for key, value in e.model_dump().items()})
        for number, e in enumerate(entries, start=1)
    ]
    try:
        return record_rows(campaign_id, raw, recorded_by)
    except ProgressError as error:
        raise ValueError("\n".join(first_problems(error.problems))) from None
