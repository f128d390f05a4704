"""The tree of areas (属地) and the one rule of what lies below an area.

Everything below an area (itself included) is `under(area)`: the areas whose materialised path starts with its
own, one indexed condition (models.area). The organisations, branches and bases of a subtree follow from it
(`organizations_under`, `branches_under`, `bases_under`), and so do the area administrator's scope
(booking.permissions) and the figures by area (booking.stats).
"""
from dataclasses import dataclass

from sqlalchemy import String, func, literal, select, update
from sqlalchemy import delete as sa_delete

from booking import audit
from booking.errors import AreaInUse, NotAllowed, NotFound, ValidationFailed
from booking.textutil import field_text
from models import AREA_KINDS, Area, AreaMonth, Base, Branch, Organization, User, db
from models.area import KIND_ORDER, ROOT_ID
from models.screen import ScreenLink

DIRECT = "直属"


def root() -> Area:
    """The tree's root: the district this deployment serves (a city above its districts when it serves one)."""
    area = db.session.scalar(select(Area).where(Area.id == ROOT_ID.scalar_subquery()))
    return area if area is not None else ensure_root()


def ensure_root(name: str = "本区", kind: str = "district") -> Area:
    """The root, made as the migration makes it when the tree is empty."""
    area = db.session.scalar(select(Area).where(Area.id == ROOT_ID.scalar_subquery()))
    if area is None:
        area = Area(name=name, kind=kind, parent_id=None, path="")
        db.session.add(area)
        db.session.flush()
        area.path = f"/{area.id}/"
        db.session.commit()
    return area


def get(area_id) -> Area:
    area = db.session.get(Area, area_id) if isinstance(area_id, int) else None
    if area is None:
        raise NotFound("未找到该属地。")
    return area


def all_query():
    """Every area, each parent before its children (a path sorts before the paths that extend it)."""
    return select(Area).order_by(Area.path)


def all_areas() -> list[Area]:
    return list(db.session.scalars(all_query()))


def under(path: str):
    """The ids of the areas at and below the area with this path: one indexed condition."""
    return select(Area.id).where(Area.path.startswith(path, autoescape=True))


def organizations_under(path: str):
    return select(Organization.id).where(Organization.area_id.in_(under(path)))


def branches_under(path: str):
    return select(Branch.id).join(Organization, Organization.id == Branch.organization_id).where(
        Organization.area_id.in_(under(path)))


def bases_under(path: str):
    return select(Base.id).where(Base.area_id.in_(under(path)))


def lies_in(area: Area | None, path: str | None) -> bool:
    """Whether the area is the one with this path or below it."""
    return bool(area is not None and path and area.path.startswith(path))


def children(area: Area) -> list[Area]:
    return list(db.session.scalars(select(Area).where(Area.parent_id == area.id).order_by(Area.name)))


def buckets(path: str | None = None) -> tuple[dict[int, int], dict[int, str]]:
    """For figures by area under the area with this path (the root when None): each area of its subtree -> the row
    it counts in (the child of the area it lies under, or the area itself for what lies directly in it), and each
    row's label (the child's name, 直属). One query of plain rows: read on every request for the figures."""
    if path is None:
        nodes = db.session.execute(select(Area.id, Area.parent_id, Area.path, Area.name).order_by(Area.path)).all()
        top = min((n for n in nodes if n.parent_id is None), key=lambda n: n.id)
        nodes = [n for n in nodes if n.path.startswith(top.path)]
    else:
        nodes = db.session.execute(select(Area.id, Area.parent_id, Area.path, Area.name)
                                   .where(Area.path.startswith(path, autoescape=True)).order_by(Area.path)).all()
        if not nodes:
            return {}, {}
        top = nodes[0]
    prefix = len(top.path)
    rows, labels = {top.id: top.id}, {top.id: DIRECT}
    for node in nodes:
        if node.id == top.id:
            continue
        rows[node.id] = int(node.path[prefix:].split("/", 1)[0])
        if node.parent_id == top.id:
            labels[node.id] = node.name
    return rows, labels


def label(area: Area) -> str:
    """How a document names the area: 滨江街道 (the root by its own name)."""
    return area.name


def trails(within: str | None = None) -> list[tuple[Area, str]]:
    """Every area (or those at and below the path `within`), parents first and siblings in the order they were made,
    each with its trail below the root ("滨江街道/滨江社区"; the root by its own name): one query for the whole tree,
    however many areas a picker offers."""
    tree = all_areas()
    names = {a.id: a.name for a in tree}
    kids: dict[int | None, list[Area]] = {}
    for a in tree:
        kids.setdefault(a.parent_id, []).append(a)
    ordered: list[tuple[Area, str]] = []

    def walk(area: Area) -> None:
        if within is None or area.path.startswith(within):
            ordered.append((area, _trail_of(area, names)))
        for child in sorted(kids.get(area.id, []), key=lambda c: c.id):
            walk(child)

    for top in kids.get(None, []):
        walk(top)
    return ordered


def _trail_of(area: Area, names: dict[int, str]) -> str:
    ids = [int(i) for i in area.path.strip("/").split("/")]
    return "/".join(names[i] for i in ids[1:] if i in names) or area.name


def trail(area: Area) -> str:
    """The area with the areas above it below the root: 滨江街道/滨江社区 (the root: its name)."""
    ids = [int(i) for i in area.path.strip("/").split("/")]
    return _trail_of(area, dict(db.session.execute(select(Area.id, Area.name).where(Area.id.in_(ids))).all()))


def resolve(text: str, within: Area | None = None) -> Area | None:
    """The area a person names by its trail below the root ("滨江街道/滨江社区", the root's own name allowed in
    front), or by a name unique in the tree; None when it names none (or one outside `within`)."""
    parts = [p.strip() for p in (text or "").replace("／", "/").split("/") if p.strip()]
    if not parts:
        return None
    top = root()
    if parts[0] == top.name:
        parts = parts[1:]
    node = top
    for name in parts:
        node = db.session.scalar(select(Area).where(Area.parent_id == node.id, Area.name == name))
        if node is None:
            break
    if node is None and len(parts) == 1:
        found = db.session.scalars(select(Area).where(Area.name == parts[0]).limit(2)).all()
        node = found[0] if len(found) == 1 else None
    if node is not None and within is not None and not node.path.startswith(within.path):
        return None
    return node


# -- who reads which area ----------------------------------------------------------------------------

def choices(actor) -> list[tuple[int, str]]:
    """The areas a picker offers the actor, labelled by trail: the whole tree for an admin, its own area and those
    below it for an area administrator, none for anyone else."""
    if actor.role == "admin":
        return [(a.id, label) for a, label in trails()]
    if actor.role == "area_admin" and getattr(actor, "area_path", None):
        return [(a.id, label) for a, label in trails(actor.area_path)]
    return []


def asked(raw) -> int | None:
    """An `area_id` from a page's query string (None when absent or not a number)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def readable(actor, area_id) -> Area | None:
    """The area a report or a statistic is asked for (None: the caller's whole scope). An admin reads any area, an
    area administrator its own and those below; anyone else, or another area, is refused (403)."""
    if area_id is None:
        return None
    area = db.session.get(Area, area_id) if isinstance(area_id, int) else None
    if actor.role == "admin" and area is not None:
        return area
    if actor.role == "area_admin" and area is not None and area.path.startswith(actor.area_path or "\0"):
        return area
    raise NotAllowed("您不能查看该属地的数据。")


def own_area(actor) -> Area | None:
    """An area administrator's area (None for everyone else)."""
    return db.session.get(Area, actor.area_id) if actor.role == "area_admin" and actor.area_id else None


# -- the admin changes the tree -------------------------------------------------------------------

def only_admin(actor) -> None:
    if getattr(actor, "role", None) != "admin":
        raise NotAllowed("只有区委组织部管理员可以调整属地。")


def _fits(kind: str, parent: Area | None) -> bool:
    return parent is None or KIND_ORDER.index(kind) > KIND_ORDER.index(parent.kind)


def _checked(fields: dict, name, kind, parent: Area | None, area: Area | None = None) -> str:
    name = field_text(fields, "name", name, "名称", 60, required=True)
    if kind not in AREA_KINDS:
        fields["kind"] = f"层级应为 {'、'.join(AREA_KINDS)} 之一。"
    elif parent is not None and not _fits(kind, parent):
        fields["kind" if area is None or "parent_id" not in fields else "parent_id"] = (
            f"{AREA_KINDS[kind]}不能设在{AREA_KINDS[parent.kind]}“{parent.name}”之下。")
    if area is not None and kind in AREA_KINDS and "kind" not in fields:
        lowest = db.session.scalars(select(Area.kind).where(Area.parent_id == area.id)).all()
        if any(KIND_ORDER.index(k) <= KIND_ORDER.index(kind) for k in lowest):
            fields["kind"] = "该属地的下级属地层级须低于它本身。"
    if name and "name" not in fields and parent is not None and db.session.scalar(
            select(Area.id).where(Area.parent_id == parent.id, Area.name == name,
                                  Area.id != (area.id if area is not None else -1))):
        fields["name"] = f"“{parent.name}”下已有同名属地。"
    return name


def _parent(fields: dict, parent_id) -> Area | None:
    if not isinstance(parent_id, int) or isinstance(parent_id, bool):
        fields["parent_id"] = "请选择上级属地。"
        return None
    parent = db.session.get(Area, parent_id)
    if parent is None:
        fields["parent_id"] = "上级属地不存在。"
    return parent


def create(actor, *, name, kind, parent_id) -> Area:
    """A new area under an existing one (the root is made once, by the migration)."""
    only_admin(actor)
    fields: dict = {}
    parent = _parent(fields, parent_id)
    name = _checked(fields, name, kind, parent)
    if fields:
        raise ValidationFailed(fields)
    area = Area(name=name, kind=kind, parent_id=parent.id, path="")
    db.session.add(area)
    db.session.flush()
    area.path = f"{parent.path}{area.id}/"
    audit.record(actor, "area_saved", "area", area.id, f"新建{area.kind_label}“{name}”，属{parent.name}")
    db.session.commit()
    return area


def change(actor, area: Area, *, name=None, kind=None, parent_id=None, move: bool = False) -> Area:
    """Rename an area, change its kind, or move it (with everything below it) under another area: never under
    itself or its own descendant, and only where its kind fits."""
    only_admin(actor)
    fields: dict = {}
    parent = area.parent
    if move:
        if area.parent_id is None:
            fields["parent_id"] = "根属地不能移动。"
        else:
            parent = _parent(fields, parent_id)
            if parent is not None and parent.path.startswith(area.path):
                fields["parent_id"] = "不能移到它自己或它的下级属地之下。"
    name = _checked(fields, area.name if name is None else name, area.kind if kind is None else kind,
                    parent if "parent_id" not in fields else area.parent, area)
    if fields:
        raise ValidationFailed(fields)
    was = f"{area.name}（{area.kind_label}）"
    old_path = area.path
    new_path = f"{parent.path}{area.id}/" if move else old_path
    if new_path != old_path:
        # Everything below moves with it: one UPDATE of the paths that start with the old one.
        db.session.execute(
            update(Area).where(Area.path.startswith(old_path, autoescape=True))
            .values(path=literal(new_path, String) + func.substr(Area.path, len(old_path) + 1, type_=String))
            .execution_options(synchronize_session=False))
        db.session.expire_all()
        area = db.session.get(Area, area.id)
        area.parent_id = parent.id
    area.name = name
    if kind is not None:
        area.kind = kind
    audit.record(actor, "area_saved", "area", area.id,
                 f"{was} → {name}（{AREA_KINDS[area.kind]}），属{parent.name if parent else '无'}")
    db.session.commit()
    return area


@dataclass
class Holdings:
    areas: int
    organizations: int
    bases: int
    users: int

    @property
    def empty(self) -> bool:
        return not (self.areas or self.organizations or self.bases or self.users)


def holdings(area: Area) -> Holdings:
    """What lies directly in an area."""
    def count(stmt):
        return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return Holdings(
        areas=count(select(Area.id).where(Area.parent_id == area.id)),
        organizations=count(select(Organization.id).where(Organization.area_id == area.id)),
        bases=count(select(Base.id).where(Base.area_id == area.id)),
        users=count(select(User.id).where(User.area_id == area.id)) + count(
            select(ScreenLink.id).where(ScreenLink.area_id == area.id)))


def delete(actor, area: Area) -> None:
    """Remove an empty area; one in which anything lies (or the root) is kept: 409 area_in_use."""
    only_admin(actor)
    if area.parent_id is None or not holdings(area).empty:
        raise AreaInUse()
    audit.record(actor, "area_removed", "area", area.id, f"删除{area.kind_label}“{area.name}”")
    # Its months go with it: with no organisation in it they add up to nothing (those that left took theirs along).
    db.session.execute(sa_delete(AreaMonth).where(AreaMonth.area_id == area.id))
    db.session.delete(area)
    db.session.commit()
