"""The text renderer: a plan read like Terraform's."""

from __future__ import annotations

import re
from typing import Any

from egain_provision.plan import MISSING, Action, Change, Plan, Unmanaged
from egain_provision.render import render_text

TARGET = "https://api.example.com/v3"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plan_with(*actions: Action, **fields: Any) -> Plan:
    return Plan(TARGET, TARGET, actions=list(actions), **fields)


def test_a_create_reads_as_a_terraform_block(create_app: Action) -> None:
    assert render_text(plan_with(create_app)) == (
        f"Target: {TARGET}\n"
        "\n"
        '  # clientApplications "order-bot-app" will be created\n'
        '  + clientApplications "order-bot-app" {\n'
        '      + name: "order-bot-app"\n'
        '      + roles[custom_bot].authentication: "bot-callback" (known after apply)\n'
        '      + roles[custom_bot].callback: "https://bots.example.com/egain/callback"\n'
        "    }\n"
        "\n"
        "Plan: 1 to create, 0 to update, 0 to delete. 0 unchanged.\n"
    )


def test_an_update_shows_old_and_new_values_of_each_field(update_channel: Action) -> None:
    text = render_text(plan_with(update_channel))
    assert '  # channels "custom.web" will be updated in place\n  ~ channels "custom.web" {\n' in text
    assert '      ~ displayName: "Web" -> "Web chat"\n' in text
    assert '      + l10nProperties[en-US].greeting: "Hello"\n' in text
    assert '      - restrictions.inbound.features: ["typing"]\n' in text


def test_a_rename_names_the_previous_key(rename_participant: Action) -> None:
    text = render_text(plan_with(rename_participant))
    assert '  # participants "order-bot" will be updated in place (renamed from "legacy-bot")\n' in text
    assert '      ~ name: "legacy-bot" -> "order-bot"\n' in text


def test_a_delete_is_shouted_and_lists_the_fields_it_removes(delete_account: Action) -> None:
    text = render_text(plan_with(delete_account))
    assert (
        '  # accounts "old-account" will be DELETED\n'
        '  - accounts "old-account" {\n'
        "      # id: acc-9\n"
        '      - address: "555"\n'
        '      - name: "old-account"\n'
        "    }\n"
    ) in text


def test_blocks_follow_the_plan_order(full_plan: Plan) -> None:
    text = render_text(full_plan)
    headlines = [line.split(" will be ")[0] for line in text.splitlines() if line.startswith("  # ")]
    assert headlines == [f'  # {action.kind} "{action.natural_key}"' for action in full_plan.actions]


def test_long_strings_are_abbreviated_to_their_length(update_channel: Action) -> None:
    text = render_text(plan_with(update_channel))
    assert '      ~ icon: "small" -> <440 characters>\n' in text
    assert "iVBORw0KGgo" not in text


def test_a_long_list_is_shown_one_item_per_line() -> None:
    features = [f"feature_number_{index}" for index in range(8)]
    action = Action("create", "channels", "custom.web", changes=[Change("features", MISSING, features)])
    text = render_text(plan_with(action))
    assert '      + features: [\n            "feature_number_0",\n' in text
    assert '            "feature_number_7",\n        ]\n    }\n' in text


def test_notes_are_comments_inside_their_block(rotate_secret: Action) -> None:
    text = render_text(plan_with(rotate_secret))
    assert (
        "      # note: basicAuth.password: write-only on this tenant; sent because of --rotate-secrets\n    }\n"
    ) in text


def test_sensitive_values_show_as_placeholders(rotate_secret: Action, create_auth: Action) -> None:
    text = render_text(plan_with(create_auth, rotate_secret))
    assert "      + oauth2.payload: (sensitive value)\n" in text
    assert "      ~ basicAuth.password: (write-only, not compared) -> (sensitive value)\n" in text
    assert "never-saved" not in text


def test_a_sensitive_change_never_prints_a_value_that_is_not_a_placeholder() -> None:
    leaked = Change("oauth2.payload", MISSING, "hunter2", sensitive=True)
    text = render_text(plan_with(Action("create", "authentications", "a", changes=[leaked])))
    assert "      + oauth2.payload: (sensitive value)\n" in text
    assert "hunter2" not in text


def test_warnings_follow_the_blocks(full_plan: Plan) -> None:
    text = render_text(full_plan)
    assert "\nWarning: 1 secret field(s) are write-only on this tenant and were not compared\n" in text
    assert text.index("Warning:") > text.index('accounts "old-account" {')


def test_unmanaged_objects_are_listed_with_their_ids() -> None:
    text = render_text(plan_with(unmanaged=[Unmanaged("channels", "custom.sms", "c-7")]))
    assert (
        'Not managed (exist in the tenant, not declared; use --prune to delete):\n  channels "custom.sms" (id c-7)\n'
    ) in text


def test_a_long_unmanaged_list_is_capped_at_twenty_lines() -> None:
    unmanaged = [Unmanaged("participants", f"bot-{index:02}", f"p-{index}") for index in range(25)]
    text = render_text(plan_with(unmanaged=unmanaged))
    assert '  participants "bot-19" (id p-19)\n  ... and 5 more\n' in text
    assert "bot-20" not in text


def test_ignored_objects_are_counted_per_kind() -> None:
    text = render_text(plan_with(ignored={"participants": 3, "accounts": 1}))
    assert "Ignored (match an ignore glob; never changed or deleted): participants 3, accounts 1.\n" in text


def test_the_summary_line_counts_each_action_type_and_the_unchanged(full_plan: Plan) -> None:
    assert render_text(full_plan).endswith("\nPlan: 2 to create, 3 to update, 1 to delete. 3 unchanged.\n")


def test_a_plan_without_actions_says_there_is_nothing_to_do(empty_plan: Plan) -> None:
    assert render_text(empty_plan) == (
        f"Target: {TARGET}\n\nNo changes. The tenant matches the manifests (3 objects unchanged).\n"
    )


def test_deletes_beyond_max_deletes_are_called_out_first_and_last(delete_account: Action) -> None:
    text = render_text(plan_with(delete_account, max_deletes=0))
    refusal = (
        "This plan deletes 1 object, more than --max-deletes 0 allows: apply will refuse it. "
        "Review the deletes, then raise --max-deletes if they are intended."
    )
    assert text.startswith(f'Target: {TARGET}\n\n{refusal}\n\n  # accounts "old-account" will be DELETED\n')
    assert text.endswith(f"{refusal}\n")


def test_deletes_within_max_deletes_are_not_called_out(delete_account: Action) -> None:
    assert "--max-deletes" not in render_text(plan_with(delete_account, max_deletes=1))


def test_without_color_there_are_no_escape_sequences(full_plan: Plan) -> None:
    assert "\x1b" not in render_text(full_plan, color=False)


def test_with_color_signs_are_green_yellow_and_red(full_plan: Plan) -> None:
    text = render_text(full_plan, color=True)
    assert "\x1b[32m+\x1b[0m name: " in text
    assert "\x1b[33m~\x1b[0m displayName: " in text
    assert "\x1b[31m-\x1b[0m address: " in text
    assert ANSI.sub("", text) == render_text(full_plan)


def test_control_characters_in_names_and_values_are_escaped() -> None:
    hostile = "evil\x1b[2J\nname\u202e"
    action = Action("create", "participants", hostile, changes=[Change("name", MISSING, hostile)])
    text = render_text(plan_with(action, warnings=[f"about {hostile}"]))
    assert "\x1b" not in text and "\u202e" not in text
    assert '  # participants "evil\\u001b[2J\\nname\\u202e" will be created\n' in text
    assert "Warning: about evil\\u001b[2J\\u000aname\\u202e\n" in text
