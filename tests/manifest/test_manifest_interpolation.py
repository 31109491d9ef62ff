"""`${env:EGAIN_VAR_*}`, `${var:NAME}`, `${file:PATH}` and the `$${` escape."""

from __future__ import annotations

import base64

from tests.manifest.manifest_support import Workspace

CHANNEL = """\
version: 1
channels:
  - type: custom.web
    displayName: {display}
    icon: aWNvbg==
"""


def display_name(ws: Workspace, display: str, **kwargs: dict[str, str]) -> object:
    ws.write("m.yaml", CHANNEL.format(display=display))
    [channel] = ws.load(**kwargs).objects
    return channel.body["displayName"]


def test_var_is_replaced_inside_a_larger_string(ws: Workspace) -> None:
    assert display_name(ws, "Chat (${var:ENV})", variables={"ENV": "staging"}) == "Chat (staging)"


def test_env_reads_egain_var_names(ws: Workspace) -> None:
    assert display_name(ws, "${env:EGAIN_VAR_TITLE}", env={"EGAIN_VAR_TITLE": "Web"}) == "Web"


def test_double_dollar_escapes_a_literal_expression(ws: Workspace) -> None:
    assert display_name(ws, "Costs $${var:PRICE} and $5") == "Costs ${var:PRICE} and $5"


def test_plain_scalar_made_of_one_expression_takes_the_type_of_its_value(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        channels:
          - type: custom.web
            displayName: Web
            icon: aWNvbg==
            restrictions:
              inbound:
                maxTextLength: ${var:LIMIT}
        """,
    )
    [channel] = ws.load(variables={"LIMIT": "140"}).objects
    assert channel.body["restrictions"]["inbound"]["maxTextLength"] == 140


def test_quoted_expression_stays_a_string(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        channels:
          - type: custom.web
            displayName: Web
            icon: aWNvbg==
            restrictions:
              inbound:
                maxTextLength: "${var:LIMIT}"
        """,
    )
    [error] = ws.load(variables={"LIMIT": "140"}).errors
    assert ws.row(error) == (
        "error",
        "m.yaml:8:24",
        "channels[0].restrictions.inbound.maxTextLength",
        "expected an integer, got a string",
    )


def test_file_is_read_relative_to_the_manifest_and_base64_encoded(ws: Workspace) -> None:
    (ws.root / "sub" / "icons").mkdir(parents=True)
    (ws.root / "sub" / "icons" / "x.png").write_bytes(b"\x89PNG\x00\xff")
    ws.write("sub/m.yaml", CHANNEL.format(display="Web").replace("aWNvbg==", "${file:icons/x.png}"))
    [channel] = ws.load("sub/m.yaml").objects
    assert channel.body["icon"] == base64.b64encode(b"\x89PNG\x00\xff").decode()


def test_missing_file_is_an_error_at_the_expression(ws: Workspace) -> None:
    ws.write("m.yaml", CHANNEL.format(display="Web").replace("aWNvbg==", "${file:icons/none.png}"))
    [error] = ws.load().errors
    assert ws.row(error) == (
        "error",
        "m.yaml:5:11",
        "channels[0].icon",
        "cannot read file 'icons/none.png': No such file or directory",
    )


def test_missing_variable_is_an_error_naming_it_and_how_to_set_it(ws: Workspace) -> None:
    ws.write("m.yaml", CHANNEL.format(display="${var:TITLE}"))
    [error] = ws.load().errors
    assert ws.row(error) == ("error", "m.yaml:4:18", "channels[0].displayName", "variable 'TITLE' is not set")
    assert error.hint == "pass --var TITLE=VALUE or a --var-file that defines TITLE"


def test_missing_environment_variable_is_an_error(ws: Workspace) -> None:
    ws.write("m.yaml", CHANNEL.format(display="${env:EGAIN_VAR_TITLE}"))
    [error] = ws.load(env={}).errors
    assert ws.row(error) == (
        "error",
        "m.yaml:4:18",
        "channels[0].displayName",
        "environment variable EGAIN_VAR_TITLE is not set",
    )
    assert error.hint == "export EGAIN_VAR_TITLE=... before running"


def test_environment_variables_without_the_egain_var_prefix_cannot_be_read(ws: Workspace) -> None:
    ws.write("m.yaml", CHANNEL.format(display="${env:AWS_SECRET_ACCESS_KEY}"))
    [error] = ws.load(env={"AWS_SECRET_ACCESS_KEY": "nope"}).errors
    assert (
        error.message == "environment variable 'AWS_SECRET_ACCESS_KEY' may not be read: only EGAIN_VAR_* variables are"
    )
    assert error.hint == "export the value as EGAIN_VAR_AWS_SECRET_ACCESS_KEY and use that name"


def test_unknown_source_is_an_error(ws: Workspace) -> None:
    ws.write("m.yaml", CHANNEL.format(display="${vault:x}"))
    assert [error.message for error in ws.load().errors] == ["unknown interpolation source 'vault'"]


def test_unterminated_expression_is_an_error(ws: Workspace) -> None:
    ws.write("m.yaml", CHANNEL.format(display="'${var:X'"))
    [error] = ws.load(variables={"X": "1"}).errors
    assert (error.message, error.hint) == (
        "unterminated ${ expression",
        "close it with }, or write $${ for a literal ${",
    )


def test_an_interpolation_error_is_reported_once_not_again_by_the_schema(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\naccounts:\n  - name: a\n    address: x\n    channel: c\n"
        "    chatConfigurations:\n      timeout: ${var:T}\n      orchestration: o\n      entryPoint: {id: '1'}\n",
    )
    assert [error.message for error in ws.load().errors] == ["variable 'T' is not set"]


def test_all_missing_variables_are_reported_in_one_run(ws: Workspace) -> None:
    ws.write("m.yaml", CHANNEL.format(display="${var:A}").replace("custom.web", "custom.${var:B}"))
    assert [error.message for error in ws.load().errors] == ["variable 'B' is not set", "variable 'A' is not set"]


def test_keys_are_not_interpolated(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\n${var:KIND}: []\n")
    assert [error.message for error in ws.load(variables={"KIND": "channels"}).errors] == [
        "unknown field '${var:KIND}'"
    ]
