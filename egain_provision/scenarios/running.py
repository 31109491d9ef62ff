"""Running scenarios through a Conversation Hub: the customer's side of the Conversation API, and
the sandbox's admin endpoints for what only the sandbox can show (deliveries, agents, its clock).

The customer receives replies as `GET /conversations/{id}` shows them: messages to the customer,
with status `sent` once the hub delivered them (or when no customer application is configured).
Waits poll with a bounded backoff until the step's timeout.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx

from egain_provision.scenarios.loading import Scenario, Step

BASE_PATH = "/conversation/conversationmgr/v3"
ADMIN_PATH = "/_sandbox"
TOKEN_PATH = "/oauth2/token"
SANDBOX_CLIENT = ("sandbox-client", "sandbox-secret")  # the sandbox's documented, public client
SCOPE = "https://api.egain.cloud/auth/.default"
FIRST_POLL, MAX_POLL = 0.05, 0.5
NEEDS_SANDBOX = "needs the sandbox's admin endpoints (/_sandbox/...), which this target does not have"


class TargetProblem(Exception):
    """The target cannot be used at all (no token, not reachable); ends the run."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass
class StepResult:
    """How one step ended: passed, failed, unknown (not establishable here) or skipped."""

    step: Step
    status: str
    seconds: float = 0.0
    expected: str | None = None
    received: str | None = None


@dataclass
class ScenarioResult:
    """A scenario's steps' results and the conversation it ran in."""

    scenario: Scenario
    steps: list[StepResult] = field(default_factory=list)
    conversation: str | None = None

    @property
    def status(self) -> str:
        """failed if a step failed, else unknown if one could not be established, else passed."""
        statuses = {result.status for result in self.steps}
        return "failed" if "failed" in statuses else "unknown" if "unknown" in statuses else "passed"


class Outcome(Exception):
    """A step's verdict, raised from deep inside it."""

    def __init__(self, status: str, expected: str | None = None, received: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.expected = expected
        self.received = received


class HubTarget:
    """The target's API (base URL) and root (token, admin), with a client-credentials token."""

    def __init__(self, url: str, credentials: dict[str, str], *, timeout: float = 30.0) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise TargetProblem(f"target {url!r} is not an http(s) URL", "pass the served sandbox's URL")
        trimmed = url.rstrip("/")
        self.root = trimmed.removesuffix(BASE_PATH)
        self.base = self.root + BASE_PATH
        self.credentials = credentials
        self.http = httpx.Client(timeout=timeout)
        self._token: str | None = None
        self._is_sandbox: bool | None = None

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    def api(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """A Conversation or setup API call with the bearer token (renewed once on a 401)."""
        for _ in range(2):
            headers = {"Authorization": f"Bearer {self._bearer()}"}
            response = self._send(method, self.base + path, json=body, headers=headers)
            if response.status_code != 401:
                return response
            self._token = None
        return response

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """A sandbox admin call's JSON answer; Outcome(unknown) when the target has no admin endpoints."""
        if not self.is_sandbox():
            raise Outcome("unknown", NEEDS_SANDBOX)
        response = self._send(method, self.root + ADMIN_PATH + path, json=body)
        if not response.is_success:
            raise Outcome("failed", f"the sandbox accepts {method} {ADMIN_PATH}{path}", _error_text(response))
        return response.json()

    def is_sandbox(self) -> bool:
        """True when the target answers the sandbox's admin endpoints."""
        if self._is_sandbox is None:
            try:
                probe = self.http.get(self.root + ADMIN_PATH + "/agents")
            except httpx.HTTPError:
                probe = None
            self._is_sandbox = probe is not None and probe.status_code == 200
        return self._is_sandbox

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise TargetProblem(
                f"cannot reach {self.root} ({type(exc).__name__})", "start it (egain-provision sandbox serve)"
            ) from None

    def _bearer(self) -> str:
        if self._token is None:
            creds = self.credentials
            form = {"grant_type": "client_credentials", "client_id": creds["client_id"]}
            form |= {"client_secret": creds["client_secret"], "scope": creds["scope"]}
            response = self._send("POST", creds["token_url"], data=form)
            token = response.json().get("access_token") if _is_json_object(response) else None
            if not response.is_success or not isinstance(token, str):
                raise TargetProblem(
                    f"the token endpoint {creds['token_url']} answered {response.status_code} without a token",
                    "check EGAIN_TOKEN_URL, EGAIN_CLIENT_ID and EGAIN_CLIENT_SECRET (unset, the sandbox's client)",
                )
            self._token = token
        return self._token


def credentials_from(environ: dict[str, str], root: str) -> dict[str, str]:
    """EGAIN_TOKEN_URL / EGAIN_CLIENT_ID / EGAIN_CLIENT_SECRET / EGAIN_SCOPE, else the sandbox's client."""
    client_id, client_secret = SANDBOX_CLIENT
    return {
        "token_url": environ.get("EGAIN_TOKEN_URL") or root.rstrip("/").removesuffix(BASE_PATH) + TOKEN_PATH,
        "client_id": environ.get("EGAIN_CLIENT_ID") or client_id,
        "client_secret": environ.get("EGAIN_CLIENT_SECRET") or client_secret,
        "scope": environ.get("EGAIN_SCOPE") or SCOPE,
    }


def poll(check: Callable[[], bool], timeout: float) -> bool:
    """Call `check` until it returns True or `timeout` seconds pass, backing off up to 0.5 s."""
    deadline = time.monotonic() + timeout
    delay = FIRST_POLL
    while True:
        if check():
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, MAX_POLL)


class Runner:
    """Runs one scenario after another against one target."""

    def __init__(self, target: HubTarget) -> None:
        self.target = target

    def run(self, scenario: Scenario) -> ScenarioResult:
        """Every step in order; after a failed step the rest are skipped."""
        conversation = CustomerSide(self.target, scenario)
        result = ScenarioResult(scenario)
        if self.target.is_sandbox():
            # Each scenario starts with agents online, whatever the one before left.
            self.target.admin("PUT", "/agents", {"available": True})
        for step in scenario.steps:
            if result.status == "failed":
                result.steps.append(StepResult(step, "skipped"))
                continue
            started = time.monotonic()
            try:
                conversation.perform(step)
                outcome = Outcome("passed")
            except Outcome as raised:
                outcome = raised
            result.steps.append(
                StepResult(step, outcome.status, time.monotonic() - started, outcome.expected, outcome.received)
            )
        result.conversation = conversation.id
        return result


class CustomerSide:
    """One scenario's conversation as its customer sees it."""

    def __init__(self, target: HubTarget, scenario: Scenario) -> None:
        self.target = target
        self.scenario = scenario
        self.id: str | None = None
        # Transcript ids from before the customer last wrote: what a wait must not count.
        self.before: set[str] = set()

    def perform(self, step: Step) -> None:
        """Do the step; raise Outcome unless it passed."""
        actions: dict[str, Callable[[Any, float], None]] = {
            "say": self.say,
            "expectDelivery": self.expect_delivery,
            "waitForReplyContaining": self.wait_containing,
            "waitForReplyMatching": self.wait_matching,
            "agents": self.agents,
            "advanceClock": self.advance_clock,
            "end": self.end,
        }
        actions[step.action](step.value, step.timeout)

    def say(self, text: str, timeout: float) -> None:
        """The customer writes `text` (starting the conversation the first time)."""
        self.before = {entry["id"] for entry in self._transcript()} if self.id else set()
        message = self._message("text", {"content": {"text": text}})
        self._send(message, f"the hub accepts the customer's message {text!r}")

    def end(self, _value: Any, timeout: float) -> None:
        """The customer ends the conversation."""
        self._need_conversation("end")
        self._send(self._message("conversation.end", {}), "the hub accepts conversation.end")

    def agents(self, value: str, timeout: float) -> None:
        """Agents go on- or offline in the sandbox."""
        self.target.admin("PUT", "/agents", {"available": value == "available"})

    def advance_clock(self, seconds: float, timeout: float) -> None:
        """The sandbox hub's clock moves forward."""
        self.target.admin("POST", "/clock", {"advance": seconds})

    def expect_delivery(self, value: dict[str, str], timeout: float) -> None:
        """Since the customer last wrote, a delivery to `value['to']` answered 2xx."""
        self._need_conversation("expectDelivery")
        wanted = value["to"]
        seen: list[dict[str, Any]] = []

        def settled() -> bool:
            seen[:] = [r for r in self.target.admin("GET", f"/deliveries?conversation={self.id}") if self._new(r)]
            if any(_is_to(r, wanted) and r.get("outcome") == "delivered" for r in seen):
                return True
            # A delivery to it that failed for good (the message is marked failed): no need to wait on.
            tried = {(r.get("message") or {}).get("id") for r in seen if _is_to(r, wanted)}
            return bool(tried) and any(e["id"] in tried and e.get("status") == "failed" for e in self._transcript())

        if not poll(settled, timeout) or not any(_is_to(r, wanted) and r.get("outcome") == "delivered" for r in seen):
            expected = f"a delivery to {wanted!r} answered 2xx within {timeout:g} s"
            received = "; ".join(_delivery_text(r) for r in seen) or "no delivery attempt since the customer last wrote"
            raise Outcome("failed", expected, received)

    def wait_containing(self, text: str, timeout: float) -> None:
        """The customer received a text containing `text` (case-insensitive)."""
        self._wait_reply(lambda reply: text.casefold() in reply.casefold(), f"a reply containing {text!r}", timeout)

    def wait_matching(self, pattern: str, timeout: float) -> None:
        """The customer received a text that `pattern` finds."""
        regex = re.compile(pattern)
        self._wait_reply(lambda reply: regex.search(reply) is not None, f"a reply matching /{pattern}/", timeout)

    def _wait_reply(self, matches: Callable[[str], bool], what: str, timeout: float) -> None:
        self._need_conversation("a wait for a reply")
        replies: list[dict[str, Any]] = []

        def arrived() -> bool:
            replies[:] = [
                entry for entry in self._transcript() if _to_customer(entry) and entry["id"] not in self.before
            ]
            return any(entry.get("status") == "sent" and matches(_text(entry)) for entry in replies)

        if not poll(arrived, timeout):
            received = "; ".join(_reply_text(entry) for entry in replies) or "no reply since the customer last wrote"
            raise Outcome("failed", f"{what} within {timeout:g} s", received)

    def _new(self, record: dict[str, Any]) -> bool:
        return (record.get("message") or {}).get("id") not in self.before

    def _need_conversation(self, what: str) -> None:
        if self.id is None:
            raise Outcome("failed", f"a conversation before {what}", "none: a `say` step must come first")

    def _message(self, type_value: str, extra: dict[str, Any]) -> dict[str, Any]:
        if self.id is None:
            channel_type, address = self._account_address()
            conversation: dict[str, Any] = {"account": {"channel": {"type": channel_type}, "address": address}}
        else:
            conversation = {"id": self.id}
        sender = {"type": "customer", "participant": {"name": self.scenario.customer}}
        message = {"messageId": str(uuid.uuid4()), "conversation": conversation, "type": {"value": type_value}}
        return {**message, **extra, "sender": sender}

    def _send(self, message: dict[str, Any], expected: str) -> None:
        response = self.target.api("POST", "/conversations/messages", {"messages": {"message": [message]}})
        if response.status_code != 202:
            raise Outcome("failed", expected, _error_text(response))
        accepted = response.json()["messages"]["message"][0]
        self.id = self.id or (accepted.get("conversation") or {}).get("id")

    def _transcript(self) -> list[dict[str, Any]]:
        response = self.target.api("GET", f"/conversations/{self.id}")
        if response.status_code == 404 and not self.target.is_sandbox():
            raise Outcome("unknown", "a conversation in progress readable through GET /conversations/{id}")
        if not response.is_success:
            raise Outcome("failed", "the conversation is readable", _error_text(response))
        messages: list[dict[str, Any]] = ((response.json().get("messages") or {}).get("message")) or []
        return messages

    def _account_address(self) -> tuple[str, str]:
        account = _find_by_name(self.target, "accounts", self.scenario.account)
        if account is None:
            raise Outcome("failed", f"an account named {self.scenario.account!r}", "no such account in the target")
        channel_id = (account.get("channel") or {}).get("id")
        response = self.target.api("GET", f"/channels/{channel_id}")
        if not response.is_success:
            raise Outcome("failed", f"the channel of account {self.scenario.account!r}", _error_text(response))
        return str(response.json().get("type")), str(account.get("address"))


def _find_by_name(target: HubTarget, collection: str, name: str) -> dict[str, Any] | None:
    """The object of `collection` named `name`, reading the list page by page (at most 100 pages)."""
    for page in range(1, 101):
        response = target.api("GET", f"/{collection}?$pagenum={page}&$pagesize=100")
        if response.status_code in (204, 404):
            return None
        if not response.is_success:
            raise Outcome("failed", f"the {collection} are readable", _error_text(response))
        body = response.json()
        items = (
            next((value for value in body.values() if isinstance(value, list)), []) if isinstance(body, dict) else []
        )
        for item in items:
            if isinstance(item, dict) and item.get("name") == name:
                return item
        if len(items) < 100:
            return None
    return None


def _is_to(record: dict[str, Any], wanted: str) -> bool:
    to = record.get("to") or {}
    return wanted in (to.get("application"), to.get("participant"))


def _delivery_text(record: dict[str, Any]) -> str:
    to = record.get("to") or {}
    who = to.get("participant") or to.get("application") or to.get("role")
    auth = (record.get("auth") or {}).get("scheme", "none")
    status = record.get("status")
    text = f"{(record.get('message') or {}).get('type')} to {who}: {record.get('outcome')}"
    text += f" ({status})" if status is not None else ""
    text += f", auth {auth}"
    return text + (f": {record['error']}" if record.get("error") else "")


def _to_customer(entry: dict[str, Any]) -> bool:
    recipients = (entry.get("recipients") or {}).get("recipient") or [{}]
    return bool(recipients[0].get("type") == "customer")


def _text(entry: dict[str, Any]) -> str:
    text = (entry.get("content") or {}).get("text")
    return text if isinstance(text, str) else ""


def _reply_text(entry: dict[str, Any]) -> str:
    shown = repr(_text(entry)) if _text(entry) else (entry.get("type") or {}).get("value", "?")
    status = entry.get("status")
    return shown if status == "sent" else f"{shown} (not delivered: {status})"


def _error_text(response: httpx.Response) -> str:
    body = response.json() if _is_json_object(response) else {}
    detail = f" {body.get('code')}: {body.get('developerMessage')}" if body.get("code") else ""
    return f"{response.status_code}{detail}"


def _is_json_object(response: httpx.Response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False
