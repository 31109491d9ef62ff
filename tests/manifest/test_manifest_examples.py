"""The shipped examples validate clean, with the environment variables they document."""

from __future__ import annotations

import pytest

from egain_provision.manifest import load_manifests
from tests.manifest.manifest_support import EXAMPLE_ENV, EXAMPLES


@pytest.mark.parametrize("example", ["byoc", "agent-only", "whatsapp", "sms-twilio"])
def test_example_validates_without_diagnostics(example: str) -> None:
    manifest_set = load_manifests([EXAMPLES / example], environ=EXAMPLE_ENV)
    assert manifest_set.diagnostics == []
    assert manifest_set.objects


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_environment_example_validates_with_each_variable_file(environment: str) -> None:
    from egain_provision.commands.common import parse_variables

    variables = parse_variables((), (str(EXAMPLES / "environments" / f"{environment}.vars.yaml"),))
    manifest_set = load_manifests([EXAMPLES / "environments" / "base"], variables=variables, environ=EXAMPLE_ENV)
    assert manifest_set.diagnostics == []
    assert {obj.natural_key for obj in manifest_set.objects if obj.kind == "accounts"} == {f"shop-{environment}-web"}


def test_byoc_example_declares_one_object_of_every_kind_but_three_applications() -> None:
    manifest_set = load_manifests([EXAMPLES / "byoc"], environ=EXAMPLE_ENV)
    counts: dict[str, int] = {}
    for obj in manifest_set.objects:
        counts[obj.kind] = counts.get(obj.kind, 0) + 1
    assert counts == {
        "authentications": 1,
        "clientApplications": 3,
        "participants": 1,
        "channels": 1,
        "orchestrations": 1,
        "accounts": 1,
    }


def test_byoc_icon_is_a_real_png() -> None:
    import base64

    manifest_set = load_manifests([EXAMPLES / "byoc"], environ=EXAMPLE_ENV)
    [channel] = [obj for obj in manifest_set.objects if obj.kind == "channels"]
    assert base64.b64decode(channel.body["icon"]).startswith(b"\x89PNG\r\n\x1a\n")


def test_examples_fail_without_their_environment_variables() -> None:
    manifest_set = load_manifests([EXAMPLES / "byoc"], environ={})
    assert [d.message for d in manifest_set.errors] == ["environment variable EGAIN_VAR_BOT_TOKEN_PAYLOAD is not set"]


def test_every_example_manifest_starts_with_the_schema_modeline() -> None:
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        if path.name.endswith(".vars.yaml"):
            continue
        first = path.read_text("utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("$schema=", 1)[1]).resolve()
        # Scenario files (for `egain-provision test`) live in scenarios/ and have their own schema.
        schema = "scenario.schema.json" if path.parent.name == "scenarios" else "manifest.schema.json"
        assert target == (EXAMPLES.parent / "schemas" / schema).resolve(), path


def test_env_example_file_lists_every_variable_the_examples_read() -> None:
    text = (EXAMPLES / ".env.example").read_text("utf-8")
    assert {line.split("=", 1)[0] for line in text.splitlines() if line and not line.startswith("#")} == set(
        EXAMPLE_ENV
    )
