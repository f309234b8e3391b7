"""The fuzzing summary (.ci/fuzz) reports a run stopped mid-report as failed
and still lists the server's exceptions, instead of a traceback."""

from tests.fuzz.summary import main


def test_an_incomplete_report_is_a_failed_run_not_a_crash(tmp_path, capsys):
    (tmp_path / "report-clinician").mkdir()
    (tmp_path / "report-clinician" / "json-1.json").write_text("")
    (tmp_path / "clinician.rc").write_text("124\n")
    (tmp_path / "server.log").write_text(
        "Internal Server Error: /api/v1/me\nTraceback (most recent call last):\n"
        '  File "x.py", line 1\nValueError: synthetic\n'
    )
    assert main(tmp_path, ["clinician"]) == 1
    out = capsys.readouterr().out
    assert "clinician: FAILED, its report is incomplete (schemathesis exit status 124)" in out
    assert "/api/v1/me" in out
    assert "== fuzzing FAILED" in out
