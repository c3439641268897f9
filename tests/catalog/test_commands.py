import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from thuocdo.catalog.models import Procedure

pytestmark = pytest.mark.django_db


def test_import_dry_run_then_import(sample_file, capsys):
    call_command("procedures", "import", str(sample_file), "--dry-run")
    assert "Sẽ nhập 20 thủ tục" in capsys.readouterr().out
    assert not Procedure.objects.exists()
    call_command("procedures", "import", str(sample_file))
    assert "Đã nhập 20 thủ tục từ sample-procedures.csv: 20 mới" in capsys.readouterr().out
    assert Procedure.objects.count() == 20


def test_import_errors_are_listed(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Mã thủ tục,Tên thủ tục,Mã lĩnh vực,Thời hạn giải quyết\n1.000001,A,F,03 tháng\n", encoding="utf-8"
    )
    with pytest.raises(
        CommandError, match=r"bad.csv, dòng 2, cột «Thời hạn giải quyết \(time_limit\)»: .*tháng"
    ):
        call_command("procedures", "import", str(bad))
    assert not Procedure.objects.exists()


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Không tìm thấy"):
        call_command("procedures", "import", str(tmp_path / "none.csv"))


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_export(sample_file, tmp_path, suffix, capsys):
    call_command("procedures", "import", str(sample_file))
    out = tmp_path / f"tthc.{suffix}"
    call_command("procedures", "export", str(out))
    assert out.stat().st_size > 0
    call_command("procedures", "import", str(out))
    assert "0 mới, 0 cập nhật, 20 không đổi" in capsys.readouterr().out


def test_export_needs_a_known_format(tmp_path):
    with pytest.raises(CommandError, match=r"\.csv hoặc \.xlsx"):
        call_command("procedures", "export", str(tmp_path / "tthc.json"))
