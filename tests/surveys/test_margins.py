"""Population margins on the campaign page: entry, file errors by row and field, raked estimates beside the others."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from thuocdo.audit.models import AuditEntry
from thuocdo.core.estimation import Design, estimate_indices
from thuocdo.surveys import selectors, services
from thuocdo.surveys.models import PopulationMargin, Response, Stratum

from .conftest import TODAY, full_sheet, make_user

pytestmark = pytest.mark.django_db

MARGINS_CSV = (
    "variable,category,population\ngender,1,4800\ngender,2,5200\nstratum,S.TP,3000\nstratum,X.BMT,7000\n"
)


@pytest.fixture
def answered(campaign, world):
    """Men answer 5 and women 2 at the department; at the ward, everyone answers 4. Women are under-sampled."""
    for code, name, population in [
        ("S.TP", "Sở Tư pháp", 3000),
        ("X.BMT", "UBND phường Buôn Ma Thuột", 7000),
    ]:
        Stratum.objects.create(campaign=campaign, code=code, name=name, population=population)
    plan = [("S.TP", "1", 5)] * 8 + [("S.TP", "2", 2)] * 2 + [("X.BMT", "1", 4)] * 6 + [("X.BMT", "2", 4)] * 4
    for stratum, gender, value in plan:
        services.submit_response(
            campaign=campaign, channel="open", raw={**full_sheet(value), "gender": gender}, today=TODAY,
            stratum=stratum,
        )  # fmt: skip
    return campaign


@pytest.fixture
def manager(client):
    client.force_login(make_user("phan-tich", superuser=True))
    return client


def post_margins(client, campaign, **data):
    return client.post(
        reverse("surveys:campaign_action", args=[campaign.slug]), {"action": "margins", **data}, follow=True
    )


def test_margins_typed_on_the_page_are_stored_shown_and_audited(manager, answered):
    page = post_margins(manager, answered, margins_text=MARGINS_CSV)
    html = page.content.decode()
    assert "Đã ghi 4 nhóm tổng thể biên." in html
    assert selectors.campaign_margins(answered) == {
        "gender": {"1": 4800.0, "2": 5200.0},
        "stratum": {"S.TP": 3000.0, "X.BMT": 7000.0},
    }
    table = html.split('id="bang-tong-the-bien"')[1].split("</table>")[0]
    assert "5.200" in table and "X.BMT" in table
    # Read back in the questionnaire's words, the codes beside them.
    assert "Giới tính <code>gender</code>" in table and "Nữ <code>2</code>" in table
    entry = AuditEntry.objects.get(action="surveys.campaign.margins")
    assert entry.data["from"] == {} and entry.data["to"]["gender"] == {"1": 4800.0, "2": 5200.0}
    # The box shows what is stored, and emptying it removes the margins (audited too).
    assert "gender,2,5200" in html
    cleared = post_margins(manager, answered, margins_text="")
    assert "Đã bỏ tổng thể biên" in cleared.content.decode() and not PopulationMargin.objects.exists()
    assert AuditEntry.objects.filter(action="surveys.campaign.margins").count() == 2


def test_uploaded_file_errors_name_row_and_field_and_store_nothing(manager, answered):
    bad = (
        "Biến,Nhóm,Số người\n"
        "gender,1,4800\n"
        "tuoi,1,100\n"
        "gender,9,100\n"
        "gender,2,12.5\n"
        "gender,1,300\n"
        "age_group,Dưới 25 tuổi,1.200\n"
    )
    page = post_margins(
        manager,
        answered,
        margins_file=SimpleUploadedFile("tong-the.csv", bad.encode(), content_type="text/csv"),
    )
    html = page.content.decode()
    assert "tong-the.csv, dòng 3, cột «variable»: biến «tuoi» không dùng được" in html
    assert "tong-the.csv, dòng 4, cột «category»: nhóm «9» không có trong biến «gender»" in html
    assert "tong-the.csv, dòng 5, cột «population»: số người «12.5» phải là số nguyên dương" in html
    assert "tong-the.csv, dòng 6, cột «category»: nhóm «1» của biến «gender» đã có ở dòng 2" in html
    assert "dòng 7" not in html  # an option's label is accepted for its code, and 1.200 is 1200
    assert not PopulationMargin.objects.exists()
    assert not AuditEntry.objects.filter(action="surveys.campaign.margins").exists()


def test_a_file_without_the_columns_says_which_are_missing(manager, answered):
    page = post_margins(
        manager, answered, margins_file=SimpleUploadedFile("x.csv", b"a,b\n1,2\n", content_type="text/csv")
    )
    assert "x.csv, dòng 1, cột «population»: thiếu cột bắt buộc" in page.content.decode()


def test_raked_estimates_are_the_core_functions_result_on_the_same_data(answered):
    rows_in = [
        PopulationMargin(campaign=answered, variable=v, category=c, population=n)
        for v, c, n in [("gender", "1", 4800), ("gender", "2", 5200), ("stratum", "S.TP", 3000), ("stratum", "X.BMT", 7000)]
    ]  # fmt: skip
    PopulationMargin.objects.bulk_create(rows_in)
    result = selectors.calibrated_results(answered)
    assert result.raking_problem == "" and result.designed

    population = {"S.TP": 3000, "X.BMT": 7000}
    rows = [
        {
            **r.answers,
            "gender": str(r.demographics["gender"]),
            "stratum": r.stratum,
            "fpc": population[r.stratum],
        }
        for r in Response.objects.all()
    ]
    margins = {"gender": {"1": 4800.0, "2": 5200.0}, "stratum": {"S.TP": 3000.0, "X.BMT": 7000.0}}
    expected = estimate_indices(
        answered.instrument.instrument, rows, design=Design(stratum="stratum", fpc="fpc"), margins=margins,
        min_n=answered.min_cell,
    )  # fmt: skip
    assert result.raked.calibrated
    assert result.raked.all.overall.estimate == pytest.approx(expected.all.overall.estimate, rel=1e-9)
    assert result.raked.all.overall.se == pytest.approx(expected.all.overall.se, rel=1e-9)
    for code, estimate in expected.all.factors.items():
        got = result.raked.all.factors[code]
        assert (got.n, got.suppressed) == (estimate.n, estimate.suppressed)
        if estimate.estimate is not None:
            assert got.estimate == pytest.approx(estimate.estimate, rel=1e-9)
    # Raking to more women (who were less satisfied at the department) lowers the index.
    assert result.raked.all.overall.estimate < result.weighted.all.overall.estimate


def test_page_shows_unweighted_design_weighted_and_raked_side_by_side(manager, answered):
    post_margins(manager, answered, margins_text=MARGINS_CSV)
    html = manager.get(reverse("surveys:campaign", args=[answered.slug])).content.decode()
    table = html.split('id="bang-hieu-chinh"')[1].split("</table>")[0]
    assert "Không trọng số" in table and "Theo trọng số thiết kế" in table
    assert "Hiệu chỉnh theo tổng thể biên" in table
    result = selectors.calibrated_results(answered)
    overall = table.split("Chỉ số chung</th>")[1].split("</tr>")[0]
    figures = [
        f"{e.all.overall.estimate:.1f}".replace(".", ",") + "%"
        for e in (result.unweighted, result.weighted, result.raked)
    ]
    assert len(set(figures)) == 3  # the three ways differ on this sample
    for figure in figures:
        assert figure in overall
    assert "raking" in html


def test_a_category_without_respondents_is_a_clear_message_not_a_crash(manager, answered):
    post_margins(
        manager,
        answered,
        margins_text="variable,category,population\ngender,1,4800\ngender,2,5000\ngender,3,200\n",
    )
    page = manager.get(reverse("surveys:campaign", args=[answered.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Không tính được kết quả hiệu chỉnh" in html
    assert "nhóm «Khác / không muốn trả lời»: không có phiếu trả lời nào" in html
    assert selectors.calibrated_results(answered).raked is None


def test_respondents_outside_the_margins_or_without_an_answer_are_named(answered):
    PopulationMargin.objects.create(campaign=answered, variable="gender", category="1", population=10)
    problem = selectors.calibrated_results(answered).raking_problem
    assert "nhóm «Nữ» có 6 phiếu nhưng không có trong tổng thể biên" in problem
    PopulationMargin.objects.all().delete()
    PopulationMargin.objects.create(campaign=answered, variable="age_group", category="1", population=10)
    problem = selectors.calibrated_results(answered).raking_problem
    assert "Biến «Nhóm tuổi»: 20 phiếu không trả lời câu này" in problem


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_analyst_enters_margins_on_a_phone_and_sees_raked_results(page, live_server, answered):
    from tests.conftest import ARTIFACTS, assert_accessible, log_in

    make_user("phan-tich", superuser=True)
    log_in(page, live_server.url, "phan-tich", "mật-khẩu-dài-1234")
    page.goto(f"{live_server.url}/khao-sat/quan-ly/{answered.slug}/")
    page.get_by_label("Tổng thể biên (CSV: variable, category, population)").fill(MARGINS_CSV)
    page.get_by_role("button", name="Ghi tổng thể biên").click()
    page.get_by_text("Đã ghi 4 nhóm tổng thể biên.").wait_for()
    row = page.locator("#bang-hieu-chinh tr", has_text="Chỉ số chung")
    assert row.locator("td").count() == 3 and "%" in row.locator("td").nth(2).inner_text()
    assert_accessible(page)
    page.locator("#hieu-chinh").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "campaign_margins.png"), full_page=True)
