"""Why a message waits as 待分拣 (SPEC §9), in the words the office reads."""

from __future__ import annotations

from enum import StrEnum


class IntakeReason(StrEnum):
    UNKNOWN_SENDER = "unknown-sender"
    FAILED_AUTHENTICATION = "failed-authentication"
    NO_OPEN_ITEM = "no-open-item"
    NO_ATTACHMENT = "no-attachment"
    NO_ACCEPTED_KIND = "no-accepted-kind"
    TIE = "tie"
    MALFORMED = "malformed"
    REFUSED = "refused"  # the files break the materials' rules (size, a required material missing)
    PENDING = "pending"  # the item has a claim waiting for a decision: these files would be lost behind it

    @property
    def text(self) -> str:
        return REASON_TEXT[self]


REASON_TEXT = {
    IntakeReason.UNKNOWN_SENDER: "发件人不是任何责任单位的联系人或负责人",
    IntakeReason.FAILED_AUTHENTICATION: "发件人身份验证未通过（可能为冒用地址）",
    IntakeReason.NO_OPEN_ITEM: "发件单位没有需报送材料的未办结事项",
    IntakeReason.NO_ATTACHMENT: "邮件没有附件",
    IntakeReason.NO_ACCEPTED_KIND: "附件格式不符合报送要求",
    IntakeReason.TIE: "无法确定对应哪一事项",
    IntakeReason.MALFORMED: "邮件格式损坏，无法读取",
    IntakeReason.REFUSED: "附件不符合报送材料要求",
    IntakeReason.PENDING: "该事项已有待审核的办结申报，本邮件的附件未登记",
}
