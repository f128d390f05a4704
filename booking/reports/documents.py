"""The district's report as a Word document: the figures in the work report's own sentences, ready to paste into
the year's summary, with the figures by sector and by base as tables."""
from booking.documents import style as docstyle
from booking.reports.services import Summary, change_text
from models import BASE_TYPES, CATEGORIES, LECTURER_CATEGORIES

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _listing(counts: dict[str, int], labels: dict[str, str], unit: str) -> str:
    """基础型 2 个、红色型 1 个 (the kinds that have any)."""
    return "、".join(f"{labels[k]} {n} {unit}" for k, n in counts.items() if n)


def sentences(now: Summary, before: Summary) -> list[str]:
    """The report's paragraphs, each figure as the statistics count it."""
    kinds = "、".join(BASE_TYPES[k] for k, n in now.bases_by_type.items() if n) or "各类"
    online, offline = now.by_source["online"], now.by_source["offline"]
    satisfaction = f"活动满意度平均 {now.satisfaction:.2f} 分（满分 5 分）。" if now.satisfaction is not None else ""
    return [
        f"{now.period_text}，{now.scope_label}打造{kinds}等不同类型的开放式组织生活基地 {now.bases_total} 个"
        + (f"（{_listing(now.bases_by_type, BASE_TYPES, '个')}）" if now.bases_total else "")
        + f"，制定特色菜单 {now.items_total} 项"
        + (f"（{_listing(now.items_by_category, CATEGORIES, '项')}）" if now.items_total else "")
        + f"，开发线上线下预约，打造由 {now.lecturers_total} 名志愿者组成的讲师团队"
        + (f"（{_listing(now.lecturers_by_category, LECTURER_CATEGORIES, '名')}）" if now.lecturers_total else "")
        + "。",
        f"先后有 {now.batches} 批 {now.person_times} 人次到基地开展活动，服务党支部 {now.branches_served} 个；"
        f"其中线上预约 {online.batches} 批 {online.person_times} 人次，线下登记 {offline.batches} 批 "
        f"{offline.person_times} 人次。" + (
            f"批次{change_text(now.batches, before.batches)}，人次{change_text(now.person_times, before.person_times)}。"
            if before.covered else "上年同期本系统尚无完整记录，不作同比。"),
        f"开展讲习活动 {now.lecture_sessions} 场，参与活动 {now.lecture_participants} 人次。{satisfaction}",
    ] + ([requests_sentence(now)] if now.district else [])


def requests_sentence(now: Summary) -> str:
    """各支部点单N次，已送课N场…: what branches asked the lecturer team for. Topics are called the most asked only
    when one was asked more than once (those, three at most); else a few are named as examples ("……等")."""
    asked = now.requests
    if not asked.submitted and not asked.sessions:
        return "本期各支部尚未通过系统点单送课。"
    held = f"已送课 {asked.sessions} 场、{asked.participants} 人次" if asked.sessions else "暂无已完成的送课"
    if not asked.submitted:
        return f"本期各支部未新点单，{held}。"
    repeated = [(topic, n) for topic, n in asked.by_topic if n > 1][:3]
    if repeated:
        topics = "点单最多的主题是" + "、".join(f"“{topic}”（{n} 次）" for topic, n in repeated)
    elif asked.by_topic:
        named = "".join(f"“{topic}”" for topic, _ in asked.by_topic[:3])  # quoted items need no 、 (GB/T 15834)
        topics = "点单主题有" + named + ("等" if len(asked.by_topic) > 3 else "")
    else:
        topics = ""
    return (f"各支部点单 {asked.submitted} 次，{held}"
            + (f"，{topics}，据此充实基地菜单和讲师团课程" if topics else "") + "。")


def summary_docx(now: Summary, before: Summary) -> bytes:
    """The Word document of the report, in the official layout (booking.documents.style)."""
    doc = docstyle.docx_document()
    docstyle.docx_title(doc, f"{now.scope_label}开放式组织生活基地工作情况")
    docstyle.docx_paragraph(doc, f"（{now.period_text}）", center=True)
    docstyle.docx_heading(doc, "一、基本情况")
    for text in sentences(now, before):
        docstyle.docx_paragraph(doc, text)
    docstyle.docx_heading(doc, "二、分领域情况")
    docstyle.docx_table(doc, [["领域", "批次", "人次"]] + [[r.label, r.batches, r.person_times] for r in now.by_sector],
                        [76, 40, 40], header=True)
    docstyle.docx_paragraph(doc, "注：联合活动在其参加的每个党组织领域各计一批，各领域之和可大于合计。", size=12)
    docstyle.docx_heading(doc, "三、分基地情况")
    docstyle.docx_table(doc, [["基地", "批次", "人次", "满意度"]]
                        + [[r.label, r.batches, r.person_times, f"{r.satisfaction:.2f}" if r.satisfaction is not None
                            else "—"] for r in now.by_base]
                        + [["合计", now.batches, now.person_times,
                            f"{now.satisfaction:.2f}" if now.satisfaction is not None else "—"]],
                        [70, 28, 30, 28], header=True)
    docstyle.docx_paragraph(doc, f"口径：批次为已完成的活动，人次为实到人数之和；联合活动在合计中只计一批。上年同期为"
                                 f"{before.period_text}。", size=12)
    return docstyle.docx_bytes(doc)


def file_name(now: Summary) -> str:
    return f"开放式组织生活基地工作情况-{now.start:%Y%m%d}-{now.end:%Y%m%d}.docx"
