"""Hostile manifests: whatever the text or the files around it, validate reports located errors, never a traceback."""

from __future__ import annotations

from tests.manifest.manifest_support import Workspace

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
