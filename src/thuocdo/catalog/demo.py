"""Demo step: about 150 common provincial and commune procedures, assigned to the demo province's agencies.

Names and time limits follow those the national TTHC database publishes; codes are illustrative
("1.00xxxx"/"2.00xxxx" in the national style), not the official register. Provincial procedures go to
the department whose name matches the field; commune procedures to every commune People's Committee.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q

from thuocdo.audit.services import record_change
from thuocdo.catalog.models import Procedure
from thuocdo.catalog.services import ProcedureRecord, save_procedures
from thuocdo.core.text import fold
from thuocdo.core.timelimit import parse_time_limit
from thuocdo.units.models import AdminUnit, Agency

T, X, TX = "T", "X", "TX"  # province, commune, both
FULL, PART, NONE = "full", "partial", "none"

# field code → (field name, keywords of the implementing department's folded name, citizens are the subjects)
FIELDS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "HOTICH": ("Hộ tịch", ("tu phap",), True),
    "CHUNGTHUC": ("Chứng thực", ("tu phap",), True),
    "LLTP": ("Lý lịch tư pháp", ("tu phap",), True),
    "BOTROTP": ("Bổ trợ tư pháp", ("tu phap",), False),
    "DATDAI": ("Đất đai", ("nong nghiep va moi truong", "tai nguyen"), True),
    "MOITRUONG": ("Môi trường", ("nong nghiep va moi truong", "tai nguyen"), False),
    "NONGNGHIEP": ("Nông nghiệp", ("nong nghiep",), False),
    "XAYDUNG": ("Hoạt động xây dựng", ("xay dung",), True),
    "DUONGBO": ("Đường bộ", ("xay dung", "giao thong"), True),
    "HKD": ("Thành lập và hoạt động của hộ kinh doanh", ("tai chinh", "ke hoach"), True),
    "DOANHNGHIEP": ("Thành lập và hoạt động của doanh nghiệp", ("tai chinh", "ke hoach"), False),
    "DAUTU": ("Đầu tư tại Việt Nam", ("tai chinh", "ke hoach"), False),
    "NCC": ("Người có công", ("noi vu",), True),
    "BTXH": ("Bảo trợ xã hội", ("y te",), True),
    "GIAODUC": ("Giáo dục và Đào tạo", ("giao duc",), True),
    "YTE": ("Y tế", ("y te",), True),
    "CONGTHUONG": ("Công Thương", ("cong thuong",), False),
    "VANHOA": ("Văn hóa, Thể thao và Du lịch", ("van hoa",), True),
    "NOIVU": ("Nội vụ", ("noi vu",), True),
    "LAODONG": ("Lao động, việc làm", ("noi vu",), True),
    "KHCN": ("Khoa học và Công nghệ", ("khoa hoc",), False),
}

# (field code, name, levels, time limit as the national database writes it, fee-bearing, online level)
# fmt: off
PROCEDURES: list[tuple[str, str, str, str, bool, str]] = [
    ("HOTICH", "Đăng ký khai sinh", X, "Trong ngày làm việc", False, FULL),
    ("HOTICH", "Đăng ký kết hôn", X, "Ngay trong ngày tiếp nhận hồ sơ; trường hợp cần xác minh thì không quá 05 ngày làm việc", False, PART),
    ("HOTICH", "Đăng ký khai tử", X, "Trong ngày làm việc", False, FULL),
    ("HOTICH", "Đăng ký nhận cha, mẹ, con", X, "03 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ", True, NONE),
    ("HOTICH", "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch", X, "03 ngày làm việc", True, FULL),
    ("HOTICH", "Cấp Giấy xác nhận tình trạng hôn nhân", X, "03 ngày làm việc", True, FULL),
    ("HOTICH", "Cấp bản sao trích lục hộ tịch", X, "Trong ngày làm việc", True, FULL),
    ("HOTICH", "Đăng ký khai sinh có yếu tố nước ngoài", X, "03 ngày làm việc", True, PART),
    ("HOTICH", "Đăng ký kết hôn có yếu tố nước ngoài", X, "10 ngày làm việc", True, NONE),
    ("HOTICH", "Đăng ký giám hộ", X, "03 ngày làm việc", False, NONE),
    ("HOTICH", "Đăng ký lại khai sinh", X, "05 ngày làm việc", False, NONE),
    ("HOTICH", "Liên thông thủ tục hành chính về đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi", X, "05 ngày làm việc", False, FULL),
    ("HOTICH", "Ghi vào Sổ hộ tịch việc hộ tịch của công dân Việt Nam đã được giải quyết tại cơ quan có thẩm quyền của nước ngoài", X, "05 ngày làm việc", True, NONE),
    ("CHUNGTHUC", "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền của Việt Nam cấp", X, "Trong ngày cơ quan tiếp nhận yêu cầu hoặc trong ngày làm việc tiếp theo nếu tiếp nhận yêu cầu sau 15 giờ", True, PART),
    ("CHUNGTHUC", "Chứng thực chữ ký trong các giấy tờ, văn bản", X, "Trong ngày làm việc", True, NONE),
    ("CHUNGTHUC", "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản, quyền sử dụng đất và nhà ở", X, "02 ngày làm việc", True, NONE),
    ("CHUNGTHUC", "Chứng thực văn bản thỏa thuận phân chia di sản", X, "02 ngày làm việc", True, NONE),
    ("CHUNGTHUC", "Chứng thực việc sửa đổi, bổ sung, hủy bỏ hợp đồng, giao dịch", X, "02 ngày làm việc", True, NONE),
    ("CHUNGTHUC", "Cấp bản sao có chứng thực từ bản chính hợp đồng, giao dịch đã được chứng thực", X, "Trong ngày làm việc", True, NONE),
    ("CHUNGTHUC", "Chứng thực chữ ký người dịch mà người dịch là cộng tác viên dịch thuật", T, "Trong ngày làm việc", True, NONE),
    ("LLTP", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam", T, "10 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ", True, FULL),
    ("LLTP", "Cấp Phiếu lý lịch tư pháp cho cơ quan tiến hành tố tụng", T, "10 ngày làm việc", False, PART),
    ("LLTP", "Cấp Phiếu lý lịch tư pháp cho cơ quan nhà nước, tổ chức chính trị, tổ chức chính trị - xã hội", T, "10 ngày làm việc", False, PART),
    ("BOTROTP", "Đăng ký hoạt động Văn phòng công chứng", T, "10 ngày làm việc", True, NONE),
    ("BOTROTP", "Đăng ký hành nghề và cấp Thẻ công chứng viên", T, "10 ngày làm việc", True, NONE),
    ("BOTROTP", "Đăng ký hoạt động của tổ chức hành nghề luật sư", T, "10 ngày làm việc", True, NONE),
    ("DATDAI", "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất lần đầu", TX, "20 ngày làm việc", True, PART),
    ("DATDAI", "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất do chuyển nhượng, tặng cho, thừa kế", T, "10 ngày làm việc", True, PART),
    ("DATDAI", "Cấp đổi Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", T, "07 ngày làm việc", True, PART),
    ("DATDAI", "Cấp lại Giấy chứng nhận quyền sử dụng đất do bị mất", T, "10 ngày làm việc", True, NONE),
    ("DATDAI", "Đính chính Giấy chứng nhận đã cấp", T, "10 ngày làm việc", False, NONE),
    ("DATDAI", "Chuyển mục đích sử dụng đất phải được phép của cơ quan nhà nước có thẩm quyền đối với hộ gia đình, cá nhân", X, "15 ngày", True, NONE),
    ("DATDAI", "Gia hạn sử dụng đất ngoài khu công nghệ cao, khu kinh tế", T, "07 ngày làm việc", True, NONE),
    ("DATDAI", "Xóa đăng ký cho thuê, cho thuê lại quyền sử dụng đất", T, "03 ngày làm việc", True, FULL),
    ("DATDAI", "Đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất", T, "Trong ngày làm việc", True, FULL),
    ("DATDAI", "Cung cấp thông tin, dữ liệu đất đai", T, "03 ngày làm việc", True, FULL),
    ("DATDAI", "Hòa giải tranh chấp đất đai", X, "30 ngày", False, NONE),
    ("MOITRUONG", "Cấp giấy phép môi trường", T, "30 ngày", True, PART),
    ("MOITRUONG", "Thẩm định báo cáo đánh giá tác động môi trường", T, "25 ngày làm việc", True, NONE),
    ("MOITRUONG", "Đăng ký môi trường", X, "15 ngày", False, FULL),
    ("MOITRUONG", "Cấp giấy phép khai thác nước dưới đất", T, "30 ngày làm việc", True, NONE),
    ("MOITRUONG", "Cấp giấy phép thăm dò khoáng sản", T, "45 ngày", True, NONE),
    ("NONGNGHIEP", "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm đối với cơ sở sản xuất, kinh doanh nông, lâm, thủy sản", T, "15 ngày làm việc", True, NONE),
    ("NONGNGHIEP", "Cấp Giấy chứng nhận kiểm dịch động vật, sản phẩm động vật vận chuyển ra khỏi địa bàn cấp tỉnh", T, "01 ngày làm việc", True, FULL),
    ("NONGNGHIEP", "Cấp Giấy chứng nhận đủ điều kiện buôn bán thuốc bảo vệ thực vật", T, "20 ngày làm việc", True, FULL),
    ("NONGNGHIEP", "Cấp, cấp lại Giấy chứng nhận đủ điều kiện buôn bán phân bón", T, "20 ngày làm việc", True, FULL),
    ("NONGNGHIEP", "Phê duyệt phương án khai thác thực vật rừng thông thường", T, "15 ngày làm việc", False, NONE),
    ("NONGNGHIEP", "Hỗ trợ khôi phục sản xuất vùng bị thiệt hại do thiên tai, dịch bệnh", X, "15 ngày", False, NONE),
    ("NONGNGHIEP", "Xác nhận bảng kê lâm sản", X, "04 giờ làm việc", False, PART),
    ("XAYDUNG", "Cấp giấy phép xây dựng mới đối với công trình cấp đặc biệt, cấp I, cấp II", T, "20 ngày", True, PART),
    ("XAYDUNG", "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", X, "15 ngày", True, FULL),
    ("XAYDUNG", "Cấp giấy phép xây dựng có thời hạn đối với nhà ở riêng lẻ", X, "15 ngày", True, PART),
    ("XAYDUNG", "Cấp giấy phép sửa chữa, cải tạo công trình", T, "20 ngày", True, NONE),
    ("XAYDUNG", "Điều chỉnh giấy phép xây dựng", T, "20 ngày", True, NONE),
    ("XAYDUNG", "Gia hạn giấy phép xây dựng", T, "05 ngày làm việc", True, FULL),
    ("XAYDUNG", "Cấp lại giấy phép xây dựng", T, "05 ngày làm việc", True, FULL),
    ("XAYDUNG", "Thẩm định Báo cáo nghiên cứu khả thi đầu tư xây dựng", T, "30 ngày", True, NONE),
    ("XAYDUNG", "Cấp chứng chỉ hành nghề hoạt động xây dựng hạng II, hạng III", T, "20 ngày", True, FULL),
    ("XAYDUNG", "Thông báo nhà ở hình thành trong tương lai đủ điều kiện được bán, thuê mua", T, "15 ngày", False, NONE),
    ("DUONGBO", "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp", T, "05 ngày làm việc", True, FULL),
    ("DUONGBO", "Cấp lại giấy phép lái xe", T, "10 ngày làm việc", True, PART),
    ("DUONGBO", "Cấp phù hiệu xe ô tô kinh doanh vận tải", T, "02 ngày làm việc", False, FULL),
    ("DUONGBO", "Cấp Giấy phép kinh doanh vận tải bằng xe ô tô", T, "05 ngày làm việc", True, FULL),
    ("DUONGBO", "Cấp giấy phép thi công công trình đường bộ trên đường bộ đang khai thác", T, "05 ngày làm việc", False, FULL),
    ("DUONGBO", "Cấp Giấy phép lưu hành xe quá tải trọng, xe quá khổ giới hạn trên đường bộ", T, "02 ngày làm việc", False, FULL),
    ("DUONGBO", "Chấp thuận xây dựng cùng thời điểm với cấp giấy phép thi công công trình thiết yếu trong phạm vi bảo vệ kết cấu hạ tầng giao thông đường bộ", T, "07 ngày làm việc", False, NONE),
    ("HKD", "Đăng ký thành lập hộ kinh doanh", X, "03 ngày làm việc", True, FULL),
    ("HKD", "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", X, "03 ngày làm việc", True, FULL),
    ("HKD", "Tạm ngừng hoạt động hộ kinh doanh, tiếp tục kinh doanh trước thời hạn đã thông báo", X, "03 ngày làm việc", False, FULL),
    ("HKD", "Chấm dứt hoạt động hộ kinh doanh", X, "03 ngày làm việc", False, FULL),
    ("HKD", "Cấp lại Giấy chứng nhận đăng ký hộ kinh doanh", X, "03 ngày làm việc", True, FULL),
    ("DOANHNGHIEP", "Đăng ký thành lập doanh nghiệp tư nhân", T, "03 ngày làm việc", True, FULL),
    ("DOANHNGHIEP", "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên", T, "03 ngày làm việc", True, FULL),
    ("DOANHNGHIEP", "Đăng ký thành lập công ty cổ phần", T, "03 ngày làm việc", True, FULL),
    ("DOANHNGHIEP", "Đăng ký thay đổi người đại diện theo pháp luật của công ty", T, "03 ngày làm việc", True, FULL),
    ("DOANHNGHIEP", "Thông báo tạm ngừng kinh doanh, tiếp tục kinh doanh trước thời hạn đã thông báo", T, "03 ngày làm việc", False, FULL),
    ("DOANHNGHIEP", "Giải thể doanh nghiệp", T, "05 ngày làm việc", False, FULL),
    ("DAUTU", "Cấp Giấy chứng nhận đăng ký đầu tư đối với dự án không thuộc diện chấp thuận chủ trương đầu tư", T, "15 ngày", False, PART),
    ("DAUTU", "Chấp thuận chủ trương đầu tư của Ủy ban nhân dân cấp tỉnh", T, "35 ngày", False, NONE),
    ("DAUTU", "Điều chỉnh Giấy chứng nhận đăng ký đầu tư", T, "10 ngày làm việc", False, NONE),
    ("NCC", "Công nhận liệt sĩ đối với người hy sinh", T, "20 ngày làm việc", False, NONE),
    ("NCC", "Giải quyết chế độ trợ cấp ưu đãi đối với thân nhân liệt sĩ", T, "12 ngày làm việc", False, NONE),
    ("NCC", "Giải quyết chế độ ưu đãi đối với người hoạt động kháng chiến bị nhiễm chất độc hóa học", T, "40 ngày làm việc", False, NONE),
    ("NCC", "Hưởng mai táng phí, trợ cấp một lần khi người có công với cách mạng từ trần", X, "10 ngày làm việc", False, PART),
    ("NCC", "Cấp giấy xác nhận thân nhân của người có công", X, "05 ngày làm việc", False, FULL),
    ("NCC", "Di chuyển hồ sơ khi người hưởng trợ cấp ưu đãi thay đổi nơi thường trú", T, "05 ngày làm việc", False, NONE),
    ("NCC", "Hỗ trợ người có công đi làm phương tiện, thiết bị trợ giúp, dụng cụ chỉnh hình", X, "10 ngày làm việc", False, NONE),
    ("BTXH", "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng", X, "15 ngày làm việc", False, FULL),
    ("BTXH", "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội", X, "05 ngày làm việc", False, FULL),
    ("BTXH", "Trợ giúp xã hội khẩn cấp về hỗ trợ làm nhà ở, sửa chữa nhà ở", X, "10 ngày làm việc", False, NONE),
    ("BTXH", "Xác định, xác định lại mức độ khuyết tật và cấp Giấy xác nhận khuyết tật", X, "25 ngày làm việc", False, NONE),
    ("BTXH", "Tiếp nhận đối tượng bảo trợ xã hội có hoàn cảnh đặc biệt khó khăn vào cơ sở trợ giúp xã hội cấp tỉnh", T, "07 ngày làm việc", False, NONE),
    ("BTXH", "Đăng ký thành lập cơ sở trợ giúp xã hội ngoài công lập", T, "05 ngày làm việc", False, NONE),
    ("BTXH", "Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm", X, "07 ngày làm việc", False, NONE),
    ("BTXH", "Chi trả trợ cấp xã hội hằng tháng khi đối tượng thay đổi nơi cư trú", X, "10 ngày làm việc", False, PART),
    ("GIAODUC", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", TX, "Trong ngày làm việc", True, FULL),
    ("GIAODUC", "Chỉnh sửa nội dung văn bằng, chứng chỉ", T, "05 ngày làm việc", False, PART),
    ("GIAODUC", "Công nhận trường tiểu học đạt chuẩn quốc gia", T, "20 ngày làm việc", False, NONE),
    ("GIAODUC", "Chuyển trường đối với học sinh trung học phổ thông", T, "03 ngày làm việc", False, PART),
    ("GIAODUC", "Chuyển trường đối với học sinh trung học cơ sở", X, "03 ngày làm việc", False, FULL),
    ("GIAODUC", "Cho phép trường mầm non hoạt động giáo dục", X, "20 ngày làm việc", False, NONE),
    ("GIAODUC", "Cho phép trung tâm ngoại ngữ, tin học hoạt động giáo dục", T, "15 ngày làm việc", False, NONE),
    ("GIAODUC", "Cấp phép tổ chức hoạt động dạy thêm, học thêm", T, "10 ngày làm việc", False, PART),
    ("YTE", "Cấp mới giấy phép hành nghề khám bệnh, chữa bệnh", T, "30 ngày", True, PART),
    ("YTE", "Cấp lại giấy phép hành nghề khám bệnh, chữa bệnh", T, "20 ngày", True, PART),
    ("YTE", "Cấp giấy phép hoạt động đối với phòng khám chuyên khoa", T, "60 ngày", True, NONE),
    ("YTE", "Cấp Chứng chỉ hành nghề dược", T, "20 ngày", True, FULL),
    ("YTE", "Cấp Giấy chứng nhận đủ điều kiện kinh doanh dược đối với nhà thuốc", T, "20 ngày", True, PART),
    ("YTE", "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm đối với cơ sở kinh doanh dịch vụ ăn uống", TX, "20 ngày làm việc", True, PART),
    ("YTE", "Cấp Giấy tiếp nhận đăng ký bản công bố sản phẩm", T, "07 ngày làm việc", True, FULL),
    ("YTE", "Cấp giấy xác nhận nội dung quảng cáo thực phẩm", T, "10 ngày làm việc", True, FULL),
    ("CONGTHUONG", "Cấp Giấy phép bán lẻ sản phẩm rượu", X, "10 ngày làm việc", True, FULL),
    ("CONGTHUONG", "Cấp Giấy phép bán lẻ sản phẩm thuốc lá", X, "15 ngày làm việc", True, PART),
    ("CONGTHUONG", "Cấp Giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu", T, "15 ngày làm việc", True, PART),
    ("CONGTHUONG", "Cấp giấy phép hoạt động điện lực", T, "15 ngày làm việc", True, FULL),
    ("CONGTHUONG", "Cấp Giấy phép kinh doanh cho tổ chức kinh tế có vốn đầu tư nước ngoài để thực hiện quyền phân phối bán lẻ hàng hóa", T, "10 ngày làm việc", True, NONE),
    ("CONGTHUONG", "Cấp Giấy chứng nhận đủ điều kiện sản xuất hóa chất sản xuất, kinh doanh có điều kiện trong lĩnh vực công nghiệp", T, "12 ngày làm việc", True, PART),
    ("CONGTHUONG", "Cấp Giấy chứng nhận huấn luyện kỹ thuật an toàn vật liệu nổ công nghiệp", T, "05 ngày làm việc", True, FULL),
    ("CONGTHUONG", "Đăng ký thực hiện khuyến mại theo hình thức mang tính may rủi", T, "05 ngày làm việc", False, FULL),
    ("CONGTHUONG", "Đăng ký tổ chức hội chợ, triển lãm thương mại tại Việt Nam", T, "05 ngày làm việc", False, FULL),
    ("VANHOA", "Cấp Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke", X, "05 ngày làm việc", True, PART),
    ("VANHOA", "Công nhận hạng cơ sở lưu trú du lịch hạng 1 sao, 2 sao, 3 sao", T, "30 ngày", True, NONE),
    ("VANHOA", "Cấp Giấy phép kinh doanh dịch vụ lữ hành nội địa", T, "10 ngày làm việc", True, FULL),
    ("VANHOA", "Cấp thẻ hướng dẫn viên du lịch nội địa", T, "10 ngày", True, FULL),
    ("VANHOA", "Tổ chức biểu diễn nghệ thuật trong khuôn khổ hợp tác quốc tế", T, "05 ngày làm việc", False, FULL),
    ("VANHOA", "Xét tặng danh hiệu Gia đình văn hóa", X, "05 ngày làm việc", False, NONE),
    ("NOIVU", "Thành lập hội", T, "30 ngày làm việc", False, NONE),
    ("NOIVU", "Phê duyệt điều lệ hội", T, "30 ngày", False, NONE),
    ("NOIVU", "Tặng Bằng khen của Chủ tịch Ủy ban nhân dân cấp tỉnh", T, "20 ngày làm việc", False, NONE),
    ("NOIVU", "Tặng Giấy khen của Chủ tịch Ủy ban nhân dân cấp xã", X, "20 ngày làm việc", False, NONE),
    ("NOIVU", "Đăng ký hoạt động tín ngưỡng", X, "15 ngày", False, NONE),
    ("LAODONG", "Giải quyết hưởng trợ cấp thất nghiệp", T, "20 ngày làm việc", False, PART),
    ("LAODONG", "Cấp giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam", T, "05 ngày làm việc", True, FULL),
    ("LAODONG", "Đăng ký nội quy lao động của doanh nghiệp", T, "07 ngày làm việc", False, FULL),
    ("LAODONG", "Gia hạn giấy phép lao động cho người lao động nước ngoài", T, "05 ngày làm việc", True, FULL),
    ("LAODONG", "Cấp giấy phép hoạt động dịch vụ việc làm của doanh nghiệp hoạt động dịch vụ việc làm", T, "07 ngày làm việc", True, PART),
    ("LAODONG", "Xác nhận người lao động nước ngoài không thuộc diện cấp giấy phép lao động", T, "03 ngày làm việc", False, FULL),
    ("KHCN", "Cấp Giấy chứng nhận đăng ký hoạt động khoa học và công nghệ", T, "15 ngày làm việc", False, PART),
    ("KHCN", "Cấp giấy phép tiến hành công việc bức xạ - sử dụng thiết bị X-quang chẩn đoán trong y tế", T, "25 ngày làm việc", True, PART),
    ("KHCN", "Cấp giấy phép bưu chính", T, "20 ngày", True, PART),
    ("KHCN", "Cấp giấy phép thiết lập trang thông tin điện tử tổng hợp", T, "10 ngày làm việc", False, FULL),
    ("KHCN", "Cấp giấy phép xuất bản bản tin", T, "10 ngày", True, FULL),
    ("KHCN", "Đăng ký kiểm tra nhà nước về chất lượng hàng hóa nhập khẩu", T, "08 giờ làm việc", False, FULL),
    ("DATDAI", "Thu hồi đất do chấm dứt việc sử dụng đất theo pháp luật, tự nguyện trả lại đất", X, "30 ngày", False, NONE),
    ("XAYDUNG", "Cấp giấy phép di dời công trình", T, "20 ngày", True, NONE),
    ("NCC", "Giải quyết chế độ người hoạt động cách mạng, hoạt động kháng chiến bị địch bắt tù, đày", T, "25 ngày làm việc", False, NONE),
    ("NOIVU", "Công nhận ban vận động thành lập hội", T, "30 ngày", False, NONE),
    ("CHUNGTHUC", "Chứng thực di chúc", X, "02 ngày làm việc", True, NONE),
    ("HOTICH", "Đăng ký chấm dứt giám hộ", X, "02 ngày làm việc", False, NONE),
    ("VANHOA", "Cấp giấy phép tổ chức lễ hội cấp tỉnh", T, "15 ngày", False, NONE),
]
# fmt: on

_LEVELS = {T: ["province"], X: ["commune"], TX: ["province", "commune"]}
_PRINTED_ONLY = ("Thông báo", "Đăng ký nội quy", "Xác nhận", "Đăng ký thực hiện khuyến mại")


def procedure_code(index: int) -> str:
    """An illustrative national-style code, stable for a given position in the list."""
    prefix = "2" if index % 4 == 3 else "1"
    return f"{prefix}.{1000 + (index * 7919) % 9000:06d}"


def build(ctx: Any) -> None:
    """Create or refresh the demo catalogue and assign it to the demo province's agencies."""
    rng = ctx.rng
    province = AdminUnit.objects.filter(
        code=ctx.province_code, level=AdminUnit.Level.PROVINCE, structure=AdminUnit.Structure.CURRENT
    ).first()
    departments: list[Agency] = []
    communes: list[str] = []
    if province is not None:
        departments = list(
            Agency.objects.filter(admin_unit=province, kind=Agency.Kind.DEPARTMENT).order_by("code")
        )
        communes = list(
            Agency.objects.filter(Q(admin_unit__parent=province), kind=Agency.Kind.COMMUNE_COMMITTEE)
            .order_by("code")
            .values_list("code", flat=True)
        )
    decisions = _decisions(ctx)
    records: list[ProcedureRecord] = []
    for index, (field_code, name, levels, limit_text, fee, online) in enumerate(PROCEDURES):
        field_name, keywords, citizens = FIELDS[field_code]
        limit = parse_time_limit(limit_text)
        assert limit is not None
        number, published_on = decisions[field_code]
        legal_effective_on = published_on + timedelta(days=rng.randint(5, 25))
        online_limit = None
        if online == FULL and limit.value >= 3 and rng.random() < 0.3:
            online_limit = limit.value - 1  # provinces often shorten the limit for dossiers filed online
        agency_codes: list[str] = []
        if "T" in levels:
            agency_codes += _department_for(keywords, departments)
        if "X" in levels:
            agency_codes += communes
        records.append(
            ProcedureRecord(
                code=procedure_code(index),
                name=name,
                field_code=field_code,
                field_name=field_name,
                values={
                    "levels": _LEVELS[levels],
                    "time_limit": limit.value,
                    "time_limit_unit": limit.unit,
                    "online_time_limit": online_limit,
                    "fee_bearing": fee,
                    "online_level": online,
                    "full_online_eligible": online == FULL or (online == PART and rng.random() < 0.3),
                    "issues_paper_result": not name.startswith(_PRINTED_ONLY) and rng.random() < 0.92,
                    "citizen_subject": citizens,
                    "components_complete": rng.random() < 0.95,
                    "decision_number": number,
                    "published_on": published_on,
                    "made_public_on": published_on + timedelta(days=rng.randint(1, 9)),
                    "legal_effective_on": legal_effective_on,
                    "effective_from": legal_effective_on,
                    "effective_to": None,
                },
                agency_codes=agency_codes if province is not None else None,
            )
        )
    changes = save_procedures(records=records)
    record_change(
        actor="demo",
        action="catalog.import_procedures",
        object_type="catalog.procedure",
        summary=f"Danh mục thủ tục mẫu: {len(changes.created)} mới, {len(changes.updated)} cập nhật",
        data={"created": len(changes.created), "updated": len(changes.updated), "source": "demo"},
    )
    with_online = sum(1 for r in records if r.values["online_level"] != Procedure.OnlineLevel.NONE)
    ctx.say(
        f"  thủ tục hành chính: {len(records)} ({len(changes.created)} mới, {len(changes.updated)} cập nhật), {len(FIELDS)} lĩnh vực, "
        f"{with_online * 100 // len(records)}% có dịch vụ công trực tuyến; giao cho {len(departments)} sở và {len(communes)} UBND cấp xã"
    )


def _decisions(ctx: Any) -> dict[str, tuple[str, Any]]:
    # One publication decision (quyết định công bố) of the Chairman of the Provincial People's Committee per field.
    rng = ctx.rng
    decisions = {}
    for field_code in FIELDS:
        published_on = ctx.today - timedelta(days=rng.randint(30, 400))
        decisions[field_code] = (f"{rng.randint(100, 2999)}/QĐ-UBND", published_on)
    return decisions


def _department_for(keywords: tuple[str, ...], departments: list[Agency]) -> list[str]:
    for keyword in keywords:
        for agency in departments:
            if keyword in fold(agency.name):
                return [agency.code]
    return []
