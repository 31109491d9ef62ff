"""Manifests for `check` tests: one authentication and one client application pointed at a test bot."""

from __future__ import annotations

from pathlib import Path

from tests.check.bots import CALLBACK_PATH, TOKEN_PATH, Bot

# Secrets only through ${env:...}, from tests.support.SECRET_ENV.
OAUTH2 = """\
  - name: bot-auth
    type: oauth2
    oauth2:
      tokenRequestUrl: {token_url}
      method: {method}
      headers:
        - {{name: Content-Type, value: application/json}}
        - {{name: X-Token-Client, value: order-bot}}
      payload: ${{env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}}
      accessTokenPath: "{path}"
"""
BASIC = """\
  - name: bot-auth
    type: basic
    basicAuth:
      username: hub-user
      password: ${env:EGAIN_VAR_AGENT_PASSWORD}
"""
APPLICATION = """\
clientApplications:
  - name: order-bot-app
    roles:
      - name: custom_bot
        version: v3
        callback: {callback_url}
        notificationEmail: ops@example.com
        headers:
          - {{name: X-Bot-Tenant, value: acme}}
          - {{name: X-Callback-Token, value: "${{env:EGAIN_VAR_CALLBACK_TOKEN}}"}}
{authentication}"""


def write_setup(
    directory: Path,
    bot: Bot,
    *,
    auth: str = "oauth2",
    method: str = "POST",
    path: str = "$.accessToken",
    token_url: str | None = None,
    callback_url: str | None = None,
    reference: str = "        authentication: bot-auth\n",
) -> Path:
    """setup.yaml in `directory`: `auth` is oauth2, basic or none; URLs default to the bot's."""
    token_url = token_url or bot.url + TOKEN_PATH
    authentications = ""
    if auth == "oauth2":
        authentications = "authentications:\n" + OAUTH2.format(token_url=token_url, method=method, path=path)
    elif auth == "basic":
        authentications = "authentications:\n" + BASIC
    else:
        reference = ""
    application = APPLICATION.format(callback_url=callback_url or bot.url + CALLBACK_PATH, authentication=reference)
    manifest = directory / "setup.yaml"
    manifest.write_text("version: 1\n" + authentications + application, "utf-8")
    return manifest
