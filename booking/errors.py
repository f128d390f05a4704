"""Domain errors raised by services: each carries the API's status and code and a Chinese message. They are
translated into pages and the contract's JSON errors once, in booking.web.errors; views never catch them."""


class DomainError(Exception):
    """A rule of the domain said no. Carries the API's status and code and a Chinese message."""

    status = 400
    code = "bad_request"
    message = "请求有误。"

    def __init__(self, message: str | None = None, fields: dict | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.fields = fields


class BadRequest(DomainError):
    status, code, message = 400, "bad_request", "请求格式有误。"


class Unauthenticated(DomainError):
    status, code, message = 401, "unauthenticated", "请先登录或提供有效的令牌。"


class NotAllowed(DomainError):
    status, code, message = 403, "forbidden", "您没有权限执行此操作。"


class NotFound(DomainError):
    status, code, message = 404, "not_found", "未找到该记录。"
    # A page that asked what happens on refusal (on_refusal) stays on its form for this one: a code typed wrong,
    # not a record hidden from the reader.
    stays_on_form = False


class UnknownCode(NotFound):
    """A check-in code that names no booking the reader may see: the form says so, where it was typed."""

    message = "没有找到这个签到码对应的预约，请核对后重新输入。"
    stays_on_form = True


class Gone(DomainError):
    status, code, message = 410, "gone", "该内容已不再提供。"


class ValidationFailed(DomainError):
    status, code, message = 422, "validation_error", "填写的内容有误，请检查。"

    def __init__(self, fields: dict, message: str | None = None):
        super().__init__(message, fields)


class OutsideBookingWindow(DomainError):
    status, code, message = 422, "outside_booking_window", "所选日期不在该基地的可预约范围内。"


class NotASlot(DomainError):
    status, code, message = 422, "not_a_slot", "所选时间不是该项目的开放场次。"


class SlotFull(DomainError):
    status, code, message = 409, "slot_full", "该场次剩余名额不足。"


class DuplicateBooking(DomainError):
    status, code, message = 409, "duplicate_booking", "本支部已预约该场次（或已作为共建支部参加），请勿重复预约。"


class SlotAvailable(DomainError):
    status, code, message = 409, "slot_available", "该场次还有名额，请直接预约。"


class QuotaExceeded(DomainError):
    status, code, message = 409, "quota_exceeded", "本支部在该基地的预约次数已达上限。"


class InvalidState(DomainError):
    status, code, message = 409, "invalid_state", "当前状态下不能执行此操作。"


class CancelDeadlinePassed(DomainError):
    status, code, message = 409, "cancel_deadline_passed", "已过取消截止时间，请联系基地管理员。"


class WrongDay(DomainError):
    status, code, message = 409, "wrong_day", "该预约不是今天的活动，不能签到。"


class LecturerConflict(DomainError):
    status, code, message = 409, "lecturer_conflict", "该讲师在此时间已有安排或不可用。"


class BranchBlocked(DomainError):
    status, code, message = 409, "branch_blocked", "贵支部近期多次预约未到场，暂时不能在线预约。"


class RateLimited(DomainError):
    status, code, message = 429, "rate_limited", "尝试次数过多，请稍后再试。"


class AreaInUse(DomainError):
    status, code, message = 409, "area_in_use", "该属地下还有下级属地、党组织、基地或账号，不能删除。"


class LinkExpired(Gone):
    status, code, message = 410, "link_expired", "签到二维码已过期，请重新扫描现场的二维码。"


class RosterFull(DomainError):
    status, code, message = 409, "roster_full", "本支部参加人员已满预约人数，请联系本支部书记登记。"


class AlreadySignedIn(DomainError):
    status, code, message = 409, "already_signed_in", "您已签到，无需重复签到。"


class DuplicateLecture(DomainError):
    status, code, message = 409, "duplicate_lecture", "该场次已发布了讲习活动。"
