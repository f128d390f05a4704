"""Browser journey at 390 px of a joint activity (联合 / 共建): the host's secretary invites a partner branch, the
partner accepts, both pick their rosters, the manager records the attendance split by branch, and each branch finds
the activity in its own ledger and its own figures in the statistics."""
from datetime import time, timedelta

from booking import clock
from booking.members import services as members
from tests.browser import assert_accessible, live_server, login, phone_browser, relogin, shot
from tests.factories import booking, item, user


def test_host_invites_partner_accepts_both_rosters_split_attendance_ledgers_and_statistics(world, monkeypatch):
    world.config.update(WTF_CSRF_ENABLED=True, SESSION_MAX_HOURS=24 * 30)  # the clock moves to the visit below
    visit_day = clock.local_today() + timedelta(days=3)
    moment = [clock.at_local(visit_day - timedelta(days=2), time(10, 0))]
    monkeypatch.setattr(clock, "now", lambda: moment[0])  # the server runs in this process: its clock too
    for name in ("王芳", "李明"):
        members.add_member(user("secretary"), user("secretary").branch, name=name)
    for name in ("周敏", "吴刚", "郑丽"):
        members.add_member(user("secretary2"), user("secretary2").branch, name=name)
    host = booking(menu_item=item("专题党课：红色家书里的初心"), start=clock.at_local(visit_day, time(9)), headcount=20)
    partner_name = user("secretary2").branch.name
    host_name = user("secretary").branch.name
    with live_server(world) as url, phone_browser() as page:
        booking_url = f"{url}/bookings/{host.id}"
        # The host's secretary finds the partner branch by typing its name and invites 12 of its members.
        login(page, url, "secretary")
        page.goto(booking_url)
        page.get_by_label("查找党支部").fill(partner_name[-5:])
        page.get_by_label("党支部", exact=True).select_option(label=f"{partner_name}（{user('secretary2').branch.organization.name}）")
        page.get_by_label("该支部参加人数").fill("12")
        with page.expect_navigation():
            page.get_by_role("button", name="邀请", exact=True).click()
        assert page.get_by_text(f"已邀请 {partner_name}（12 人）").is_visible()
        assert page.get_by_text("合计 32 人（主办 20 人，共建 12 人）").is_visible()
        assert_accessible(page)
        shot(page, "80-partner-invited")
        page.get_by_role("button", name="全选（显示的）").click()
        with page.expect_navigation():
            page.get_by_role("button", name="保存参加人员").click()
        assert page.get_by_text("参加人员已确定：2 人").is_visible()

        # The partner's secretary finds the invitation on 我的预约, accepts, and picks its own members.
        relogin(page, url, "secretary2")
        page.goto(url + "/bookings")
        assert page.get_by_text("共建邀请：待答复").is_visible()
        page.get_by_role("link", name="专题党课：红色家书里的初心").first.click()
        page.wait_for_load_state()
        assert page.get_by_text(f"{host_name}邀请贵支部 12 人").is_visible()
        assert_accessible(page)
        shot(page, "81-partner-invitation")
        with page.expect_navigation():
            page.get_by_role("button", name="接受邀请").click()
        assert page.get_by_text("已接受共建邀请").is_visible()
        page.get_by_label("周敏").check()
        page.get_by_label("吴刚").check()
        with page.expect_navigation():
            page.get_by_role("button", name="保存参加人员").click()
        assert page.get_by_text("参加人员已确定：2 人").is_visible()
        assert page.get_by_text("其他支部的参加人员（2 人）").is_visible()  # the host's part, to read only

        # On the day, the manager checks the group in and records 30 who came: 19 of the host's, 11 of the partner's.
        moment[0] = clock.at_local(visit_day, time(8, 45))
        relogin(page, url, "manager")
        page.goto(booking_url)
        with page.expect_navigation():
            page.get_by_role("button", name="确认该支部已到达").click()
        page.get_by_role("spinbutton", name="实到人数").fill("30")
        page.get_by_label(f"{host_name}（主办）").fill("19")
        page.get_by_role("spinbutton", name=partner_name).fill("11")
        assert_accessible(page)
        shot(page, "82-split-attendance")
        with page.expect_navigation():
            page.get_by_role("button", name="登记并完成").click()
        assert page.get_by_text("实到人数已登记").is_visible()
        assert page.get_by_text("实到 11 人").is_visible()

        # The partner's secretary marks who came, finds the activity in its own ledger, and its own figures.
        relogin(page, url, "secretary2")
        page.goto(booking_url)
        with page.expect_navigation():
            page.get_by_role("button", name="全部出席").click()
        assert page.get_by_text("出席 2 人，缺席 0 人").is_visible()
        page.goto(f"{url}/branches/{user('secretary2').branch_id}/records?year={visit_day.year}")
        entry = page.get_by_role("listitem").filter(has_text="红色家书")
        assert "党员出席 2 / 2 人" in entry.inner_text() and "到场 11 人" in entry.inner_text()
        assert f"共同参加：{host_name}（主办）" in entry.inner_text()
        assert_accessible(page)
        shot(page, "83-partner-ledger")
        page.goto(f"{url}/stats/?from={visit_day.isoformat()}&to={visit_day.isoformat()}&group_by=month")
        assert page.locator("#total-batches").inner_text() == "1"
        assert page.locator("#total-person-times").inner_text() == "11"
        page.get_by_text("联合活动（共建）怎么统计？").click()
        assert page.get_by_text("本支部的统计只计本支部的部分").is_visible()

        # The host's ledger has it too, with its own part; the district counts one batch of 30.
        relogin(page, url, "secretary")
        page.goto(f"{url}/branches/{user('secretary').branch_id}/records?year={visit_day.year}")
        entry = page.get_by_role("listitem").filter(has_text="红色家书")
        assert "到场 19 人" in entry.inner_text() and f"共同参加：{partner_name}" in entry.inner_text()
        relogin(page, url, "admin")
        page.goto(f"{url}/stats/?from={visit_day.isoformat()}&to={visit_day.isoformat()}&group_by=organization")
        assert page.locator("#total-batches").inner_text() == "1"
        assert page.locator("#total-person-times").inner_text() == "30"
        rows = page.locator("table tbody tr").all_inner_texts()
        assert any(user("secretary").branch.organization.name in r and "19" in r for r in rows), rows
        assert any(user("secretary2").branch.organization.name in r and "11" in r for r in rows), rows
        shot(page, "84-stats-by-organization")
