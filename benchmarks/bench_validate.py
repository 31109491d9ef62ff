"""Validate a generated 3,000-object manifest (375 setups x 8 objects) and print the wall time.

Run: .venv/bin/python -m benchmarks.bench_validate
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from pathlib import Path

from egain_provision.cli import main

SETUPS = 375

KINDS_TEMPLATE = {
    "authentications": """  - name: auth-{n}
    type: oauth2
    oauth2:
      tokenRequestUrl: https://bots{n}.example.com/oauth/token
      method: POST
      headers: [{{name: Content-Type, value: application/json}}]
      payload: ${{env:EGAIN_VAR_BENCH_PAYLOAD}}
      accessTokenPath: $.accessToken
""",
    "clientApplications": """  - name: customer-{n}
    roles:
      - {{name: customer, version: v3, callback: "https://chat{n}.example.com/cb", notificationEmail: ops@example.com}}
  - name: bot-app-{n}
    description: Bot number {n}
    roles:
      - name: custom_bot
        version: v3
        callback: https://bots{n}.example.com/cb
        notificationEmail: ops@example.com
        headers: [{{name: X-Tenant, value: t{n}}}]
        authentication: auth-{n}
  - name: agents-{n}
    roles:
      - name: custom_agent
        version: v3
        callback: https://agents{n}.example.com/cb
        notificationEmail: ops@example.com
        authentication: auth-{n}
""",
    "participants": """  - name: bot-{n}
    type: custom_bot
    application: bot-app-{n}
    intents:
      intent:
        - {{value: order_status, displayValue: Order status}}
        - {{value: sales, displayValue: Sales}}
""",
    "channels": """  - type: custom.web-{n}
    displayName: Web chat {n}
    icon: iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==
    restrictions:
      inbound: {{maxTextLength: 800, features: [typing_events, attachments]}}
      outbound: {{maxTextLength: 800, systemMessages: true, richMessageTypes: [quickreply]}}
    l10nProperties:
      - language: en-US
        properties: [{{name: msg_hub_off_hours, value: We are closed.}}]
""",
    "orchestrations": """  - name: flow-{n}
    applications:
      botConfiguration:
        forwardTranscript: true
        bots:
          - application: bot-app-{n}
            participant: bot-{n}
            onEscalation: {{agent: agents-{n}}}
      customerConfiguration: {{customer: customer-{n}}}
""",
    "accounts": """  - name: account-{n}
    address: "+1555{n:07d}"
    channel: custom.web-{n}
    chatConfigurations:
      timeout: 30
      onAgentUnavailability: off_hours
      orchestration: flow-{n}
      entryPoint: {{id: "1001"}}
""",
}


def generate(directory: Path, setups: int = SETUPS) -> Path:
    """One manifest file declaring `setups` x 8 objects."""
    parts = ["version: 1\n"]
    for kind, template in KINDS_TEMPLATE.items():
        parts.append(f"{kind}:\n")
        parts.extend(template.format(n=n) for n in range(setups))
    path = directory / "bench.yaml"
    path.write_text("".join(parts), "utf-8")
    return path


def timed_validate(path: Path) -> tuple[int, float]:
    """Exit code and wall seconds of `egain-provision validate --format json PATH`, in process."""
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["validate", "--format", "json", str(path)])
    return code, time.perf_counter() - started


def run() -> None:
    """Generate the manifest, then time a first run (schema compiled) and the best of three more."""
    os.environ["EGAIN_VAR_BENCH_PAYLOAD"] = '{"clientId": "bench", "clientSecret": "bench"}'
    objects = SETUPS * 8
    with tempfile.TemporaryDirectory() as tmp:
        path = generate(Path(tmp))
        size = path.stat().st_size
        code, first = timed_validate(path)
        best = min(timed_validate(path)[1] for _ in range(3))
    print(f"validate: {objects} objects ({SETUPS} setups x 8), one {size / 1e6:.1f} MB file, exit {code}")
    print(
        f"  first run (includes building the schema validators): {first:.3f} s ({first / objects * 1e6:.0f} us/object)"
    )
    print(f"  best of 3 further runs:                              {best:.3f} s ({best / objects * 1e6:.0f} us/object)")


if __name__ == "__main__":
    run()
