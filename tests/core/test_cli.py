import subprocess
import sys

from egov import cli


def test_cli_help_lists_the_commands(capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in (
        "serve",
        "worker",
        "migrate",
        "seed-demo",
        "createsuperuser",
        "check",
        "calendar",
        "audit",
    ):
        assert command in out


def test_cli_unknown_command_exits_2(capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_cli_check_passes_through_to_django() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "egov.cli", "check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
