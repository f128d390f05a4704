"""The demo data set (flask --app app seed-demo): realistic, and loading it twice changes nothing."""
import calendar
import os
import re
import secrets
from contextlib import contextmanager
from datetime import date, time, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from booking import clock

from booking.areas import services as areas
from models import (Area, Base, Branch, Lecturer, LecturerTopic, Member, MenuItem, OpeningSlot, Organization, User, Venue, db)
from booking.catalog import holidays, holidays as calendar_days
from booking.errors import DomainError
from booking.lecturers import services as lecturers
from booking.members import services as members, signin
from booking.requests import services as lecture_requests
from booking.reservations import own, partners, records, services as reservations, states, waitlist
from booking.series import services as series
from booking.visits import services as visits
from models import Booking, Notification

PASSWORD = "demo-pass-2026"

ACCOUNTS_TEXT = f"""演示账号（密码均为 {PASSWORD}）：
  admin      区委组织部管理员
  manager    基地管理员（红星革命纪念馆）
  manager2   基地管理员（时代楷模事迹展览馆）
  secretary  支部书记（区财政局第一党支部）
  secretary2 支部书记（滨江社区党支部）
  street     街道社区管理员（滨江街道党工委）
  lecturer   讲师（张建国）
  lecturer2  讲师（李秀英）"""

MORNING, AFTERNOON = (time(9), time(11)), (time(14), time(16))

BASES = [
    {
        "name": "红星革命纪念馆", "type": "red", "address": "X区红星路 1 号",
        "description": "全国爱国主义教育示范基地，馆藏革命文物 2000 余件，讲述本地党组织的创建与斗争历程。",
        "contact_name": "周老师", "contact_phone": "021-55550101",
        "visitor_notes": '地铁 2 号线红星路站 3 号口步行约 5 分钟；团体大巴可停纪念馆东侧停车场。\n请提前 15 分钟到誓词广场集合，重温誓词请自带党旗或由基地提供。\n馆内禁止饮食，拍照请勿使用闪光灯。',
        "venues": [("主展厅", "museum", 60), ("誓词广场", "outdoor", 80)],
        "menu": [
            ("重温入党誓词", "red", "党史学习", 30, 10, 60, "誓词广场", False,
             "在党旗下集体重温入党誓词，由支部书记领誓。"),
            ("参观展馆：初心之路", "red", "党史学习", 120, 5, 60, "主展厅", False,
             "讲解员带领参观基本陈列，了解本地党组织的创建历程。"),
            ("专题党课：红色家书里的初心", "red", "思想政治", 60, 10, 60, "主展厅", True,
             "由讲师团讲师结合馆藏家书讲授专题党课。"),
        ],
    },
    {
        "name": "时代楷模事迹展览馆", "type": "basic", "address": "X区人民路 88 号",
        "description": "展示本区时代楷模、道德模范的先进事迹，是开展主题党日和学习先进的基础型基地。",
        "contact_name": "吴老师", "contact_phone": "021-55550202",
        "visitor_notes": '公交 18 路、26 路人民路站下车即到；地下停车场入口在人民路。\n报告厅可投屏，支部自备课件请提前一天发给基地联系人。',
        "venues": [("事迹展厅", "exhibition_hall", 40), ("报告厅", "lecture_hall", 100)],
        "menu": [
            ("参观先进事迹展", "culture", "文明道德", 90, 5, 40, "事迹展厅", False, "参观时代楷模事迹展。"),
            ("先进模范面对面宣讲", "red", "思想政治", 90, 20, 100, "报告厅", True, "邀请先进模范现场宣讲。"),
            ("主题党日活动", "practice", "思想政治", 120, 10, 100, "报告厅", False, "支部自行组织主题党日，基地提供场地。"),
        ],
    },
    {
        "name": "滨江党群服务中心", "type": "welfare", "address": "X区滨江大道 200 号（原国企厂房改造）",
        "description": "由闲置国企厂房改造的党群服务中心，提供志愿服务和基层治理实践活动。",
        "contact_name": "钱老师", "contact_phone": "021-55550303",
        "visitor_notes": '公交 9 路滨江大道站；厂区内可停车。\n志愿服务请穿便于活动的衣服，基地提供手套和工具。',
        "venues": [("多功能厅", "service_center", 50), ("社区服务点", "outdoor", 30)],
        "menu": [
            ("志愿服务：社区环境整治", "practice", "志愿服务", 120, 5, 30, "社区服务点", False, "参与社区环境整治志愿服务。"),
            ("志愿服务：关爱独居老人", "practice", "志愿服务", 120, 5, 30, "社区服务点", False, "走访慰问社区独居老人。"),
            ("政策宣讲：基层治理新实践", "practice", "政策普及", 60, 10, 50, "多功能厅", True, "讲解基层治理政策与案例。"),
        ],
    },
    {
        "name": "智造科技创新基地", "type": "tech", "address": "X区科创园 6 号楼",
        "description": "依托园区科创企业建设的科技型基地，展示前沿科技成果，开展科学知识普及。",
        "contact_name": "孙老师", "contact_phone": "021-55550404",
        "visitor_notes": '地铁 5 号线科创园站 1 号口；园区访客停车需提前报车牌号。\n进入园区请携带身份证件登记。',
        "venues": [("科技展厅", "exhibition_hall", 40), ("新时代大讲堂", "lecture_hall", 120)],
        "menu": [
            ("参观科创成果展", "culture", "科学知识", 90, 5, 40, "科技展厅", False, "参观园区科创成果展。"),
            ("科学知识讲座", "culture", "科学知识", 90, 20, 120, "新时代大讲堂", True, "讲师团讲授科学知识。"),
            ("网络课程：数字党建", "online", "实用技能", 60, 10, 120, "新时代大讲堂", True, "学习数字化党建平台的使用。"),
        ],
    },
]

ORGANIZATIONS = [
    ("区直机关工委", "government", ["区财政局第一党支部", "区发改委机关党支部", "区教育局党支部", "区卫健委机关党支部",
                                   "区人社局党支部", "区司法局党支部"]),
    ("滨江街道党工委", "community", ["滨江社区党支部", "望江社区党支部", "江南社区第二党支部", "临江社区党支部",
                                     "滨江街道机关党支部"]),
    ("红星街道党工委", "community", ["红星社区党支部", "春晖社区党支部", "新村社区党支部", "红星街道退休党员党支部"]),
    ("区城投集团党委", "state_enterprise", ["城投集团综合党支部", "城投建设公司党支部", "城投水务公司党支部",
                                           "城投物业公司党支部"]),
    ("区交通运输集团党委", "state_enterprise", ["公交一公司第一党支部", "公交二公司党支部", "轨道运营党支部"]),
    ("新兴产业园两新组织联合党委", "new_organization", ["星火科技有限公司党支部", "启航律师事务所党支部",
                                                      "云帆软件有限公司党支部", "同心会计师事务所党支部"]),
    ("区教育系统党委", "institution", ["第一实验小学党支部", "区实验中学党支部"]),
    ("区卫生健康系统党委", "institution", ["区中心医院第二党支部"]),
    ("区文化和旅游系统党委", "institution", ["区图书馆党支部", "区文化馆党支部"]),
]
# Branches that book by phone (no account of their own): the manager of a base records their visits.
BY_PHONE = ("红星街道退休党员党支部", "城投物业公司党支部", "同心会计师事务所党支部")
# Who a branch's bookings name as their contact: its organisation officer (组织委员), by branch in order.
CONTACTS = ["王芳", "李强", "陈雪", "刘海", "杨敏", "黄伟", "赵丽", "周杰", "吴婷", "徐斌", "孙悦", "马俊", "朱琳",
            "胡凯", "郭静", "何涛", "高燕", "林峰", "罗娜", "梁宇", "宋佳", "郑浩", "谢芳", "韩磊", "唐颖", "冯超",
            "董洁", "程亮", "曹雯", "袁杰"]
PHONE_HEADS = ["139", "138", "137", "136", "135", "158", "159", "188", "187", "186", "177", "150"]


def demo_phone(n: int) -> str:
    """A phone number that looks like one (never a real subscriber's pattern of 13800000000)."""
    return f"{PHONE_HEADS[n % len(PHONE_HEADS)]}{(n * 7919 + 1231) % 10000:04d}{(n * 104729 + 5821) % 10000:04d}"


LECTURERS = [
    ("张建国", "cadre", ["党史学习", "思想政治", "红色课程"], "区委党校退休教师，长期从事党史教学。"),
    ("李秀英", "model", ["思想政治", "文明道德", "先进模范"], "全国道德模范，扎根社区服务三十年。"),
    ("王磊", "grassroots", ["志愿服务", "实用技能", "实践课程"], "社区志愿服务队队长。"),
    ("陈静", "cadre", ["政策普及", "基层治理", "思想政治"], "街道党工委干部，熟悉基层治理政策。"),
    ("刘洋", "grassroots", ["科学知识", "科技创新", "文化课程"], "科创企业工程师，科普志愿者。"),
    ("赵敏", "model", ["文明道德", "志愿服务"], "市级劳动模范。"),
    ("孙伟", "cadre", ["实用技能", "网络课程", "科学知识"], "区大数据中心干部，负责数字党建平台。"),
    ("周丽", "grassroots", ["党史学习", "文化课程"], "红色文化讲解员。"),
]

USERS = [
    ("admin", "区委组织部管理员", "admin", {}),
    ("manager", "周明（红星革命纪念馆）", "manager", {"base": "红星革命纪念馆"}),
    ("manager2", "吴芳（时代楷模事迹展览馆）", "manager", {"base": "时代楷模事迹展览馆"}),
    ("secretary", "王芳（区财政局第一党支部）", "secretary", {"branch": "区财政局第一党支部"}),
    ("secretary2", "李强（滨江社区党支部）", "secretary", {"branch": "滨江社区党支部"}),
    ("lecturer", "张建国", "lecturer", {"lecturer": "张建国"}),
    ("lecturer2", "李秀英", "lecturer", {"lecturer": "李秀英"}),
    ("street", "赵磊（滨江街道党工委）", "area_admin", {"area": "滨江街道"}),
]

# The district as areas (属地): three streets with their communities; each organisation and base where it would lie
# (the district's own offices, enterprises and systems directly in the district).
AREAS = {
    "root": "X区",
    "areas": [("滨江街道", "street"), ("滨江街道/滨江社区", "community"), ("滨江街道/望江社区", "community"),
              ("滨江街道/江南社区", "community"), ("滨江街道/临江社区", "community"),
              ("红星街道", "street"), ("红星街道/红星社区", "community"), ("红星街道/春晖社区", "community"),
              ("红星街道/新村社区", "community"),
              ("科创园街道", "street"), ("科创园街道/科创社区", "community")],
    "places": {"滨江街道党工委": "滨江街道", "红星街道党工委": "红星街道",
               "新兴产业园两新组织联合党委": "科创园街道/科创社区",
               "红星革命纪念馆": "红星街道/红星社区", "滨江党群服务中心": "滨江街道/滨江社区",
               "智造科技创新基地": "科创园街道/科创社区"},
}


def _one(model, **where):
    return db.session.scalar(select(model).filter_by(**where))


SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万严武戴孔汤")
GIVEN = ("建国 秀英 桂英 明 强 静 丽 敏 军 勇 艳 杰 涛 超 霞 平 刚 辉 鹏 华 红 燕 婷 宇 浩 磊 洋 斌 娟 玲 峰 雪 倩 晨 阳 丹 萍 "
         "亮 健 文 博 凯 晓东 海燕 志强 国庆 春梅 立新 建华 红梅 晓梅 玉兰 丽华 永刚 德胜 卫东 建平 丽娟 晓燕 子涵 欣怡 "
         "雨萱 浩然 俊杰 思远 嘉怡 梓轩 雨涵 一鸣 文静 志刚 海波 秀兰 淑珍 振华 春燕 建军 小红 慧敏 宏伟 明辉 雅琴 "
         "国华 凤英 新民 学军 玉梅 佳琪 晓丽 荣 琳 颖 蕾 鑫 帅 楠 睿 诚").split()


def people_names(taken=()):
    """Plausible names, each once across the whole demo district (a shuffled walk over surnames and given
    names), never one already `taken`."""
    import itertools
    import random
    pairs = list(itertools.product(SURNAMES, GIVEN))
    random.Random(7).shuffle(pairs)
    seen = set(taken)
    for surname, given in pairs:
        if surname + given not in seen:
            seen.add(surname + given)
            yield surname + given


def branch_secretaries() -> list[tuple]:
    """An account for the secretary of every demo branch that books online (all but BY_PHONE), beyond the two
    named in USERS: secretary3, secretary4 … in the order of ORGANIZATIONS."""
    named = {link["branch"] for _, _, role, link in USERS if role == "secretary"}
    taken = [display.split("（")[0] for _, display, *_ in USERS]
    names = people_names(taken)
    accounts = []
    for branch in (b for _, _, branches in ORGANIZATIONS for b in branches):
        if branch in named or branch in BY_PHONE:
            continue
        accounts.append((f"secretary{len(accounts) + 3}", f"{next(names)}（{branch}）", "secretary", {"branch": branch}))
    return accounts


def accounts_text() -> str:
    """What seed-demo prints: the accounts to log in with."""
    last = branch_secretaries()[-1][0]
    return (ACCOUNTS_TEXT + f"\n  secretary3 … {last} 其余支部的书记（账号页可查；{'、'.join(BY_PHONE)}"
            "电话预约，没有账号）")


def real_accounts() -> list[str]:
    """Accounts that are not the demo's: a sign that this database is in real use."""
    demo = {username for username, *_ in USERS + branch_secretaries()}
    return [name for name in db.session.scalars(select(User.username).order_by(User.id)) if name not in demo]


def load_demo() -> bool:
    """Create whatever of the demo data is missing; returns whether anything was created."""
    return load_catalogue(BASES, ORGANIZATIONS, LECTURERS, USERS + branch_secretaries(), AREAS)


def load_areas(spec: dict | None) -> dict:
    """The tree of areas a spec names (`{"root": name, "areas": [(trail, kind)], ...}`, parents first) made where
    missing, the district renamed; returns each trail's area (the district under ""). The district is the root, or,
    when a city lies above it (seed-load --areas), the city's district of that name."""
    top = areas.root()
    if not spec:
        return {"": top}
    if top.kind == "city":
        district = _one(Area, parent_id=top.id, name=spec["root"])
        if district is None:
            district = Area(name=spec["root"], kind="district", parent_id=top.id, path="")
            db.session.add(district)
            db.session.flush()
            district.path = f"{top.path}{district.id}/"
        top = district
    elif top.name != spec["root"]:
        top.name = spec["root"]
    found = {"": top}
    for trail, kind in spec["areas"]:
        parent_trail, _, name = trail.rpartition("/")
        parent = found[parent_trail]
        area = _one(Area, parent_id=parent.id, name=name)
        if area is None:
            area = Area(name=name, kind=kind, parent_id=parent.id, path="")
            db.session.add(area)
            db.session.flush()
            area.path = f"{parent.path}{area.id}/"
        found[trail] = area
    db.session.flush()
    return found


def load_catalogue(base_specs, organizations, lecturer_specs, users, area_spec: dict | None = None) -> bool:
    """Create whatever of these bases (with venues, weekly slots and menus), organisations and branches, lecturers
    and accounts (password PASSWORD) is missing, each organisation and base in the area `area_spec` places it
    (`places`: name -> trail; the root when unnamed); returns whether anything was created. The demo loads its
    own district with it, and the tests a small one of their own (tests/world.py)."""
    created = False
    tree = load_areas(area_spec)
    places = (area_spec or {}).get("places", {})
    bases = {}
    for spec in base_specs:
        base = _one(Base, name=spec["name"])
        if base is None:
            created = True
            base = Base(name=spec["name"], type=spec["type"], address=spec["address"],
                        description=spec["description"], contact_name=spec["contact_name"],
                        contact_phone=spec["contact_phone"], visitor_notes=spec["visitor_notes"], min_advance_days=1, max_advance_days=60,
                        cancel_deadline_hours=24, requires_approval=True, area_id=tree[places.get(spec["name"], "")].id)
            db.session.add(base)
            db.session.flush()
            venues = {}
            for name, kind, capacity in spec["venues"]:
                venue = Venue(base_id=base.id, name=name, kind=kind, capacity=capacity)
                db.session.add(venue)
                db.session.flush()
                venues[name] = venue
                for weekday in range(7):
                    for start, end in (MORNING, AFTERNOON):
                        db.session.add(OpeningSlot(venue_id=venue.id, weekday=weekday, start_time=start,
                                                   end_time=end, capacity=capacity))
            for title, category, topic, minutes, lo, hi, venue_name, needs, desc in spec["menu"]:
                db.session.add(MenuItem(base_id=base.id, venue_id=venues[venue_name].id, title=title,
                                        description=desc, category=category, content_topic=topic,
                                        duration_minutes=minutes, min_group=lo, max_group=hi,
                                        needs_lecturer=needs))
        bases[spec["name"]] = base
    branches = {}
    for org_name, sector, branch_names in organizations:
        org = _one(Organization, name=org_name)
        if org is None:
            created = True
            org = Organization(name=org_name, sector=sector, area_id=tree[places.get(org_name, "")].id)
            db.session.add(org)
            db.session.flush()
        for name in branch_names:
            branch = _one(Branch, organization_id=org.id, name=name)
            if branch is None:
                created = True
                n = len(branches)
                branch = Branch(organization_id=org.id, name=name, contact_name=CONTACTS[n % len(CONTACTS)],
                                contact_phone=demo_phone(n))
                db.session.add(branch)
                db.session.flush()
            branches[name] = branch
    lecturers = {}
    for name, category, topics, bio in lecturer_specs:
        lecturer = _one(Lecturer, name=name)
        if lecturer is None:
            created = True
            # Lecturers without an account are reached by phone (one is left without, as happens).
            phone = None if name == "周丽" else demo_phone(len(lecturers) + 300)
            lecturer = Lecturer(name=name, category=category, bio=bio, calendar_token=secrets.token_urlsafe(24),
                                phone=phone, topic_rows=[LecturerTopic(topic=t) for t in topics])
            db.session.add(lecturer)
            db.session.flush()
        lecturers[name] = lecturer
    for username, display, role, link in users:
        if _one(User, username=username) is not None:
            continue
        created = True
        user = User(username=username, display_name=display, role=role, email=f"{username}@example.org")
        user.set_password(PASSWORD)
        if "base" in link:
            user.bases = [bases[link["base"]]]
        if "branch" in link:
            user.branch_id = branches[link["branch"]].id
        if "lecturer" in link:
            user.lecturer_id = lecturers[link["lecturer"]].id
        if "area" in link:
            user.area_id = tree[link["area"]].id
        db.session.add(user)
    db.session.commit()
    return created


def load_demo_members() -> int:
    """Members for every demo branch that has none yet (a secretary, a deputy, two committee members, then
    members, one of them probationary), each name once in the district; the branch's contact is its organisation
    officer (组织委员), the first committee member. Returns how many were added."""
    added = 0
    accounts = {branch_id: display.split("（")[0] for branch_id, display in db.session.execute(
        select(User.branch_id, User.display_name).where(User.role == "secretary"))}
    names = people_names(accounts.values())
    for n, branch in enumerate(db.session.scalars(select(Branch).order_by(Branch.id))):
        if db.session.scalar(select(Member.id).where(Member.branch_id == branch.id).limit(1)) is not None:
            continue
        size = 8 + (n * 5) % 13
        # The branch's own secretary is on its roll under the name of their account.
        people = [accounts.get(branch.id) or next(names)] + [next(names) for _ in range(size - 1)]
        for i, name in enumerate(people):
            role = ("secretary", "deputy", "committee", "committee")[i] if i < 4 else "member"
            phone = demo_phone(n * 40 + i + 100) if i < 4 else None
            db.session.add(Member(branch_id=branch.id, name=name, role=role,
                                  status="probationary" if i == size - 1 else "full", phone=phone))
            if i == 2:
                branch.contact_name, branch.contact_phone = name, phone
            added += 1
    db.session.commit()
    return added


# What a branch's month is about: the year's anniversaries and campaigns, as a district's plans read.
MONTH_THEMES = {
    1: ["新年新气象：制定支部年度学习计划", "学习中央经济工作会议精神"],
    2: ["春节走访慰问困难党员", "开展党员民主评议"],
    3: ["学习全国两会精神", "学雷锋志愿服务月"],
    4: ["清明祭英烈：缅怀革命先烈", "党纪学习教育：学习《中国共产党纪律处分条例》"],
    5: ["五四精神薪火相传", "劳动创造幸福：学习劳模精神"],
    6: ["迎七一：重温入党誓词", "学习《中国共产党章程》"],
    7: ["庆祝中国共产党成立纪念日", "党员过“政治生日”"],
    8: ["八一拥军：走访慰问退役军人", "学习强军思想，弘扬双拥传统"],
    9: ["铭记抗战历史，弘扬抗战精神", "教师节：学习身边的好老师"],
    10: ["喜迎国庆：爱国主义主题教育", "重阳敬老志愿服务"],
    11: ["学习身边的时代楷模", "基层治理中的党员作用"],
    12: ["国家宪法日：学习宪法", "年终总结：对照检查，查摆问题"],
}
SUMMARIES = {
    "theme_day": "围绕“{theme}”开展主题党日活动：{place_part}党员代表结合本职工作交流体会，支部书记作小结。",
    "party_lecture": "聆听专题党课“{theme}”，讲师结合{base}的史料和案例讲授，党员围绕课程内容开展讨论，支部书记布置学习任务。",
    "member_meeting": "召开支部党员大会，通报支部近期工作，围绕“{theme}”开展学习讨论，表决有关事项。",
    "committee_meeting": "召开支委会，研究支部下阶段工作安排和“{theme}”学习计划，分工落实到人。",
    "group_meeting": "召开党小组会，围绕“{theme}”交流学习心得，党员逐一发言，小组长作总结。",
    "study": "组织党员集中学习“{theme}”相关内容，领学原文，交流体会。",
    "other": "开展“{theme}”活动，党员积极参与，发挥先锋模范作用。",
}
PLACE_PARTS = {
    "red": "在{base}重温入党誓词，讲解员讲述本地党组织的创建历程；",
    "basic": "在{base}参观先进事迹展，学习身边的榜样；",
    "welfare": "在{base}参与志愿服务，清理公共区域、走访独居老人，党员亮身份、作表率；",
    "tech": "在{base}参观科创成果展，了解数字党建平台的使用；",
}
COMMENTS = ["讲解细致，安排周到。", "场地整洁，流程顺畅。", "党课内容扎实，很受启发。", "希望增加互动环节。", ""]


class _SeedSecretary:
    """Stands for a branch without an account of its own when the demo's past sets its roster (as its secretary
    would have)."""

    role, is_authenticated, id = "secretary", True, None

    def __init__(self, branch_id: int):
        self.branch_id = branch_id


PAST_MONTHS = 12
# What a branch's month at the bases holds: a theme day most months, and now and then one more activity of the
# 三会一课 (a lecture or a members' meeting at the end of a quarter, a committee or group meeting, collective study).
EXTRA_TYPES = (("committee_meeting", 3), ("group_meeting", 3), ("study", 2), ("other", 1))


def has_past() -> bool:
    """Whether the database already has a visit in the past (then the demo's past is not made again)."""
    return db.session.scalar(select(Booking.id).where(Booking.starts_at < clock.now()).limit(1)) is not None


def _month_plan(rng, month: int) -> list[str]:
    """The activity types one branch holds at a base in a month: one or two, mixed."""
    plan = ["theme_day"] if rng.random() < 0.95 else []
    if month in (3, 6, 9, 12) and rng.random() < 0.8:
        plan.append(rng.choice(("party_lecture", "member_meeting")))
    elif rng.random() < 0.55:
        kinds, weights = zip(*EXTRA_TYPES)
        plan.append(rng.choices(kinds, weights)[0])
    return plan or ["theme_day"]


def months_before(day: date, k: int) -> date:
    """The same day k months earlier (the month's last day when that month is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - k, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def past_periods(today: date) -> list[tuple[date, date]]:
    """The demo's past as PAST_MONTHS periods of one month each, oldest first, each [first, end): the last ends
    today. Periods, not calendar months, so that the twelve months before any date hold the same rhythm and the
    month in progress holds only its share of it (no crowd of visits in its first days)."""
    return [(months_before(today, k + 1), months_before(today, k)) for k in reversed(range(PAST_MONTHS))]


def past_start(today: date) -> date:
    """The first day of the demo's past."""
    return months_before(today, PAST_MONTHS)


# Branches that have gone quiet: nothing at the bases in the last IDLE_PERIODS months (the watch list's).
IDLE_LATELY = ("区发改委机关党支部", "城投建设公司党支部", "启航律师事务所党支部")
IDLE_PERIODS = 4


def plan_past(rng, today: date, branch_ids: list[int], holidays: set[date], idle: set[int] = frozenset()) \
        -> list[tuple[int, str, list[date]]]:
    """What each branch did in the demo's past: per period, one or two activities on working days (Monday to
    Friday, not a public holiday) before today, different days for one branch; the `idle` branches nothing in the
    last IDLE_PERIODS periods. Each entry is the branch, the activity type and the days to try, the planned one
    first (a full slot moves the visit to the next)."""
    plan = []
    periods = past_periods(today)
    for n, (first, end) in enumerate(periods):
        days = [first + timedelta(days=d) for d in range((end - first).days)]
        days = [d for d in days if d.weekday() < 5 and d not in holidays]
        middle = first + (end - first) / 2
        for branch_id in branch_ids:
            kinds = _month_plan(rng, middle.month)
            if branch_id in idle and n >= len(periods) - IDLE_PERIODS:
                continue
            picked = rng.sample(days, min(len(kinds), len(days)))
            for kind, day in zip(kinds, picked):
                plan.append((branch_id, kind, [day] + rng.sample([d for d in days if d not in picked],
                                                                 min(2, len(days) - len(picked)))))
    return plan


def load_demo_past(seed: int = 2026, progress=None) -> int:
    """A believable past for the demo: twelve months of visits, each branch one or two a month of mixed types
    (theme days, lectures and meetings of 三会一课) on working days, with visitor counts, members' attendance (so
    study hours come near the yearly requirement), ratings and activity records, lectures given, a few joint
    visits, cancellations and no-shows; then requests to come, a standing booking, a waitlist of a full slot. Made
    through the services (with their clocks set back), so histories, places and notifications are what the system
    itself writes. Only when the database has no past visit yet (so it is idempotent). `progress(n)` is told of
    each month done (PAST_MONTHS in all). Returns the bookings made."""
    import random
    now = clock.now()
    if has_past():
        return 0
    rng = random.Random(seed + 1)  # the visits draw from a stream of their own, the plan from its own
    mail = current_app.config.get("MAIL_HOST")
    current_app.config["MAIL_HOST"] = ""  # the demo's past sends no email
    try:
        admin = _one(User, username="admin")
        members_of: dict[int, list] = {}
        for m in db.session.scalars(select(Member).where(Member.active.is_(True)).order_by(Member.id)):
            members_of.setdefault(m.branch_id, []).append(m)
        secretaries = {u.branch_id: u for u in db.session.scalars(select(User).where(User.role == "secretary"))}
        branches = {b.id: b for b in db.session.scalars(select(Branch).where(Branch.active.is_(True))
                                                        .order_by(Branch.id))}
        items = list(db.session.scalars(select(MenuItem).where(MenuItem.active.is_(True)).order_by(MenuItem.id)))
        lectures = [i for i in items if i.needs_lecturer]
        visits_only = [i for i in items if not i.needs_lecturer]
        # A theme day takes the morning or the afternoon: the longer visits (a 30-minute oath alone is no theme day).
        theme_days = [i for i in visits_only if i.duration_minutes >= 90] or visits_only
        today = clock.local_today()
        closed = set(calendar_days.public_holidays(past_start(today), today))
        idle = {b.id for b in branches.values() if b.name in IDLE_LATELY}
        plan = plan_past(random.Random(seed), today, list(branches), closed, idle)
        per_period = max(1, len(plan) // PAST_MONTHS)
        made = no_shows = 0
        for n, (branch_id, activity_type, days) in enumerate(plan):
            if progress is not None and n % per_period == per_period - 1:
                progress(1)
            branch = branches[branch_id]
            # A branch without an account of its own books by phone: at a base with a manager to record it.
            pool = [i for i in (lectures if activity_type == "party_lecture" else
                                theme_days if activity_type == "theme_day" else items)
                    if branch.id in secretaries or i.base.managers]
            if not pool:
                continue
            menu_item = rng.choice(pool)
            for day in days:
                b = _past_visit(rng, branch, menu_item, activity_type, day, secretaries, members_of, admin,
                                no_shows < 3)
                if b is not None:
                    made += 1
                    no_shows += b.status == states.NO_SHOW
                    break
        made += _own_life(random.Random(seed + 2), today, branches, secretaries, members_of, closed, idle)
        made += _demo_requests(random.Random(seed + 3), now, today, secretaries, members_of, admin, idle)
        made += _demo_to_come(rng, now, today, items, secretaries, admin)
        made += _demo_lectures(random.Random(seed + 4), now, today, secretaries, admin, closed, idle)
        db.session.commit()
        _demo_photos(secretaries)
        _few_unread(now)
        return made
    finally:
        current_app.config["MAIL_HOST"] = mail


def _past_visit(rng, branch, menu_item, activity_type, day, secretaries, members_of, admin, may_miss):
    """One visit of the past, as it happened: booked, approved, perhaps joined by a paired branch, a lecturer for a
    lecture, the roster, check-in, attendance, who was absent and why, the rating and the record. None when the
    slot could not be booked (full, closed)."""
    start = clock.at_local(day, rng.choice((MORNING, AFTERNOON))[0])
    people = members_of.get(branch.id, [])
    headcount = max(menu_item.min_group, min(menu_item.max_group, len(people) + rng.randint(0, 6) or 12))
    actor = secretaries.get(branch.id) or (menu_item.base.managers or [None])[0]
    if actor is None:
        return None
    asked = _office_hours(rng, day - timedelta(days=rng.randint(4, 20)))
    theme = _theme(rng, day)
    try:
        with _dated(asked):
            b = db.session.get(Booking, records.create_booking(
                actor, menu_item_id=menu_item.id, start=start, headcount=headcount, contact_name=branch.contact_name
                or "王芳", contact_phone=branch.contact_phone or demo_phone(branch.id), activity_type=activity_type,
                topic=theme, branch_id=None if actor.role == "secretary" else branch.id,
                now=asked).id)
    except DomainError:
        db.session.rollback()
        return None
    manager = (b.base.managers or [admin])[0]
    if b.status == states.PENDING:  # the manager answers within a working day, in office hours
        approved = asked + timedelta(minutes=rng.randint(20, 180))
        if clock.local(approved).hour >= 18:
            approved = _office_hours(rng, clock.local(asked).date() + timedelta(days=1))
        with _dated(approved):
            reservations.approve_booking(manager, b, now=approved)
    fate = rng.random()
    if fate < 0.05:
        with _dated(start - timedelta(days=2)):
            reservations.cancel_booking(actor, b, "单位临时有会议，改期再约。", now=start - timedelta(days=2))
        return b
    if fate < 0.07 and may_miss:
        with _dated(b.ends_at + timedelta(hours=1)):
            visits.mark_no_show(manager, b, now=b.ends_at + timedelta(hours=1))
        return b
    pair = None
    if fate > 0.94:  # a joint activity with a paired branch of the same organisation
        pair = next((x for x in db.session.scalars(select(Branch).where(  # never a quiet one: it would not be quiet
            Branch.organization_id == branch.organization_id, Branch.id != branch.id,
            Branch.name.not_in(IDLE_LATELY)).order_by(Branch.id))), None)
        if pair is not None and b.headcount + 8 <= menu_item.max_group:
            try:
                with _dated(asked + timedelta(hours=3)):
                    partners.invite(manager, b, pair.id, 8, now=asked + timedelta(hours=3))
                with _dated(asked + timedelta(hours=6)):
                    partners.accept(secretaries.get(pair.id) or _SeedSecretary(pair.id), b,
                                    now=asked + timedelta(hours=6))
                # The partner brings its own members: its own part of the roster.
                members.set_roster(secretaries.get(pair.id) or _SeedSecretary(pair.id), b,
                                   [m.id for m in members_of.get(pair.id, [])[:8]], now=asked + timedelta(hours=7))
            except DomainError:
                db.session.rollback()
                pair = None
        else:
            pair = None
    if menu_item.needs_lecturer:
        try:
            offered = lecturers.suggestions(manager, b, now=asked + timedelta(hours=2))
            if offered:  # of the best matched, the one with the fewest sessions those days: the load is shared
                def nearby(lecturer_id):
                    return db.session.scalar(select(func.count()).select_from(Booking).where(
                        Booking.lecturer_id == lecturer_id, Booking.lecturer_status == states.ACCEPTED,
                        Booking.starts_at > start - timedelta(days=4), Booking.starts_at < start + timedelta(days=4)))
                best = offered[:4]
                rng.shuffle(best)
                chosen_lecturer = min(best, key=lambda s: nearby(s.lecturer.id)).lecturer
                with _dated(asked + timedelta(hours=2)):
                    lecturers.invite(manager, b, chosen_lecturer.id, now=asked + timedelta(hours=2))
                with _dated(asked + timedelta(hours=5)):
                    if chosen_lecturer.user is None:
                        lecturers.record_phone_answer(manager, b, True, now=asked + timedelta(hours=5))
                    else:
                        lecturers.accept(chosen_lecturer.user, b, now=asked + timedelta(hours=5))
        except DomainError:
            db.session.rollback()
    chosen = []
    if people:
        # The branch committee (书记, 副书记, 委员) comes to everything; a committee meeting is theirs alone.
        leaders = [m for m in people if m.role != "member"]
        others = [m for m in people if m.role == "member"]
        if activity_type == "committee_meeting" and leaders:
            chosen = leaders[:headcount]
        else:
            room = max(0, min(headcount, len(people)) - len(leaders))
            # Not everyone goes to the base: their study hours come from the branch's own meetings too.
            chosen = leaders + rng.sample(others, min(room, len(others), max(4, int(len(others) * rng.uniform(0.45, 0.75)))))
        members.set_roster(actor if actor.role == "secretary" else _SeedSecretary(b.branch_id), b,
                           [m.id for m in chosen], now=asked + timedelta(hours=1))
    visits.check_in_booking(manager, b, now=start - timedelta(minutes=10))
    came = max(1, b.total_headcount - rng.randint(0, 4))
    split = None
    if pair is not None:  # the base counts each branch's part of a joint visit
        theirs = min(came - 1, 8 - rng.randint(0, 2))
        split = {b.branch_id: came - theirs, pair.id: theirs}
    visits.record_attendance(manager, b, came, now=start + timedelta(minutes=50), visitor_counts=split)
    theirs_people = members_of.get(pair.id, [])[:8] if pair is not None else []
    everyone = chosen + theirs_people
    if everyone:
        away = {m.id for m in everyone if rng.random() < 0.08}
        # Never more of a branch's members present than its part of the count (the record shows both).
        present = [m for m in chosen if m.id not in away][:came - (split[pair.id] if split else 0)]
        if split:
            present += [m for m in theirs_people if m.id not in away][:split[pair.id]]
        if clock.now() - start < SELF_SIGN_IN_SINCE:
            _members_sign_in(rng, manager, b, present, start)
        members.mark_members(manager, b, [m.id for m in present],
                             [{"member_id": m.id, "reason": rng.choice(("病假", "事假", "公差"))}
                              for m in everyone if m not in present], now=start + timedelta(minutes=55))
    if actor.role == "secretary" and rng.random() < 0.8:
        visits.give_feedback(actor, b, rng.choice((5, 5, 5, 4, 4, 3)), rng.choice(COMMENTS),
                             now=b.ends_at + timedelta(hours=3))
        visits.save_activity_record(actor, b, _summary(rng, b, theme), [], now=b.ends_at + timedelta(hours=4))
    if pair is not None and pair.id in secretaries:  # the partner files its own record, in its own words
        visits.save_activity_record(secretaries[pair.id], b,
                                    f"与{branch.name}在{b.base.name}共同开展{b.activity_type_label}“{theme}”：本支部党员"
                                    "参加学习讨论，两个支部交流了各自的做法，相互学习、共同提高。",
                                    [], now=b.ends_at + timedelta(hours=5))
    return b


# The visits of the last weeks were signed in to by the members themselves (扫码签到), as bases now do.
SELF_SIGN_IN_SINCE = timedelta(days=45)


def _members_sign_in(rng, manager, b, present, start) -> None:
    """Most members present scan the code the manager holds up at the door, a few seconds apart, on links renewed
    as the page renews them; the rest are ticked by hand afterwards."""
    moment = start - timedelta(minutes=8)
    link = signin.make_link(manager, b, now=moment)
    for m in present:
        if rng.random() < 0.15:
            continue  # no phone with them, or signed in by the secretary
        moment += timedelta(seconds=rng.randint(4, 25))
        if moment > link.expires_at - timedelta(seconds=60):
            link = signin.make_link(manager, b, now=moment)
        last4 = re.sub(r"\D", "", m.phone or "")[-4:] or None
        signin.sign_in(link.token, m.id, last4, "10.8.0.1", now=moment)


# The branch's own meetings: a committee meeting and a group meeting every month in its own room, after office hours
# (never beside a base visit of the afternoon); the month's 主题党日 when it held none at a base; at a quarter's end
# the 党员大会 or the 党课 it did not hold at a base.
OWN_MONTHLY = (("committee_meeting", 0.8), ("group_meeting", 0.7))  # how likely a branch never lets one slip
OWN_HOURS = (time(16, 30), time(17, 30))
OWN_SUMMARIES = {
    "theme_day": "在支部活动室开展主题党日活动，围绕“{theme}”集中学习，党员结合本职工作交流体会，支部书记作小结。",
    "committee_meeting": "召开支委会，传达学习上级有关精神，研究{month}月份支部工作安排，讨论党员教育管理等事项，明确责任分工。",
    "group_meeting": "召开党小组会，围绕“{theme}”开展学习讨论，党员结合岗位工作逐一发言，小组长作总结。",
    "member_meeting": "召开支部党员大会，通报本季度支部工作情况，围绕“{theme}”开展学习讨论，审议有关事项。",
    "party_lecture": "支部书记围绕“{theme}”讲专题党课，结合本单位实际谈认识、讲做法，党员交流学习体会。",
}


def _own_life(rng, today, branches, secretaries, members_of, closed, idle) -> int:
    """The demo branches' organisational life at their own place over the demo's past, recorded by their
    secretaries as the system has them do it (planned, held, attendance and who came, the record): each calendar
    month a 支委会 and a 党小组会 (now and then one missed), the 主题党日 of a month it held none at a base (most
    months), and in a quarter's last month the 支部党员大会 or the 党课 it did not hold at a base. The branches gone quiet hold nothing in their quiet months."""
    start, made = past_start(today), 0
    quiet_from = months_before(today, IDLE_PERIODS)
    months = []
    day = start.replace(day=1)
    while day <= today:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    for branch in branches.values():
        actor = secretaries.get(branch.id) or _SeedSecretary(branch.id)
        people = members_of.get(branch.id, [])
        # Now and then a branch lets one month's meeting slip (the ledger shows it): never more than one of a kind.
        skipped = {kind: rng.choice(months[1:-1]) for kind, likely in (*OWN_MONTHLY, ("theme_day", 0.7))
                   if rng.random() > likely}
        for first in months:
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            days = [first + timedelta(days=d) for d in range((last - first).days + 1)]
            days = [d for d in days if start <= d < today and d.weekday() < 5 and d not in closed
                    and not (branch.id in idle and d >= quiet_from)]
            if not days:
                continue
            kinds = [kind for kind, _ in OWN_MONTHLY if skipped.get(kind) != first]
            if first < today.replace(day=1):  # a month that has ended: what the bases did not hold, held at home
                quarter_end = first.month in (3, 6, 9, 12)
                since = date(first.year, first.month - 2, 1) if quarter_end else first
                held = dict(db.session.execute(select(Booking.activity_type, func.max(Booking.day)).where(
                    Booking.branch_id == branch.id, Booking.status == states.COMPLETED,
                    Booking.day >= since, Booking.day <= last).group_by(Booking.activity_type)).all())
                if held.get("theme_day", date.min) < first and skipped.get("theme_day") != first:  # none this month
                    kinds.append("theme_day")
                if quarter_end:
                    kinds += [k for k in ("member_meeting", "party_lecture") if k not in held]
            free = rng.sample(days, len(days))
            for kind in kinds:
                while free:  # a day the branch is busy at a base gives way to the next
                    if _own_meeting(rng, branch, actor, people, kind, free.pop()):
                        made += 1
                        break
    return made


def _own_meeting(rng, branch, actor, people, kind, day) -> int:
    """One meeting at the branch's own place, as its secretary records it: 1, or 0 when the branch was busy then."""
    start, end = (clock.at_local(day, t) for t in OWN_HOURS)
    if kind in ("member_meeting", "party_lecture"):
        end = start + timedelta(minutes=90)
    leaders = [m for m in people if m.role != "member"]
    expected = leaders if kind == "committee_meeting" and leaders else people
    if kind == "group_meeting" and len(people) >= 8:  # two party groups, meeting in turn month by month
        expected = people[day.month % 2::2]
    theme = _theme(rng, day)
    topic = {"committee_meeting": f"研究{day.month}月份支部工作", "party_lecture": f"书记讲党课：{theme}"}.get(kind, theme)
    planned = _office_hours(rng, day - timedelta(days=rng.randint(2, 6)))
    try:
        with _dated(planned):
            b = own.create(actor, activity_type=kind, start=start, end=end, address=own.usual_address(branch.id),
                           topic=topic, headcount=max(1, len(expected)) if expected else 7,
                           contact_name=branch.contact_name or "王芳",
                           contact_phone=branch.contact_phone or demo_phone(branch.id), now=planned)
    except DomainError:  # the branch was busy then
        db.session.rollback()
        return 0
    try:
        held = end + timedelta(minutes=10)
        if expected:
            members.set_roster(actor, b, [m.id for m in expected], now=planned + timedelta(minutes=5))
        away = [m for m in expected if rng.random() < 0.07]
        with _dated(held):
            visits.record_attendance(actor, b, max(1, (len(expected) or 7) - len(away)), now=held)
            if expected:
                members.mark_members(actor, b, [m.id for m in expected if m not in away],
                                     [{"member_id": m.id, "reason": rng.choice(("病假", "事假", "公差"))} for m in away],
                                     now=held)
            if rng.random() < 0.6:
                visits.save_activity_record(actor, b, OWN_SUMMARIES[kind].format(theme=theme, month=day.month), [],
                                            now=held + timedelta(hours=1))
    except DomainError:
        db.session.rollback()
    return 1


# Lectures the branches ordered (点单) in every state a dispatcher meets: (days from today the request was made,
# days from its making to the lecture, what became of it (held: completed and rated; refused by the dispatcher;
# withdrawn by the branch), topic).
REQUESTS = (
    (-150, 12, "held", "学习贯彻党的二十届四中全会精神"),
    (-95, 9, "held", "基层治理中的党建引领"),
    (-60, 10, "held", "党史学习"),
    (-24, 8, "held", "红色家书里的初心"),
    (-4, 8, "accepted", "新时代“枫桥经验”与社区治理"),
    (-3, 9, "dispatched", "思想政治"),
    (-5, None, "submitted", "物业管理中的党建引领"),
    (-1, None, "declined", "学习身边的时代楷模"),
    (-6, None, "refused", "企业合规经营"),
    (-2, None, "withdrawn", "文明道德"),
)


def _demo_requests(rng, now, today, secretaries, members_of, admin, idle) -> int:
    """Lecture requests in every state, made through the services with their clocks set back: four lectures
    ordered, dispatched, taken, held, rated and recorded; one taken and one dispatched to come; one waiting for
    a dispatcher, one a lecturer declined back to the queue; one rejected, one cancelled. Returns the
    activities they became."""
    asking = [secretaries[k] for k in sorted(secretaries) if k not in idle]  # the quiet branches order nothing
    # 王芳's and the community branch's first, so the demo accounts see them.
    asking.sort(key=lambda u: (u.username not in ("secretary", "secretary2"), u.id))
    made = 0
    closed = set(calendar_days.public_holidays(past_start(today), today + timedelta(days=60)))
    for n, (ago, lead, fate, topic) in enumerate(REQUESTS):
        actor = asking[n % len(asking)]
        branch = actor.branch
        asked = _office_hours(rng, today + timedelta(days=ago))
        if asked >= now:
            asked = now - timedelta(hours=2)
        first = clock.local(asked).date() + timedelta(days=3)
        try:
            with _dated(asked):
                request = lecture_requests.submit(
                    actor, topic=topic, first=first, last=first + timedelta(days=27), address=own.usual_address(branch.id),
                    headcount=max(10, len(members_of.get(branch.id, [])) or 20), contact_name=branch.contact_name or "王芳",
                    contact_phone=branch.contact_phone or demo_phone(branch.id), activity_type="party_lecture",
                    note="希望安排在工作日晚上或周末，便于在职党员参加。" if n % 3 == 0 else "", now=asked)
            if fate == "withdrawn":
                with _dated(asked + timedelta(hours=20)):
                    lecture_requests.cancel(actor, request, "支部已自行安排书记讲党课。", now=asked + timedelta(hours=20))
                continue
            if fate == "refused":
                with _dated(asked + timedelta(days=1)):
                    lecture_requests.reject(admin, request, "讲师团暂无该方向的讲师，建议改选“思想政治”类课程。",
                                            now=asked + timedelta(days=1))
                continue
            if fate == "submitted":
                continue
            sent = asked + timedelta(hours=rng.randint(3, 20))
            day = clock.local(asked).date() + timedelta(days=lead or 5)
            while day.weekday() >= 5 or day in closed:  # a working day's evening, as the branches meet
                day += timedelta(days=1)
            start = clock.at_local(day, time(19))
            offered = lecture_requests.suggestions(admin, request, start)
            if not offered:
                continue
            if fate in ("accepted", "dispatched"):  # the demo's lecturer sees them in their schedule
                lecturer = next((s.lecturer for s in offered if s.lecturer.user and s.lecturer.user.username == "lecturer"),
                                offered[0].lecturer)
            else:
                lecturer = offered[min(len(offered) - 1, rng.randint(0, 2))].lecturer
            with _dated(sent):
                lecture_requests.dispatch(admin, request, lecturer.id, start, 90, now=sent)
            answered = sent + timedelta(hours=rng.randint(2, 9))
            if answered >= now:
                answered = now - timedelta(minutes=30)
            who = lecturer.user if lecturers.can_answer_in_system(lecturer) else admin
            if fate == "dispatched":
                continue
            if fate == "declined":
                with _dated(answered):
                    lecture_requests.decline(who, request, "当天有市里的宣讲任务，无法前往。", now=answered)
                continue
            with _dated(answered):
                lecture_requests.accept(who, request, now=answered)
            made += 1
            if fate == "accepted":
                continue
            b = request.booking
            people = members_of.get(branch.id, [])
            roster = people[:b.headcount]
            members.set_roster(actor, b, [m.id for m in roster], now=answered + timedelta(hours=1))
            held = b.ends_at + timedelta(minutes=10)
            came = max(1, b.headcount - rng.randint(0, 5))
            with _dated(held):
                visits.record_attendance(actor, b, came, now=held)
                if roster:  # never more members present than people counted
                    members.mark_members(actor, b, [m.id for m in roster[:came]],
                                         [{"member_id": m.id, "reason": "事假"} for m in roster[came:]], now=held)
                visits.give_feedback(actor, b, rng.choice((5, 5, 4)), "讲得接地气，结合社区实际，党员很受启发。",
                                     now=held + timedelta(hours=1))
                visits.save_activity_record(actor, b, f"邀请区讲师团{lecturer.name}到支部讲授专题党课“{topic}”，"
                                                      "党员围绕课程内容交流学习体会，支部书记作总结。", [],
                                            now=held + timedelta(hours=2))
        except DomainError:
            db.session.rollback()
    return made


TYPE_WORDS = {"party_lecture": "专题党课", "member_meeting": "支部党员大会", "committee_meeting": "支委会",
              "group_meeting": "党小组会", "study": "集中学习", "other": "", "theme_day": ""}


def _theme(rng, day) -> str:
    """The topic of an activity of the demo's past: the month's theme (the type is said beside it, not in it)."""
    return rng.choice(MONTH_THEMES[day.month])


def _summary(rng, b, theme: str) -> str:
    """The record a branch writes, fitting the activity's type and the base it was held at."""
    base = b.base.name
    place = PLACE_PARTS.get(b.base.type, "").format(base=base)
    return SUMMARIES[b.activity_type].format(theme=theme, base=base, place_part=place)


def _office_hours(rng, day, latest_hour: int = 17):
    """A moment in office hours (9:00 to latest_hour:50) of a working day on or before `day`."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return clock.at_local(day, time(rng.randint(9, latest_hour), rng.choice((0, 10, 20, 30, 40, 50))))


def _office_hours_before(rng, now, days_back: int):
    """A moment in office hours `days_back` working days or more before now, never after it; early enough in the
    day for an answer within office hours (by 17:50)."""
    day = clock.local_today(now) - timedelta(days=days_back)
    moment = _office_hours(rng, day, latest_hour=15)
    while moment >= now:
        day -= timedelta(days=1)
        moment = _office_hours(rng, day, latest_hour=15)
    return moment


LECTURE_HALL_ITEM = "科学知识讲座"  # 智造科技创新基地's 新时代大讲堂: 120 seats, a lecturer
LECTURE_TOPICS = ("人工智能与基层治理", "科技自立自强的时代答卷", "数字经济与新质生产力", "从“两弹一星”看科学家精神",
                  "新时代科普工作的使命", "大数据赋能党建工作")


def _demo_lectures(rng, now, today, secretaries, admin, closed, idle) -> int:
    """The lecture hall's open lectures (讲习活动): one a month in the past half year, four or five branches each (never
    those idle lately), held and counted; and three announced in the coming weeks, two or three branches booked.
    Returns the bookings made."""
    from booking.lectures import services as lectures
    item = _one(MenuItem, title=LECTURE_HALL_ITEM)
    speakers = [u for u in db.session.scalars(select(User).where(User.role == "lecturer", User.active.is_(True))
                                              .order_by(User.id))]
    if item is None or not speakers:
        return 0
    # The branches idle lately (the watch list's) book no lecture either.
    booking_branches = sorted((u for u in secretaries.values() if u.branch_id not in idle), key=lambda u: u.id)
    made = 0

    def free_day(day: date) -> date:
        while day.weekday() >= 5 or day in closed or day in holidays_around or day in announced:
            day += timedelta(days=1)
        return day
    announced: set[date] = set()
    holidays_around = set(calendar_days.public_holidays(past_start(today) - timedelta(days=30),
                                                        today + timedelta(days=60)))

    def working(at):  # the same hour of the next working day, when `at` falls on a weekend or a public holiday
        while clock.local(at).weekday() >= 5 or clock.local(at).date() in holidays_around:
            at += timedelta(days=1)
        return at
    first, last = clock.at_local(past_start(today), time(0)), clock.at_local(today, time(0))

    def visits_of(branch_id: int) -> int:  # the past's base visits of the branch, whatever became of them
        return db.session.scalar(select(func.count()).select_from(Booking).where(
            Booking.branch_id == branch_id, Booking.base_id.is_not(None), Booking.starts_at >= first,
            Booking.starts_at < last))
    plan = [(-30 * k + rng.randint(-5, 5), True) for k in range(6, 0, -1)] + [(d, False) for d in (8, 15, 22)]
    for n, (days_ahead, held) in enumerate(plan):
        day = free_day(today + timedelta(days=days_ahead))
        announced.add(day)
        start = clock.at_local(day, AFTERNOON[0])
        if held and start >= now:
            continue
        # Published, booked and approved on working days in office hours (a fortnight ahead, from 09:30).
        published = min(working(clock.at_local(day - timedelta(days=14), time(9, 30))), now - timedelta(hours=2))
        speaker = speakers[n % len(speakers)]
        try:
            with _dated(published):
                lecture = lectures.publish(admin, menu_item_id=item.id, start=start, lecturer_id=speaker.lecturer_id,
                                           topic=LECTURE_TOPICS[n % len(LECTURE_TOPICS)], now=published)
            with _dated(published + timedelta(hours=3)):
                lectures.accept(speaker, lecture, now=published + timedelta(hours=3))
        except DomainError:
            db.session.rollback()
            continue
        # A branch goes to a base once or twice a month: a past lecture is for branches with a visit to spare.
        spare = [u for u in booking_branches if not held or visits_of(u.branch_id) < 2 * PAST_MONTHS]
        coming = rng.sample(spare, min(len(spare), rng.randint(4, 5) if held else 2 + n % 2))
        for k, secretary in enumerate(coming):
            asked = working(published + timedelta(days=1 + k, hours=rng.randint(0, 4)))
            if asked >= min(start, now):
                continue
            branch = secretary.branch
            try:
                with _dated(asked):
                    b = db.session.get(Booking, records.create_booking(
                        secretary, menu_item_id=item.id, start=start,
                        headcount=rng.randint(item.min_group, item.min_group + 10),
                        contact_name=branch.contact_name or secretary.display_name.split("（")[0],
                        contact_phone=branch.contact_phone or demo_phone(200 + k), activity_type="party_lecture",
                        topic=lecture.topic, now=asked).id)
                    if b.status == states.PENDING:
                        reservations.approve_booking(admin, b, asked + timedelta(hours=2))
            except DomainError:
                db.session.rollback()
                continue
            made += 1
            if held:
                visits.check_in_booking(admin, b, now=start - timedelta(minutes=15))
                visits.record_attendance(admin, b, max(item.min_group, b.headcount - rng.randint(0, 3)),
                                         now=start + timedelta(minutes=95))
    return made


def _demo_to_come(rng, now, today, items, secretaries, admin) -> int:
    """Work to come: requests waiting for the managers, visits agreed, a standing monthly theme day, and a full
    slot with branches on its waitlist. Returns the bookings made."""
    made = 0
    closed = set(holidays.public_holidays(today, today + timedelta(days=30)))

    def working_day(days_ahead: int) -> date:  # branches meet on working days, as in the past
        day = today + timedelta(days=days_ahead)
        while day.weekday() >= 5 or day in closed:
            day += timedelta(days=1)
        return day
    asking = sorted(secretaries.values(), key=lambda u: u.id)
    for n, (days_ahead, approve) in enumerate(((2, False), (3, True), (5, False), (6, True), (9, False))):
        menu_item = items[(days_ahead * 3) % len(items)]
        actor = asking[n % len(asking)]
        branch = actor.branch
        start = clock.at_local(working_day(days_ahead), AFTERNOON[0])
        asked = _office_hours_before(rng, now, 1 if approve else 0)
        try:
            with _dated(asked):
                b = db.session.get(Booking, records.create_booking(
                    actor, menu_item_id=menu_item.id, start=start, headcount=menu_item.min_group + 5,
                    contact_name=branch.contact_name or "王芳", contact_phone=branch.contact_phone or demo_phone(n),
                    now=asked).id)
        except DomainError:
            db.session.rollback()
            continue
        made += 1
        if approve:
            approved = asked + timedelta(minutes=rng.randint(30, 120))
            with _dated(approved):
                reservations.approve_booking(b.base.managers[0] if b.base.managers else admin, b, now=approved)
    # 王芳's branch holds its theme day on the first Friday of each month.
    secretary = _one(User, username="secretary")
    oath = _one(MenuItem, title="重温入党誓词")
    if secretary is not None and oath is not None:
        try:
            spec = series.check(secretary, menu_item_id=oath.id, weekday=4, week_of_month=1, time_text="14:00",
                                first=today + timedelta(days=1), last=today + timedelta(days=180), headcount=20,
                                contact_name="王芳", contact_phone=secretary.branch.contact_phone or demo_phone(0),
                                topic="每月主题党日", activity_type="theme_day", now=now)
            made += sum(1 for o in series.create(secretary, spec, now=now).occurrences if o.booking_id)
        except DomainError:
            db.session.rollback()
    # A popular slot ten days ahead is full; two branches wait for a place.
    service = _one(MenuItem, title="参观先进事迹展")  # the exhibition hall: 40 places
    if service is not None:
        start = clock.at_local(working_day(10), MORNING[0])
        manager = (service.base.managers or [admin])[0]
        branches = list(db.session.scalars(select(Branch).order_by(Branch.id)))[10:14]
        try:
            for branch in branches[:2]:
                with _dated(now - timedelta(days=2)):
                    records.create_booking(manager, menu_item_id=service.id, start=start, headcount=20,
                                                contact_name=branch.contact_name, contact_phone=branch.contact_phone,
                                                branch_id=branch.id, now=now - timedelta(days=2))
                made += 1
            for branch in branches[2:]:
                waitlist.join(_SeedSecretary(branch.id), menu_item_id=service.id, start=start, headcount=10,
                              contact_name=branch.contact_name, contact_phone=branch.contact_phone,
                              now=now - timedelta(days=1))
        except DomainError:
            db.session.rollback()
    return made


def _picture(n: int, caption: str) -> bytes:
    """A stand-in for a photo of the activity (the demo has no real ones): a hall, a red banner, people in rows,
    drawn at a phone's aspect, with the caption on the banner."""
    import io
    from PIL import Image, ImageDraw, ImageFont
    image = Image.new("RGB", (1600, 1200), (226, 232, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 760, 1600, 1200), fill=(176, 137, 104))  # the floor
    draw.rectangle((200, 120, 1400, 330), fill=(196, 30, 36))  # the banner
    font = None
    for path in (os.path.join(os.path.dirname(__file__), "fonts", "NotoSansSC-subset.otf"),):
        try:
            font = ImageFont.truetype(path, 72)
        except OSError:
            pass
    draw.text((800, 225), caption[:14], fill=(255, 230, 160), anchor="mm", font=font)
    for row in range(3):  # people in rows, a little different in each photo
        for col in range(9):
            x, y = 190 + col * 150 + (row % 2) * 60 + n * 7, 560 + row * 170
            draw.ellipse((x, y, x + 70, y + 70), fill=(60 + 10 * ((col + n) % 5), 45, 40))
            draw.rectangle((x - 15, y + 75, x + 85, y + 200), fill=(40 + 30 * ((row + col + n) % 3), 60, 110))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return out.getvalue()


def _demo_photos(secretaries) -> None:
    """The latest few records of 王芳's branch carry two photos each, so the demo's records and ledger show the
    photo pages as a branch files them."""
    secretary = _one(User, username="secretary")
    if secretary is None:
        return
    latest = db.session.scalars(select(Booking).where(Booking.branch_id == secretary.branch_id,
                                                      Booking.status == states.COMPLETED,
                                                      Booking.activity_summary.is_not(None))
                                .order_by(Booking.starts_at.desc()).limit(3)).all()
    for n, b in enumerate(latest):
        caption = (b.topic or b.activity_type_label)
        visits.save_activity_record(secretary, b, b.activity_summary, [
            (f"IMG_{b.day:%Y%m%d}_0{k}.jpg", _picture(n * 2 + k, caption)) for k in (1, 2)],
            now=b.ends_at + timedelta(hours=4, minutes=n))


@contextmanager
def _dated(when):
    """The notifications the services write inside the block are dated when the demo's past says it happened (the
    services take `now`; a notification takes the clock's)."""
    last = db.session.scalar(select(func.max(Notification.id))) or 0
    yield
    db.session.execute(update(Notification).where(Notification.id > last).values(created_at=when)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _few_unread(now) -> None:
    """What happened months ago is not news: each user keeps only the latest few notifications unread."""
    keep = set()
    for user_id in db.session.scalars(select(Notification.user_id).distinct()):
        keep |= set(db.session.scalars(select(Notification.id).where(Notification.user_id == user_id)
                                       .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(4)))
    db.session.execute(update(Notification).where(Notification.read_at.is_(None), Notification.id.not_in(keep))
                       .values(read_at=now).execution_options(synchronize_session=False))
    db.session.commit()
