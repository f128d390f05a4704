"""The audit trail of administrative changes (accounts, bases, the pool)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model
from models.types import UTCDateTime, utcnow


AUDIT_ACTIONS = {
    "lecture_published": "发布讲习活动", "lecture_cancelled": "取消讲习活动", "lecture_lecturer_invited": "讲习活动改请讲师",
    "lecture_lecturer_accepted": "讲师接受讲习活动", "lecture_lecturer_declined": "讲师婉拒讲习活动",
    "user_created": "新建账号", "user_updated": "修改账号", "password_reset": "重置密码",
    "user_activated": "启用账号", "user_deactivated": "停用账号",
    "organization_saved": "保存党组织", "branch_saved": "保存党支部", "branches_imported": "导入党支部",
    "base_created": "新建基地", "base_updated": "修改基地", "base_activated": "基地上线", "base_deactivated": "基地下线",
    "venue_saved": "保存场馆", "slot_added": "新增开放时段", "slot_capacity": "修改时段容量",
    "slot_opened": "恢复开放时段", "slot_closed": "停止开放时段", "closure_added": "新增闭馆", "closure_removed": "撤销闭馆",
    "menu_item_saved": "保存菜单项目", "lecturer_saved": "保存讲师档案",
    "password_changed": "修改本人密码", "password_reset_requested": "申请重置密码", "password_reset_by_link": "通过邮件重置密码",
    "credentials_downloaded": "下载初始密码表", "photo_removed": "删除活动照片", "partner_record_saved": "共建支部填写纪实",
    "member_added": "添加党员", "member_changed": "修改党员信息", "members_imported": "导入党员名册",
    "screen_link_renewed": "更新数据大屏链接", "screen_link_revoked": "停用数据大屏链接",
    "holiday_saved": "保存节假日", "holiday_removed": "删除节假日", "holidays_imported": "导入节假日",
    "area_saved": "保存属地", "area_removed": "删除属地",
    "integrity_repaired": "修正名额计数", "mail_retried": "重发未送达邮件", "mail_discarded": "放弃未送达邮件",
}

# What the log can be filtered by: each target as the list names it.
AUDIT_TARGETS = {"area": "属地", "user": "账号", "organization": "党组织", "branch": "党支部", "base": "基地", "venue": "场馆",
                 "opening_slot": "开放时段", "menu_item": "菜单项目", "lecturer": "讲师", "booking": "预约", "member": "党员",
                 "credential_sheet": "初始密码表", "screen": "数据大屏", "holiday": "节假日", "slot": "场次名额",
                 "notification": "通知邮件", "lecture": "讲习活动"}


class AuditEntry(Model):
    """Who changed what, and when."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(Text, default="")

    actor = relationship("User")

    @property
    def action_label(self) -> str:
        return AUDIT_ACTIONS.get(self.action, self.action)
