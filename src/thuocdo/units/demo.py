"""Demo step: the full unit catalogue, then the agencies of the demo province (Tỉnh Đắk Lắk by default).

Agency codes follow the national style (Decision 20/2020/QĐ-TTg: province "H15", its departments "H15.NN",
units below a department "H15.NN.NN", commune People's Committees "H15.66.NNN" in commune-code order);
the numbers are illustrative, not the official register.
Names are the post-1 July 2025 ones (merged departments). Re-running updates rather than duplicates.
"""

from __future__ import annotations

from typing import Any

from thuocdo.units import services, sources
from thuocdo.units.models import AdminUnit, Agency, ComparisonBlock

PROVINCE_PREFIX = {"66": "H15"}
OFFICE_HOURS = [["07:00", "11:30"], ["13:30", "17:00"]]

# (number, name, short name, mail box, kind, block)
DEPARTMENTS: list[tuple[int, str, str, str, str, str]] = [
    (1, "Văn phòng Ủy ban nhân dân tỉnh", "VP UBND tỉnh", "vpubnd", "department", "so-nganh"),
    (2, "Sở Nội vụ", "SNV", "snv", "department", "so-nganh"),
    (3, "Sở Tư pháp", "STP", "stp", "department", "so-nganh"),
    (4, "Sở Tài chính", "STC", "stc", "department", "so-nganh"),
    (5, "Sở Xây dựng", "SXD", "sxd", "department", "so-nganh"),
    (6, "Sở Nông nghiệp và Môi trường", "SNN&MT", "snnmt", "department", "so-nganh"),
    (7, "Sở Công Thương", "SCT", "sct", "department", "so-nganh"),
    (8, "Sở Y tế", "SYT", "syt", "department", "so-nganh"),
    (9, "Sở Giáo dục và Đào tạo", "SGDĐT", "sgddt", "department", "so-nganh"),
    (10, "Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL", "svhttdl", "department", "so-nganh"),
    (11, "Sở Khoa học và Công nghệ", "SKHCN", "skhcn", "department", "so-nganh"),
    (12, "Sở Dân tộc và Tôn giáo", "SDTTG", "sdttg", "department", "so-nganh"),
    (13, "Thanh tra tỉnh", "TTr tỉnh", "thanhtra", "department", "so-nganh"),
    (14, "Ban Quản lý các khu công nghiệp tỉnh", "BQL KCN", "bqlkcn", "department", "so-nganh"),
    (15, "Ban Quản lý Khu kinh tế Phú Yên", "BQL KKT", "bqlkkt", "department", "so-nganh"),
    (40, "Công an tỉnh", "CA tỉnh", "congan", "vertical", "nganh-doc"),
    (41, "Bảo hiểm xã hội tỉnh", "BHXH tỉnh", "bhxh", "vertical", "nganh-doc"),
    (42, "Thuế tỉnh", "Thuế tỉnh", "thue", "vertical", "nganh-doc"),
    (43, "Kho bạc Nhà nước khu vực", "KBNN KV", "kbnn", "vertical", "nganh-doc"),
    (44, "Chi cục Hải quan khu vực", "HQ KV", "haiquan", "vertical", "nganh-doc"),
]
SERVICE_CENTRE = (50, "Trung tâm Phục vụ hành chính công tỉnh", "TTPVHCC", "ttpvhcc")
# (department number, sub-number, name, short name, mail box)
PUBLIC_SERVICE_UNITS = [
    (6, 5, "Văn phòng Đăng ký đất đai", "VPĐKĐĐ", "vpdkdd"),
    (8, 5, "Bệnh viện Đa khoa tỉnh", "BVĐK tỉnh", "bvdk"),
    (8, 6, "Trung tâm Kiểm soát bệnh tật tỉnh", "CDC", "cdc"),
    (9, 5, "Trường Trung học phổ thông Chuyên Nguyễn Du", "THPT Chuyên Nguyễn Du", "c3nguyendu"),
    (9, 6, "Trường Trung học phổ thông Chuyên Lương Văn Chánh", "THPT Chuyên LVC", "c3luongvanchanh"),
]


def build(ctx: Any) -> None:
    """Load every administrative unit, then the demo province's agency tree."""
    report = services.load_units(actor="demo")
    ctx.say(
        f"  đơn vị hành chính: {report.created} mới, {report.unchanged + report.updated} đã có; "
        f"{report.lineage_created} quan hệ kế thừa mới"
    )
    build_agencies(ctx)


def build_agencies(ctx: Any) -> None:
    """The demo province's agencies (units must be loaded); re-running updates rather than duplicates."""
    province = AdminUnit.objects.get(
        structure=sources.CURRENT, level=sources.PROVINCE, code=ctx.province_code
    )
    prefix = PROVINCE_PREFIX.get(ctx.province_code, f"P{ctx.province_code}")
    domain = f"{province.search_short.replace(' ', '')}.gov.vn"
    area_code = "0262" if ctx.province_code == "66" else "02xx"
    blocks = {b.code: b for b in ComparisonBlock.objects.all()}
    in_province = _lower_first(province.name)
    centre_address = f"phường Buôn Ma Thuột, {in_province}" if ctx.province_code == "66" else in_province
    rng = ctx.rng
    made: list[Agency] = []

    def phone() -> str:
        return f"{area_code} {rng.randint(3_800_000, 3_899_999)}"

    def upsert(code: str, **values: Any) -> Agency:
        values.setdefault("office_hours", OFFICE_HOURS)
        existing = Agency.objects.filter(code=code).first()
        if existing is None:
            agency = services.create_agency(actor="demo", code=code, **values)
        else:
            changes = {k: v for k, v in values.items() if getattr(existing, k) != v}
            agency = services.update_agency(actor="demo", agency=existing, **changes) if changes else existing
        made.append(agency)
        return agency

    committee = upsert(
        prefix,
        name=f"Ủy ban nhân dân {in_province}",
        short_name="UBND tỉnh",
        kind=Agency.Kind.PROVINCE_COMMITTEE,
        admin_unit=province,
        block=None,
        phone=phone(),
        email=f"ubnd@{domain}",
        address=centre_address,
    )
    departments: dict[int, Agency] = {}
    for number, name, short, box, kind, block in DEPARTMENTS:
        departments[number] = upsert(
            f"{prefix}.{number:02d}",
            name=name,
            short_name=short,
            kind=kind,
            parent=committee if kind == Agency.Kind.DEPARTMENT else None,
            admin_unit=province,
            block=blocks.get(block),
            phone=phone(),
            email=f"{box}@{domain}",
            address=centre_address,
        )
    number, name, short, box = SERVICE_CENTRE
    upsert(
        f"{prefix}.{number:02d}",
        name=name,
        short_name=short,
        kind=Agency.Kind.SERVICE_CENTRE,
        parent=committee,
        admin_unit=province,
        block=blocks.get("trung-tam-phvhc"),
        phone=phone(),
        email=f"{box}@{domain}",
        address=centre_address,
    )
    for parent_number, sub, name, short, box in PUBLIC_SERVICE_UNITS:
        upsert(
            f"{prefix}.{parent_number:02d}.{sub:02d}",
            name=name,
            short_name=short,
            kind=Agency.Kind.PUBLIC_SERVICE_UNIT,
            parent=departments[parent_number],
            admin_unit=province,
            block=blocks.get("don-vi-su-nghiep"),
            phone=phone(),
            email=f"{box}@{domain}",
            address=centre_address,
        )
    communes = AdminUnit.objects.filter(parent=province).order_by("code")
    for index, commune in enumerate(communes, start=1):
        kind_word = commune.division_type.lower() or "xã"
        upsert(
            f"{prefix}.{ctx.province_code}.{index:03d}",
            name=f"Ủy ban nhân dân {kind_word} {commune.short_name}",
            short_name=f"UBND {kind_word} {commune.short_name}"[:80],
            kind=Agency.Kind.COMMUNE_COMMITTEE,
            parent=committee,
            admin_unit=commune,
            block=blocks.get("xa-phuong"),
            phone=phone(),
            email=f"ubnd.{commune.search_short.replace(' ', '').replace(chr(39), '')}@{domain}",
            address=f"{_lower_first(commune.name)}, {in_province}",
        )
    ctx.say(f"  cơ quan, đơn vị của {province.name}: {len(made)} ({communes.count()} UBND cấp xã)")


def _lower_first(text: str) -> str:
    # "Tỉnh Đắk Lắk" reads "tỉnh Đắk Lắk" inside a sentence or an address.
    return text[:1].lower() + text[1:]
