"""The command line's shared parts: entry point, connection choice, redaction, progress."""
import argparse
import io
import json

import pytest

from cloudant import cli
from cloudant.cli import _common
from cloudant.cli._common import CliError, Progress, emit_json_line, fail, format_duration, make_client, redact

ENV_NAMES = ("CLOUDANT_URL", "CLOUDANT_APIKEY", "CLOUDANT_USERNAME", "CLOUDANT_PASSWORD", "COUCH_URL",
             "COUCH_IAM_API_KEY", "IBM_CREDENTIALS_FILE", "CLOUDANT_AUTH_TYPE")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no ibm-credentials.env from the working directory
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(_common, "_SECRETS", set())


def namespace(**kw):
    kw.setdefault("url", None)
    kw.setdefault("timeout", 30.0)
    return argparse.Namespace(**kw)


def test_redact_drops_user_info_and_known_secrets():
    _common._remember_secrets("https://bob:s%40cret@host.example/db", "apikey-123")
    text = redact("GET https://bob:s%40cret@host.example/db failed; key apikey-123; pw s@cret")
    assert text == "GET https://host.example/db failed; key ***; pw ***"


def test_format_duration():
    assert [format_duration(s) for s in (0, 59.4, 75, 3725, None, float("inf"))] == [
        "0s", "59s", "1m15s", "1h02m", "?", "?"]


def test_fail_raises_cli_error_with_code():
    with pytest.raises(CliError) as info:
        fail("no such database", 2)
    assert str(info.value) == "no such database" and info.value.code == 2


def test_emit_json_line_is_one_compact_line_with_utf8():
    out = io.StringIO()
    emit_json_line({"id": "日本", "n": 1}, out)
    assert out.getvalue() == '{"id":"日本","n":1}\n'


def test_url_with_credentials_is_used_as_is():
    client = make_client(namespace(url="http://u:p%21w@127.0.0.1:5984"))
    assert client.server_url == "http://127.0.0.1:5984" or "127.0.0.1:5984" in client.server_url
    assert "p!w" in _common._SECRETS and "p%21w" in _common._SECRETS


def test_url_without_credentials_takes_username_password_from_environment(monkeypatch):
    monkeypatch.setenv("CLOUDANT_USERNAME", "alice")
    monkeypatch.setenv("CLOUDANT_PASSWORD", "pw-1")
    client = make_client(namespace(url="http://127.0.0.1:5984"))
    assert client._user == "alice" and "pw-1" in _common._SECRETS


def test_url_without_credentials_uses_iam_key_from_environment(monkeypatch):
    monkeypatch.setenv("COUCH_IAM_API_KEY", "key-1")
    client = make_client(namespace(url="https://127.0.0.1:5984"))
    assert client._use_iam if hasattr(client, "_use_iam") else True
    assert "key-1" in _common._SECRETS


def test_no_url_reads_cloudant_environment(monkeypatch):
    monkeypatch.setenv("CLOUDANT_URL", "http://127.0.0.1:5984")
    monkeypatch.setenv("CLOUDANT_AUTH_TYPE", "NOAUTH")
    client = make_client(namespace())
    assert client.admin_party


def test_no_url_falls_back_to_couch_url(monkeypatch):
    monkeypatch.setenv("COUCH_URL", "http://a:b@127.0.0.1:5984")
    client = make_client(namespace())
    assert "a:b@" not in client.server_url and "b" in _common._SECRETS


def test_no_server_is_a_usage_error():
    with pytest.raises(CliError) as info:
        make_client(namespace())
    assert info.value.code == 2 and "--url" in str(info.value)


def test_not_http_url_is_a_usage_error():
    with pytest.raises(CliError) as info:
        make_client(namespace(url="ftp://host/x"))
    assert info.value.code == 2


@pytest.mark.parametrize("flags,mode", [({}, "lines"), ({"quiet": True}, "quiet"), ({"json": True}, "json")])
def test_progress_mode_off_a_terminal(flags, mode):
    assert Progress("x", 10, argparse.Namespace(**flags), stream=io.StringIO()).mode == mode


def test_progress_plain_lines_have_count_rate_and_eta():
    out = io.StringIO()
    progress = Progress("backup db", 200, None, stream=out, interval=0)
    progress.update(50)
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines and all(line.startswith("backup db: 50/200 docs (25%)") and "ETA" in line for line in lines)


def test_progress_json_lines():
    out = io.StringIO()
    with Progress("restore db", None, argparse.Namespace(json=True), stream=out, interval=0) as progress:
        progress.update(3)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert records[-1]["done"] == 3 and records[-1]["total"] is None and records[-1]["eta_seconds"] is None


def test_progress_quiet_writes_nothing():
    out = io.StringIO()
    with Progress("x", 5, argparse.Namespace(quiet=True), stream=out, interval=0) as progress:
        progress.update(5)
    assert out.getvalue() == ""


def test_progress_on_a_terminal_without_tqdm_redraws_one_line(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(_common, "_load_tqdm", lambda: None)
    out = Tty()
    with Progress("x", 4, None, stream=out) as progress:
        progress.update(4)
    assert out.getvalue().startswith("\r\x1b[K") and out.getvalue().endswith("x: 4/4 docs (100%), "
                                                                             + out.getvalue().split(", ")[-2]
                                                                             + ", ETA 0s\n")


# -- the entry point ----------------------------------------------------------------------------------------
def test_help_lists_commands_and_examples(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "backup" in out and "restore" in out and "examples:" in out


def test_no_command_is_a_usage_error(capsys):
    assert cli.main([]) == 2


def test_unknown_option_is_a_usage_error(capsys):
    assert cli.main(["backup", "db", "--no-such-option"]) == 2


def test_missing_command_modules_are_skipped(monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", ("backup", "no_such_command"))
    assert cli._available_commands() == ["backup"]


def run_with(monkeypatch, behaviour):
    from cloudant.cli import backup

    def fake_run(args):
        return behaviour()

    monkeypatch.setattr(backup, "run", fake_run)
    return cli.main(["backup", "db", "--url", "http://u:secret@127.0.0.1:1"])


def test_cli_error_is_one_line_on_stderr_exit_1(monkeypatch, capsys):
    def boom():
        _common._remember_secrets("http://u:secret@h")
        fail("cannot reach http://u:secret@127.0.0.1:1/db")

    assert run_with(monkeypatch, boom) == 1
    err = capsys.readouterr().err
    assert err == "cloudant backup: error: cannot reach http://127.0.0.1:1/db\n"


def test_unexpected_exception_is_one_redacted_line(monkeypatch, capsys):
    def boom():
        raise ValueError("bad http://u:pw@host/x\nsecond line")

    assert run_with(monkeypatch, boom) == 1
    assert capsys.readouterr().err == "cloudant backup: error: ValueError: bad http://host/x\n"


def test_ctrl_c_exits_130(monkeypatch, capsys):
    def interrupt():
        raise KeyboardInterrupt

    assert run_with(monkeypatch, interrupt) == 130
    assert "interrupted" in capsys.readouterr().err


def test_python_dash_m_entry_point_exists():
    import runpy
    import sys
    from unittest import mock

    with mock.patch.object(sys, "argv", ["cloudant", "--version"]), pytest.raises(SystemExit) as info:
        runpy.run_module("cloudant", run_name="__main__")
    assert info.value.code == 0
