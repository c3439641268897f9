import hashlib
import json
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from thuocdo.core.feedback import Event, State
from thuocdo.feedback import services
from thuocdo.feedback.models import FeedbackCategory, Open311Client, RoutingRule, Submission
from thuocdo.units.models import AdminUnit, Agency

ICT = timezone(timedelta(hours=7))
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=ICT)
pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    province = AdminUnit.objects.create(code="66", name="Tỉnh Đắk Lắk", level="province", structure="2025")
    province.path = f"/{province.pk}/"
    province.save()
    commune = AdminUnit.objects.create(
        code="24123", name="Phường Buôn Ma Thuột", level="commune", structure="2025", parent=province
    )
    commune.path = f"{province.path}{commune.pk}/"
    commune.save()
    dept = Agency.objects.create(
        code="H15.50", name="Sở Tư pháp", search_name="so tu phap", kind="department", admin_unit=province
    )
    ward = Agency.objects.create(
        code="H15.50.01", name="UBND phường Buôn Ma Thuột", kind="commune_committee", admin_unit=commune
    )
    procedures = FeedbackCategory.objects.create(
        code="thu-tuc", name="Thủ tục hành chính", classification="regulation"
    )
    conduct = FeedbackCategory.objects.create(code="can-bo", name="Thái độ cán bộ", classification="conduct")
    RoutingRule.objects.create(category=procedures, agency=dept)
    RoutingRule.objects.create(category=procedures, admin_unit=commune, agency=ward)
    RoutingRule.objects.create(category=None, agency=dept)
    return {
        "province": province,
        "commune": commune,
        "dept": dept,
        "ward": ward,
        "procedures": procedures,
        "conduct": conduct,
    }


def submit(world, now=MONDAY, **kw):
    data = {
        "title": "Trễ hẹn trả kết quả",
        "body": "Hồ sơ đăng ký khai sinh của tôi bị trễ hẹn ba ngày.",
        "category": world["procedures"],
    }
    data.update(kw)
    return services.submit_feedback(data=services.NewSubmission(**data), now=now)


class TestSubmission:
    def test_a_submission_gets_a_tracking_code_and_working_day_deadlines(self, world):
        s = submit(world)
        assert s.tracking_code.startswith("PA2603-") and len(s.tracking_code) == 13
        assert s.state == State.RECEIVED
        # 15 working days of office time from Monday 2 March 2026 09:00 end on Monday 23 March 09:00.
        assert s.handle_by.astimezone(ICT) == datetime(2026, 3, 23, 9, 0, tzinfo=ICT)
        assert s.refuse_by.astimezone(ICT) == datetime(2026, 3, 4, 9, 0, tzinfo=ICT)

    def test_routing_picks_the_most_specific_rule(self, world):
        assert submit(world, admin_unit=world["commune"]).agency == world["ward"]
        assert submit(world, title="Khác", admin_unit=world["province"]).agency == world["dept"]
        assert (
            submit(world, title="Cán bộ", category=world["conduct"]).agency == world["dept"]
        )  # the catch-all rule

    def test_same_text_within_a_day_is_marked_duplicate(self, world):
        first = submit(world)
        again = submit(world, now=MONDAY + timedelta(hours=3))
        later = submit(world, now=MONDAY + timedelta(days=2))
        assert again.duplicate_of == first
        assert later.duplicate_of is None

    def test_a_flood_from_one_contact_is_refused(self, world):
        for i in range(5):
            submit(
                world, title=f"Phản ánh {i}", contact_phone="0912345678", now=MONDAY + timedelta(minutes=i)
            )
        with pytest.raises(services.RateLimited):
            submit(
                world, title="Lần thứ sáu", contact_phone="0912 345 678", now=MONDAY + timedelta(minutes=10)
            )

    def test_attachments_of_the_wrong_type_or_size_are_refused_by_name(self, world):
        exe = SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/octet-stream")
        with pytest.raises(services.FeedbackError, match=r"virus\.exe"):
            submit(world, attachments=[exe])
        fake = SimpleUploadedFile("anh.png", b"not a png", content_type="image/png")
        with pytest.raises(services.FeedbackError, match="không khớp"):
            submit(world, attachments=[fake])
        assert Submission.objects.count() == 0

    def test_transfer_restarts_the_handling_clock_and_keeps_history(self, world):
        s = submit(world)
        later = MONDAY + timedelta(days=3)
        services.transition_submission(
            submission=s, event=Event.TRANSFER, now=later, to_agency=world["ward"], note="Đúng thẩm quyền xã"
        )
        s.refresh_from_db()
        assert s.agency == world["ward"]
        assert s.handle_by.astimezone(ICT) == datetime(2026, 3, 26, 9, 0, tzinfo=ICT)
        event = s.events.get()
        assert (event.from_agency, event.to_agency) == (world["dept"], world["ward"])

    def test_answer_is_redacted_for_publication_and_publishing_is_audited(self, world):
        from thuocdo.audit.models import AuditEntry

        s = submit(world)
        services.transition_submission(submission=s, event=Event.ACCEPT, now=MONDAY + timedelta(hours=1))
        services.transition_submission(
            submission=s,
            event=Event.ANSWER,
            now=MONDAY + timedelta(days=2),
            answer="Đã liên hệ ông Nguyễn Văn Bình qua số 0912345678 và trả kết quả.",
        )
        assert "0912345678" not in s.answer_public and "Nguyễn Văn Bình" not in s.answer_public
        services.transition_submission(submission=s, event=Event.PUBLISH, now=MONDAY + timedelta(days=3))
        assert s.state == State.PUBLISHED
        assert AuditEntry.objects.filter(action="feedback.publish", object_id=str(s.pk)).exists()

    def test_an_unsatisfied_citizen_reopens_the_case(self, world):
        s = submit(world)
        for event, days in ((Event.ACCEPT, 0), (Event.ANSWER, 1), (Event.PUBLISH, 2)):
            services.transition_submission(
                submission=s, event=event, now=MONDAY + timedelta(days=days, hours=1), answer="Đã xử lý xong."
            )
        services.rate_answer(submission=s, liked=False)
        services.reraise_submission(
            submission=s, reason="Vẫn chưa nhận được kết quả.", now=MONDAY + timedelta(days=4)
        )
        s.refresh_from_db()
        assert (s.state, s.reraised, s.dislikes) == (State.REOPENED, True, 1)


class TestPublicPages:
    def test_citizen_submits_from_the_web_form_and_sees_the_status_page(self, world, client):
        response = client.post(
            "/phan-anh/gui/",
            {
                "category": world["procedures"].pk,
                "title": "Chờ lâu tại một cửa",
                "body": "Tôi phải chờ hơn hai giờ để nộp hồ sơ.",
                "anonymous": "on",
                "contact_phone": "0912345678",
            },
            follow=True,
        )
        assert response.status_code == 200
        s = Submission.objects.get()
        assert s.contact_phone == ""  # anonymous wins over a typed number
        page = response.content.decode()
        assert s.tracking_code in page and "Mới tiếp nhận" in page

    def test_form_errors_name_the_field(self, world, client):
        response = client.post(
            "/phan-anh/gui/", {"category": world["procedures"].pk, "title": "", "body": "ngắn"}
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "is-invalid" in page or "invalid-feedback" in page
        assert Submission.objects.count() == 0

    def test_tracking_lookup_is_forgiving_about_case_and_spaces(self, world, client):
        s = submit(world)
        response = client.get("/phan-anh/tra-cuu/", {"code": " " + s.tracking_code.lower() + " "})
        assert response.status_code == 302 and response["Location"].endswith(f"/phan-anh/{s.tracking_code}/")

    def test_status_page_never_shows_contact_details(self, world, client):
        s = submit(
            world, contact_name="Lê Thị Hoa", contact_phone="0987654321", contact_email="hoa@example.vn"
        )
        page = client.get(f"/phan-anh/{s.tracking_code}/").content.decode()
        for secret in ("Lê Thị Hoa", "0987654321", "hoa@example.vn"):
            assert secret not in page


def open311_key():
    raw = "khoa-thu-nghiem"
    Open311Client.objects.create(name="Ứng dụng thử", key_hash=hashlib.sha256(raw.encode()).hexdigest())
    return raw


class TestOpen311:
    def test_services_are_listed_in_json_and_xml(self, world, client):
        services_json = client.get("/open311/v2/services.json").json()
        assert {s["service_code"] for s in services_json} == {"thu-tuc", "can-bo"}
        xml = ET.fromstring(client.get("/open311/v2/services.xml").content)
        assert xml.tag == "services" and len(xml.findall("service")) == 2

    def test_a_client_files_and_follows_a_request(self, world, client):
        key = open311_key()
        created = client.post(
            "/open311/v2/requests.json",
            {
                "api_key": key,
                "service_code": "thu-tuc",
                "lat": "12.67",
                "long": "108.04",
                "description": "Không được hướng dẫn đầy đủ khi nộp hồ sơ",
            },
        )
        assert created.status_code == 201
        request_id = created.json()[0]["service_request_id"]
        detail = client.get(f"/open311/v2/requests/{request_id}.json").json()[0]
        assert detail["status"] == "open" and detail["service_code"] == "thu-tuc"
        assert Submission.objects.get().channel == "open311"

    @pytest.mark.parametrize(
        ("params", "status", "text"),
        [
            ({"service_code": "thu-tuc", "lat": "1", "long": "2", "description": "x"}, 403, "api_key"),
            (
                {"api_key": "sai", "service_code": "thu-tuc", "lat": "1", "long": "2", "description": "x"},
                403,
                "api_key",
            ),
            ({"api_key": "KEY", "lat": "1", "long": "2", "description": "x"}, 400, "service_code"),
            (
                {"api_key": "KEY", "service_code": "khong-co", "lat": "1", "long": "2", "description": "x"},
                404,
                "khong-co",
            ),
            ({"api_key": "KEY", "service_code": "thu-tuc", "description": "x"}, 400, "location"),
            (
                {"api_key": "KEY", "service_code": "thu-tuc", "lat": "a", "long": "2", "description": "x"},
                400,
                "lat",
            ),
        ],
    )
    def test_bad_requests_get_the_specified_error_body(self, world, client, params, status, text):
        key = open311_key()
        params = {k: (key if v == "KEY" else v) for k, v in params.items()}
        response = client.post("/open311/v2/requests.json", params)
        assert response.status_code == status
        body = response.json()
        assert body[0]["code"] == status and text in body[0]["description"]
        xml = client.post("/open311/v2/requests.xml", params)
        error = ET.fromstring(xml.content).find("error")
        assert xml.status_code == status and error.findtext("code") == str(status)
        assert Submission.objects.count() == 0

    def test_discovery_names_the_endpoint(self, client):
        body = json.loads(client.get("/open311/v2/discovery.json").content)
        assert body["endpoints"][0]["url"].endswith("/open311/v2/")


class TestStaffHandling:
    def make_officer(self, world, agency):
        from thuocdo.accounts.models import RoleAssignment, User

        user = User.objects.create_user("canbo", password="mat-khau-rat-dai-123")
        RoleAssignment.objects.create(user=user, role="officer", agency=agency)
        return user

    def test_an_officer_answers_and_publishes_from_the_work_list(self, world, client):
        world["dept"].path = f"/{world['dept'].pk}/"
        world["dept"].save()
        s = submit(world)
        client.force_login(self.make_officer(world, world["dept"]))
        listing = client.get("/phan-anh/quan-ly/").content.decode()
        assert s.tracking_code in listing
        url = f"/phan-anh/quan-ly/{s.tracking_code}/"
        assert client.post(url, {"event": "accept"}).status_code == 302
        client.post(
            url, {"event": "answer", "answer": "Đã gọi cho bà Trần Thị Mai số 0905123456 để hẹn trả kết quả."}
        )
        s.refresh_from_db()
        assert s.state == State.AWAITING_PUBLICATION and "0905123456" not in s.answer_public
        client.post(url, {"event": "publish", "answer_public": s.answer_public})
        s.refresh_from_db()
        assert s.state == State.PUBLISHED
        public = client.get(f"/phan-anh/{s.tracking_code}/").content.decode()
        assert "Kết quả trả lời" in public and "0905123456" not in public

    def test_an_event_the_state_does_not_allow_is_refused_with_a_message(self, world, client):
        world["dept"].path = f"/{world['dept'].pk}/"
        world["dept"].save()
        s = submit(world)
        client.force_login(self.make_officer(world, world["dept"]))
        response = client.post(f"/phan-anh/quan-ly/{s.tracking_code}/", {"event": "publish"})
        assert response.status_code == 200
        s.refresh_from_db()
        assert s.state == State.RECEIVED

    def test_an_officer_of_another_agency_gets_not_found(self, world, client):
        for a in (world["dept"], world["ward"]):
            a.path = f"/{a.pk}/"
            a.save()
        s = submit(world)  # routed to the department
        client.force_login(self.make_officer(world, world["ward"]))
        assert client.get(f"/phan-anh/quan-ly/{s.tracking_code}/").status_code == 404
        assert s.tracking_code not in client.get("/phan-anh/quan-ly/").content.decode()


class TestIndicatorsAndEscalation:
    def test_indicator_tallies_for_the_766_engine(self, world):
        from thuocdo.feedback.selectors import indicator_tallies

        on_time = submit(world, title="A")
        services.transition_submission(
            submission=on_time, event=Event.ACCEPT, now=MONDAY + timedelta(hours=1)
        )
        services.transition_submission(
            submission=on_time, event=Event.ANSWER, now=MONDAY + timedelta(days=3), answer="Đã xử lý."
        )
        services.transition_submission(
            submission=on_time, event=Event.PUBLISH, now=MONDAY + timedelta(days=4)
        )
        services.rate_answer(submission=on_time, liked=True)
        disliked = submit(world, title="B", category=world["conduct"])
        services.transition_submission(
            submission=disliked, event=Event.ACCEPT, now=MONDAY + timedelta(hours=1)
        )
        services.transition_submission(
            submission=disliked, event=Event.ANSWER, now=MONDAY + timedelta(days=2), answer="Đã nhắc nhở."
        )
        services.transition_submission(
            submission=disliked, event=Event.PUBLISH, now=MONDAY + timedelta(days=2, hours=2)
        )
        services.rate_answer(submission=disliked, liked=False)
        submit(
            world, title="C", category=FeedbackCategory.objects.create(code="khac", name="Khác")
        )  # still open, overdue by May
        tallies = indicator_tallies(
            agencies=Agency.objects.all(),
            start=MONDAY - timedelta(days=1),
            end=MONDAY + timedelta(days=30),
            as_of=datetime(2026, 5, 1, tzinfo=ICT),
        )
        assert tallies["5.1"] == (2, 3)
        assert tallies["5.2"] == (2, 3)
        assert tallies["5.3"] == (1, 3)

    def test_heads_are_emailed_once_about_submissions_near_their_deadline(self, world, mailoutbox):
        from thuocdo.accounts.models import RoleAssignment, User

        head = User.objects.create_user("thutruong", email="giamdoc@sotuphap.vn", password="x" * 12)
        RoleAssignment.objects.create(user=head, role="agency_head", agency=world["dept"])
        s = submit(world)
        mailoutbox.clear()  # the acknowledgement to the citizen, if any
        assert services.escalate_at_risk(now=s.handle_by - timedelta(days=1)) == 1
        assert mailoutbox[-1].to == ["giamdoc@sotuphap.vn"] and s.tracking_code in mailoutbox[-1].body
        assert services.escalate_at_risk(now=s.handle_by - timedelta(hours=12)) == 0


def test_names_without_an_honorific_are_redacted_by_the_recogniser(world):
    s = submit(world)
    services.transition_submission(submission=s, event=Event.ACCEPT, now=MONDAY)
    services.transition_submission(
        submission=s,
        event=Event.ANSWER,
        now=MONDAY + timedelta(days=1),
        answer="Cán bộ Lê Văn Hùng đã trả kết quả cho công dân Trần Thị Mai tại phường Ea Kao.",
    )
    assert "Lê Văn Hùng" not in s.answer_public and "Trần Thị Mai" not in s.answer_public
    assert "phường Ea Kao" in s.answer_public  # places are not personal data


def test_a_poor_dossier_rating_opens_one_service_recovery_case(world):
    first = services.open_service_recovery_case(
        dossier_code="H15.50-260302-0001",
        agency=world["ward"],
        rating_label="Không hài lòng",
        comment="Phải đi lại ba lần",
        now=MONDAY,
    )
    again = services.open_service_recovery_case(
        dossier_code="H15.50-260302-0001",
        agency=world["ward"],
        rating_label="Không hài lòng",
        comment="",
        now=MONDAY,
    )
    assert first.pk == again.pk
    assert first.channel == "service_recovery" and first.agency == world["ward"]
    assert "Phải đi lại ba lần" in first.body


def test_citizens_name_the_agency_in_words_not_codes(world, client):
    client.post(
        "/phan-anh/gui/",
        {
            "category": world["conduct"].pk,
            "agency_code": "so tu phap",
            "title": "Cán bộ chậm",
            "body": "Cán bộ trả lời chậm và thiếu lịch sự.",
        },
    )
    assert Submission.objects.get().agency == world["dept"]


def test_counter_staff_log_a_call_and_read_the_tracking_code_back(world, client):
    from thuocdo.accounts.models import RoleAssignment, User

    world["ward"].path = f"/{world['ward'].pk}/"
    world["ward"].save()
    staff = User.objects.create_user("motcua", password="x" * 12)
    RoleAssignment.objects.create(user=staff, role="counter_staff", agency=world["ward"])
    client.force_login(staff)
    response = client.post(
        "/phan-anh/quan-ly/tiep-nhan/",
        {
            "channel": "hotline",
            "category": world["procedures"].pk,
            "title": "Gọi điện phản ánh",
            "body": "Người dân gọi đường dây nóng báo trễ hẹn.",
        },
        follow=True,
    )
    s = Submission.objects.get()
    assert s.channel == "hotline"
    assert f"Mã tra cứu cho người dân: {s.tracking_code}" in response.content.decode()


def test_citizens_cannot_use_the_staff_intake(world, client):
    assert client.get("/phan-anh/quan-ly/tiep-nhan/").status_code == 302  # to the login page


def test_the_web_form_takes_a_procedure_by_name_and_a_map_point(world, client):
    from thuocdo.catalog.models import Procedure, ProcedureField

    field = ProcedureField.objects.create(code="HT", name="Hộ tịch")
    proc = Procedure.objects.create(code="1.001193", name="Đăng ký khai sinh", field=field)
    client.post(
        "/phan-anh/gui/",
        {
            "category": world["procedures"].pk,
            "procedure": "dang ky khai sinh",
            "latitude": "12.6667",
            "longitude": "108.05",
            "title": "Trễ hẹn khai sinh",
            "body": "Hồ sơ khai sinh của con tôi trễ hẹn.",
        },
    )
    s = Submission.objects.get()
    assert s.procedure == proc and (s.latitude, s.longitude) == (12.6667, 108.05)


def test_half_a_map_point_is_refused_naming_the_field(world, client):
    page = client.post(
        "/phan-anh/gui/",
        {
            "category": world["procedures"].pk,
            "latitude": "12.6",
            "title": "Vị trí",
            "body": "Thiếu kinh độ trong phản ánh.",
        },
    ).content.decode()
    assert "Cần cả vĩ độ và kinh độ" in page and Submission.objects.count() == 0
