"""Hostile manifests: whatever the text or the files around it, validate reports located errors, never a traceback."""

from __future__ import annotations

import base64
import os

import pytest

from egain_provision.manifest import load_manifests
from egain_provision.manifest.reading import MAX_INCLUDED_BYTES
from tests.manifest.manifest_support import Workspace, run_cli

ACCOUNT = """\
version: 1
accounts:
  - name: a
    address: x
    channel: custom.web
    chatConfigurations: {{orchestration: o, entryPoint: {{id: "1"}}}}
    attributes: [{{name: {name}, value: acme}}]
"""


def test_an_attribute_name_of_the_wrong_type_is_a_schema_error_not_a_crash(ws: Workspace) -> None:
    # A list is unhashable: looking it up among the secret attribute names used to raise TypeError.
    ws.write("m.yaml", ACCOUNT.format(name="[]"))
    assert [(row[1], row[3]) for row in ws.diagnostics() if row[0] == "error"] == [
        ("m.yaml:7:25", "expected a string, got a list")
    ]


CHANNEL = """\
version: 1
channels:
  - type: custom.web
    displayName: Web
    icon: "${{file:{path}}}"
"""


def icon_errors(ws: Workspace, path: str, manifest: str = "m.yaml") -> list[tuple[str, str, str | None]]:
    """(location, message, hint) of each error of a channel whose icon is `${file:PATH}`."""
    ws.write(manifest, CHANNEL.format(path=path))
    return [(ws.row(d)[1], d.message, d.hint) for d in ws.load(manifest).errors]


def test_file_may_not_read_an_absolute_path(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    # /proc/self/environ holds EGAIN_CLIENT_SECRET: it must never reach a plan or the tenant.
    [(where, message, hint)] = icon_errors(ws, "/proc/self/environ")
    assert (where, message) == ("m.yaml:5:11", "cannot read file '/proc/self/environ': absolute paths are not allowed")
    assert hint == f"write a path relative to the manifest's directory ({ws.root}) to a file inside it"
    result = run_cli(capsys, "validate", str(ws.root / "m.yaml"))
    assert result.code == 1 and "absolute paths are not allowed" in result.out


def test_file_may_not_climb_out_of_the_manifests_directory(ws: Workspace) -> None:
    (ws.root / "outside.png").write_bytes(b"not yours")
    assert [row[1] for row in icon_errors(ws, "../outside.png", "sub/m.yaml")] == [
        "cannot read file '../outside.png': the path leads outside the manifest's directory"
    ]


def test_file_may_climb_within_the_manifests_directory(ws: Workspace) -> None:
    (ws.root / "icons").mkdir()
    (ws.root / "icons" / "x.png").write_bytes(b"icon")
    ws.write("m.yaml", CHANNEL.format(path="icons/../icons/x.png"))
    [channel] = ws.load().objects
    assert channel.body["icon"] == base64.b64encode(b"icon").decode()


def test_a_symlink_inside_that_leads_outside_is_refused(
    ws: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> None:
    secret = tmp_path_factory.mktemp("elsewhere") / "id_rsa"
    secret.write_bytes(b"PRIVATE KEY")
    (ws.root / "icons").mkdir()
    (ws.root / "icons" / "x.png").symlink_to(secret)
    assert [row[1] for row in icon_errors(ws, "icons/x.png")] == [
        "cannot read file 'icons/x.png': the path leads outside the manifest's directory"
    ]


def test_a_symlink_that_stays_inside_is_followed(ws: Workspace) -> None:
    (ws.root / "shared.png").write_bytes(b"icon")
    (ws.root / "icons").mkdir()
    (ws.root / "icons" / "x.png").symlink_to("../shared.png")
    ws.write("m.yaml", CHANNEL.format(path="icons/x.png"))
    [channel] = ws.load().objects
    assert channel.body["icon"] == base64.b64encode(b"icon").decode()


def test_file_of_a_fifo_is_refused_without_waiting_for_a_writer(ws: Workspace, no_hang: None) -> None:
    os.mkfifo(ws.root / "pipe.png")
    assert [row[1] for row in icon_errors(ws, "pipe.png")] == [
        "cannot read file 'pipe.png': not a regular file (a FIFO)"
    ]


def test_file_of_a_directory_is_refused(ws: Workspace) -> None:
    (ws.root / "icons").mkdir()
    assert [row[1] for row in icon_errors(ws, "icons")] == [
        "cannot read file 'icons': not a regular file (a directory)"
    ]


def test_file_of_a_symlink_loop_is_refused(ws: Workspace) -> None:
    (ws.root / "a.png").symlink_to("b.png")
    (ws.root / "b.png").symlink_to("a.png")
    [(_, message, hint)] = icon_errors(ws, "a.png")
    assert message == "cannot read file 'a.png': symbolic link loop"
    assert hint == f"fix or remove the symbolic link {ws.root / 'a.png'}"


def test_file_larger_than_an_icon_can_be_is_refused(ws: Workspace) -> None:
    with (ws.root / "big.png").open("wb") as handle:
        handle.truncate(MAX_INCLUDED_BYTES + 1)
    assert [row[1] for row in icon_errors(ws, "big.png")] == [
        f"cannot read file 'big.png': too large ({MAX_INCLUDED_BYTES + 1} bytes, at most {MAX_INCLUDED_BYTES})"
    ]


def test_the_limit_is_the_icons_maximum_length_in_base64(ws: Workspace) -> None:
    (ws.root / "big.png").write_bytes(b"\0" * MAX_INCLUDED_BYTES)
    ws.write("m.yaml", CHANNEL.format(path="big.png"))
    manifest_set = ws.load()
    assert manifest_set.diagnostics == []
    assert len(manifest_set.objects[0].body["icon"]) == 512_000  # the schema's maxLength for icon


def test_a_device_given_as_a_manifest_is_refused_without_reading_it(no_hang: None) -> None:
    # /dev/zero reports size 0 and never ends: read as a manifest it used to grow until MemoryError.
    [diagnostic] = load_manifests(["/dev/zero"]).diagnostics
    assert diagnostic.message == "cannot read file: not a regular file (a character device)"


def test_a_fifo_in_a_manifest_directory_is_an_error_at_its_path(ws: Workspace, no_hang: None) -> None:
    ws.write("a.yaml", CHANNEL.format(path="x").replace('"${file:x}"', "aWNvbg=="))
    os.mkfifo(ws.root / "pipe.yaml")
    assert ws.diagnostics() == [("error", "pipe.yaml:1:1", "", "cannot read file: not a regular file (a FIFO)")]


def test_looping_and_dangling_symlinks_in_a_manifest_directory_are_errors_naming_them(ws: Workspace) -> None:
    ws.write("a.yaml", CHANNEL.format(path="x").replace('"${file:x}"', "aWNvbg=="))
    (ws.root / "loop.yaml").symlink_to("loop.yaml")
    (ws.root / "gone.yml").symlink_to("nowhere.yml")
    manifest_set = ws.load()
    assert [ws.row(d) for d in manifest_set.diagnostics] == [
        (
            "error",
            "gone.yml:1:1",
            "",
            "cannot read file: dangling symbolic link (to 'nowhere.yml', which does not exist)",
        ),
        ("error", "loop.yaml:1:1", "", "cannot read file: symbolic link loop"),
    ]
    assert [obj.natural_key for obj in manifest_set.objects] == ["custom.web"]


def test_a_looping_symlink_given_as_the_path_is_an_error_naming_it(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws.root / "loop.yaml").symlink_to("loop.yaml")
    result = run_cli(capsys, "validate", str(ws.root / "loop.yaml"))
    assert result.code == 1
    assert f"{ws.root / 'loop.yaml'}:1:1: error: cannot read file: symbolic link loop" in result.out
    assert "internal error" not in result.out + result.err


LIMITED = """\
version: 1
channels:
  - type: custom.web
    displayName: Web
    icon: aWNvbg==
    restrictions:
      inbound:
        maxTextLength: {value}
"""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # Python refuses to parse decimals of over 4,300 digits: validate used to die with ValueError.
        ("9" * 5000, "number too large (5000 characters)"),
        ("0x" + "f" * 5000, f"integer out of range (at most {2**63 - 1})"),
        ("18446744073709551616", f"integer out of range (at most {2**63 - 1})"),
        ("0x_", "not a valid number"),
        ("-0b_", "not a valid number"),
        (".inf", "infinite or NaN numbers are not allowed"),
    ],
    ids=["5000-digits", "huge-hex", "2**64", "0x_", "-0b_", "inf"],
)
def test_a_number_no_field_can_hold_is_an_error_at_it(ws: Workspace, value: str, message: str) -> None:
    ws.write("m.yaml", LIMITED.format(value=value))
    assert [(row[1], row[3]) for row in ws.diagnostics()] == [("m.yaml:8:24", message)]


def test_a_variable_read_as_a_number_no_field_can_hold_is_an_error_at_the_expression(ws: Workspace) -> None:
    ws.write("m.yaml", LIMITED.format(value="${var:LIMIT}"))
    [error] = ws.load(variables={"LIMIT": "9" * 5000}).errors
    assert (ws.row(error)[1], error.message) == (
        "m.yaml:8:24",
        "the value of ${var:LIMIT} is not usable: number too large (5000 characters)",
    )


def test_a_5000_digit_integer_is_a_validate_error_not_an_internal_error(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws.write("m.yaml", LIMITED.format(value="9" * 5000))
    result = run_cli(capsys, "validate", str(ws.root / "m.yaml"))
    assert (result.code, result.err) == (1, "")
    assert "m.yaml:8:24: error: number too large (5000 characters)" in result.out


APPS = """\
version: 1
participants:
  - {{name: "{first}", type: custom_bot, application: bot-app}}
  - {{name: "{second}", type: custom_bot, application: bot-app}}
"""


@pytest.mark.parametrize(
    ("second", "characters"),
    [
        ("order-b\u043et", "U+043E CYRILLIC SMALL LETTER O"),
        ("order-\u200bbot", "U+200B ZERO WIDTH SPACE"),
        ("\ufefforder-bot", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("order-bot\u200f", "U+200F RIGHT-TO-LEFT MARK"),
        ("\uff4frder-bot", "U+FF4F FULLWIDTH LATIN SMALL LETTER O"),
        ("\u03bfrder-bot", "U+03BF GREEK SMALL LETTER OMICRON"),
    ],
    ids=["cyrillic", "zero-width-space", "bom", "rtl-mark", "fullwidth", "greek"],
)
def test_names_that_differ_only_by_invisible_or_look_alike_characters_are_a_warning_naming_both(
    ws: Workspace, second: str, characters: str
) -> None:
    # Two objects a reviewer cannot tell apart in a plan: validate passed them as distinct, silently.
    ws.write("m.yaml", APPS.format(first="order-bot", second=second))
    manifest_set = ws.load()
    [warning] = [d for d in manifest_set.diagnostics if "looks the same" in d.message]
    assert ws.row(warning)[:3] == ("warning", "m.yaml:4:12", "participants[1].name")
    assert warning.message == (
        f"Participant {second!r} looks the same as 'order-bot' (at {ws.root / 'm.yaml'}:3:12) but is another "
        f"name: they differ in invisible or look-alike characters ({characters})"
    )
    assert not manifest_set.has_errors


def test_names_that_merely_resemble_each_other_are_not_warned_about(ws: Workspace) -> None:
    ws.write("m.yaml", APPS.format(first="order-bot", second="order-b0t"))
    assert [d.message for d in ws.load().diagnostics if "looks the same" in d.message] == []


def test_look_alike_names_of_different_kinds_are_not_warned_about(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\nclientApplications:\n  - {name: bot-app, roles: [{name: custom_bot, version: v3, "
        "callback: 'https://b.example.com', notificationEmail: a@example.com}]}\n"
        "participants:\n  - {name: b\u043et-app, type: custom_bot, application: bot-app}\n",
    )
    assert [d.message for d in ws.load().diagnostics if "looks the same" in d.message] == []
