"""Reading YAML: every problem is a diagnostic at its exact file:line:col, never an exception."""

from __future__ import annotations

from egain_provision.manifest import load_manifests
from egain_provision.manifest.loader import MAX_FILE_BYTES
from egain_provision.manifest.yamlnodes import MAX_ALIAS_NODES
from tests.manifest.manifest_support import Workspace


def test_bad_utf8_is_reported_at_the_first_undecodable_byte(ws: Workspace) -> None:
    (ws.root / "m.yaml").write_bytes(b"version: 1\nchannels:\n  - type: caf\xe9\n")
    assert ws.diagnostics() == [("error", "m.yaml:3:14", "", "file is not valid UTF-8 (byte 0xe9)")]


def test_a_utf8_byte_order_mark_is_accepted(ws: Workspace) -> None:
    (ws.root / "m.yaml").write_bytes("\ufeffversion: 1\n".encode())
    assert ws.diagnostics() == []


def test_syntax_error_names_the_line_and_column(ws: Workspace) -> None:
    ws.write("m.yaml", 'version: 1\nchannels:\n  - type: "unterminated\n')
    [(severity, where, path, message)] = ws.diagnostics()
    assert (severity, where, path) == ("error", "m.yaml:4:1", "")
    assert message.startswith("YAML syntax error: found unexpected end of stream")


def test_tab_indentation_is_an_error_with_a_hint_to_use_spaces(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nchannels:\n\t- type: x\n")
    manifest_set = ws.load()
    [diagnostic] = manifest_set.diagnostics
    assert diagnostic.location is not None
    assert (diagnostic.location.line, diagnostic.location.column) == (3, 1)
    assert diagnostic.hint == "YAML does not allow tabs for indentation; indent with spaces"


def test_expression_in_a_flow_mapping_gets_a_hint_to_quote_it(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\naccounts:\n  - {name: a, address: ${var:X}}\n")
    [diagnostic] = ws.load().diagnostics
    assert diagnostic.hint == 'inside { } or [ ], quote values that hold an expression: "${var:NAME}"'


def test_duplicate_key_in_one_mapping_names_both_lines(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        participants:
          - name: p
            type: custom_bot
            application: a
            type: egain_bot
        """,
    )
    path = str(ws.root / "m.yaml")
    assert ("error", "m.yaml:6:5", "participants[0].type", f"duplicate key 'type' (first written at {path}:4:5)") in (
        ws.diagnostics()
    )


def test_empty_file_is_a_warning_not_an_error(ws: Workspace) -> None:
    ws.write("empty.yaml", "# nothing declared yet\n")
    assert ws.diagnostics() == [("warning", "empty.yaml:1:1", "", "file holds no manifest")]


def test_document_that_is_not_a_mapping_is_an_error(ws: Workspace) -> None:
    ws.write("m.yaml", "- version: 1\n")
    assert ws.diagnostics() == [("error", "m.yaml:1:1", "", "a manifest document must be a mapping")]


def test_errors_in_later_documents_of_a_multi_document_file_point_into_that_document(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        channels:
          - {type: custom.a, displayName: A, icon: aWNvbg==}
        ---
        version: 1
        channels:
          - {type: custom.b, displayName: B, icn: aWNvbg==}
        """,
    )
    assert ws.diagnostics() == [
        ("error", "m.yaml:7:5", "channels[0]", "missing required field 'icon'"),
        ("error", "m.yaml:7:38", "channels[0].icn", "unknown field 'icn'"),
    ]


def test_every_document_needs_its_own_version(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\n---\nchannels: []\n")
    assert ws.diagnostics() == [("error", "m.yaml:3:1", "", "missing required field 'version'")]


def test_trailing_empty_document_is_ignored(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\n---\n")
    assert ws.diagnostics() == []


def test_aliased_values_are_copied_and_errors_point_at_the_anchor(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        clientApplications:
          - name: a
            roles: &roles
              - {name: customer, version: v9, callback: "https://x.example.com", notificationEmail: a@example.com}
          - name: b
            roles: *roles
        """,
    )
    assert ws.diagnostics() == [
        ("error", "m.yaml:5:35", "clientApplications[0].roles[0].version", "'v9' is not one of: v1, v3"),
        ("error", "m.yaml:5:35", "clientApplications[1].roles[0].version", "'v9' is not one of: v1, v3"),
    ]


def test_aliases_give_each_object_its_own_copy(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        clientApplications:
          - name: a
            roles: &roles
              - {name: customer, version: v3, callback: "https://x.example.com", notificationEmail: a@example.com}
          - name: b
            roles: *roles
        """,
    )
    first, second = ws.load().objects
    assert first.body["roles"] == second.body["roles"]
    assert first.body["roles"] is not second.body["roles"]


def test_merge_keys_merge_an_anchored_mapping_and_local_keys_win(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        clientApplications:
          - name: a
            roles:
              - &role {name: customer, version: v3, callback: "https://x.example.com", notificationEmail: a@x.com}
              - <<: *role
                name: custom_agent
        """,
    )
    [app] = ws.load().objects
    assert app.body["roles"][1] == {
        "name": "custom_agent",
        "version": "v3",
        "callback": "https://x.example.com",
        "notificationEmail": "a@x.com",
    }


def test_recursive_alias_is_an_error(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nchannels: &loop\n  - *loop\n")
    assert ("error", "m.yaml:2:11", "channels[0]", "recursive alias: a value contains itself") in ws.diagnostics()


def test_alias_bomb_is_stopped_with_an_error(ws: Workspace) -> None:
    lines = ["version: 1", "x0: &x0 [a, a, a, a, a, a, a, a, a, a]"]
    lines += [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 10)}]" for i in range(1, 9)]
    ws.write("bomb.yaml", "\n".join(lines) + "\n")
    messages = [message for _, _, _, message in ws.diagnostics()]
    assert f"aliases expand to more than {MAX_ALIAS_NODES} values" in messages


def test_undefined_alias_is_a_syntax_error_with_a_hint(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nchannels: *nothing\n")
    [diagnostic] = ws.load().diagnostics
    assert diagnostic.location is not None
    assert (diagnostic.location.line, diagnostic.location.column) == (2, 11)
    assert diagnostic.hint == "define the anchor (&name) before its alias (*name)"


def test_unsupported_tag_is_an_error(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nchannels:\n  - {type: !!binary aGk=, displayName: A, icon: aWNvbg==}\n")
    assert ws.diagnostics() == [
        ("error", "m.yaml:3:12", "channels[0].type", "unsupported YAML tag 'tag:yaml.org,2002:binary'")
    ]


def test_non_finite_numbers_are_rejected(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        channels:
          - {type: custom.a, displayName: A, icon: aWNvbg==, restrictions: {inbound: {maxTextLength: .inf}}}
        """,
    )
    assert ws.diagnostics() == [
        (
            "error",
            "m.yaml:3:94",
            "channels[0].restrictions.inbound.maxTextLength",
            "infinite or NaN numbers are not allowed",
        )
    ]


def test_unquoted_timestamps_stay_text(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nchannels:\n  - {type: custom.a, displayName: 2021-03-28, icon: aWNvbg==}\n")
    [channel] = ws.load().objects
    assert channel.body["displayName"] == "2021-03-28"


def test_a_file_over_the_size_limit_is_refused_without_reading_it(ws: Workspace) -> None:
    path = ws.root / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    [diagnostic] = load_manifests([path]).diagnostics
    assert diagnostic.severity == "error"
    assert diagnostic.message == f"cannot read file: too large ({MAX_FILE_BYTES + 1} bytes, at most {MAX_FILE_BYTES})"


def test_a_large_file_loads_with_positions_at_its_end(ws: Workspace) -> None:
    count = 5000
    items = "".join(f"  - {{type: custom.c{n}, displayName: C, icon: aWNvbg==}}\n" for n in range(count))
    (ws.root / "big.yaml").write_text("version: 1\nchannels:\n" + items + "  - {type: custom.last, displayName: L}\n")
    manifest_set = ws.load()
    assert len(manifest_set.objects) == count + 1
    assert ws.diagnostics() == [
        ("error", f"big.yaml:{count + 3}:5", f"channels[{count}]", "missing required field 'icon'")
    ]
