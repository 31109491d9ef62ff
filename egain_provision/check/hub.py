"""What the Hub does for one role, done once over real HTTP: credentials, one discardable message, renewal on 401.

Nothing is sent before the hosts of the token endpoint and of the callback are both allowed
(hosts.py); no redirect is followed; every answer is read up to MAX_ANSWER_BYTES; no value sent
or received (payload, password, token, header value) appears in a `Step`, only statuses, timings
and the member names of a token answer.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from egain_provision.check.hosts import HostPolicy, host_of
from egain_provision.check.report import STEPS, RoleResult, Step
from egain_provision.check.roles import Authentication, CallbackRole
from egain_provision.check.tokenpath import TokenPathError, find_token, parse_token_path

# eGain: "Callback APIs needs to respond within 5 seconds."
CALLBACK_SECONDS = 5.0
TOKEN_SECONDS = 10.0
# A token answer is a small JSON object; a callback's answer is not read at all beyond this.
MAX_ANSWER_BYTES = 64 * 1024
# Clients "must discard" message types they do not support, and custom ones start with `custom.`.
MESSAGE_TYPE = "custom.egain-provision.check"
MAX_KEYS_SHOWN = 20


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: its status, its body (at most MAX_ANSWER_BYTES) and the seconds until its headers."""

    status: int
    body: bytes
    seconds: float
    truncated: bool


class Unanswered(Exception):
    """No HTTP answer; the message says why in words that hold no sent value."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


def check_message(role: CallbackRole) -> dict[str, object]:
    """The one message sent to a callback, shaped as the spec's callback examples, of a `custom.` type."""
    return {
        "metadata": {"attributes": [{"name": "version", "value": role.version}]},
        "messages": {
            "message": [
                {
                    "id": str(uuid.uuid4()),
                    "messageId": str(uuid.uuid4()),
                    "type": {"value": MESSAGE_TYPE},
                    "conversation": {"id": str(uuid.uuid4())},
                    "content": {"text": "egain-provision check: a test message; discard it.", "redact": False},
                    "sender": {"type": "customer", "participant": {"name": "egain-provision check"}},
                    "recipients": {"recipient": [{"type": role.role}]},
                    "created": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                }
            ]
        },
    }


class Hub:
    """Checks roles one at a time through one HTTP client; `on_secret` hears every token received."""

    def __init__(
        self,
        client: httpx.Client,
        policy: HostPolicy,
        *,
        on_secret: Callable[[str], None],
        callback_seconds: float = CALLBACK_SECONDS,
        token_seconds: float = TOKEN_SECONDS,
    ) -> None:
        self.client = client
        self.policy = policy
        self.on_secret = on_secret
        self.callback_seconds = callback_seconds
        self.token_seconds = token_seconds

    def check(self, role: CallbackRole) -> RoleResult:
        """The four steps for `role`, each answered or marked as not run."""
        auth = role.authentication
        return RoleResult(
            application=role.application,
            role=role.role,
            callback=role.callback_shown,
            authentication=auth.name if auth else None,
            location=role.location,
            steps=tuple(_complete(self._steps(role))),
        )

    def _steps(self, role: CallbackRole) -> list[Step]:
        auth = role.authentication
        if role.unresolved:
            return [
                Step(
                    "token_endpoint",
                    "unknown",
                    f"{role.unresolved}, so its credentials are unknown and nothing was sent",
                    "declare that authentication in the manifests given to check, or check this role by hand",
                )
            ]
        refused = self._refusals(role)
        if auth is None or auth.type != "oauth2":
            without = "basic authentication" if auth else "no authentication declared"
            skipped = [Step(key, "skip", f"{without}: no token") for key in ("token_endpoint", "token_path")]
            return skipped + (refused or self._deliver(role, None if auth is None else _basic(auth), renew=None))
        if refused:
            return refused
        fetched, token = self.fetch_token(auth)
        if token is None:
            return fetched
        return fetched + self._deliver(role, f"Bearer {token}", renew=lambda: self.fetch_token(auth))

    def _refusals(self, role: CallbackRole) -> list[Step]:
        """A failed step for each host that may not receive what check would send it."""
        auth = role.authentication
        steps = []
        if auth is not None and auth.type == "oauth2":
            host = self.policy.refuses(str(auth.oauth2.get("tokenRequestUrl", "")))
            if host is not None:
                steps.append(_refused("token_endpoint", f"authentication `{auth.name}`: tokenRequestUrl", host))
        host = self.policy.refuses(role.callback)
        if host is not None:
            steps.append(_refused("callback", f"{role.label}: callback", host))
        return steps

    def fetch_token(self, auth: Authentication) -> tuple[list[Step], str | None]:
        """The token endpoint's steps and the token, as the Hub asks for it (None when it could not)."""
        oauth2 = auth.oauth2
        method = str(oauth2.get("method", "POST"))
        what = f"authentication `{auth.name}`: {method} {auth.token_url_shown}"
        headers = [(str(h.get("name", "")), str(h.get("value", ""))) for h in oauth2.get("headers") or ()]
        payload = str(oauth2.get("payload", "")).encode("utf-8")
        try:
            answer = self._send(method, str(oauth2.get("tokenRequestUrl", "")), headers, payload, self.token_seconds)
        except Unanswered as exc:
            hint = "check tokenRequestUrl and that the token endpoint is up and reachable from here"
            return [Step("token_endpoint", "fail", f"{what}: {exc}", hint)], None
        if not 200 <= answer.status < 300:
            return [
                Step("token_endpoint", "fail", f"{what} answered {answer.status}", _token_status_hint(answer))
            ], None
        reached = Step("token_endpoint", "pass", f"{what} answered {answer.status} in {answer.seconds:.2f} s")
        found, token = self._read_token(auth, answer)
        return [reached, found], token

    def _read_token(self, auth: Authentication, answer: Answer) -> tuple[Step, str | None]:
        path = str(auth.oauth2.get("accessTokenPath", ""))
        where = f"authentication `{auth.name}`"
        try:
            steps = parse_token_path(path)
        except TokenPathError as exc:
            return Step("token_path", "fail", f"{where}: {exc}", "fix accessTokenPath in the authentication"), None
        if answer.truncated:
            return Step("token_path", "fail", f"{where}: the token answer is over {MAX_ANSWER_BYTES} bytes"), None
        try:
            document = json.loads(answer.body)
        except ValueError:
            hint = "the token endpoint must answer JSON; check the method, headers (Accept) and payload it expects"
            return Step("token_path", "fail", f"{where}: the token answer is not JSON", hint), None
        lookup = find_token(document, steps)
        if lookup.token is not None:
            self.on_secret(lookup.token)
            return Step("token_path", "pass", f"{where}: token found at accessTokenPath `{path}`"), lookup.token
        return _token_not_found(where, path, lookup.stopped_at, lookup.keys, lookup.found_type), None

    def _deliver(
        self, role: CallbackRole, authorization: str | None, renew: Callable[[], tuple[list[Step], str | None]] | None
    ) -> list[Step]:
        """The callback and renewal steps: one message, and on a 401 one fresh token and one retry."""
        first = self._post(role, authorization)
        if not isinstance(first, Answer) or first.status != 401:
            return [self._answered(role, first), Step("renewal", "skip", "not needed: the callback did not answer 401")]
        if renew is None:
            return [_refused_without_token(role), Step("renewal", "skip", "no token to renew")]
        fetched, token = renew()
        if token is None:
            failed = next(step for step in fetched if step.status == "fail")
            return [
                Step("callback", "fail", f"{role.label}: answered 401", "see the renewal"),
                Step("renewal", "fail", f"a fresh token could not be had: {failed.detail}", failed.hint),
            ]
        second = self._post(role, f"Bearer {token}")
        if isinstance(second, Answer) and second.status == 401:
            hint = (
                "the callback refuses tokens from this tokenRequestUrl: make the bot accept the tokens that "
                "endpoint issues, or point the authentication at the endpoint the bot trusts"
            )
            return [
                Step("callback", "fail", f"{role.label}: answered 401, and 401 again with a fresh token", hint),
                Step("renewal", "fail", f"{role.label}: a fresh token did not help", hint),
            ]
        retried = self._answered(role, second, after="after a 401 and a fresh token, ")
        if retried.status == "pass":
            return [retried, Step("renewal", "pass", f"{role.label}: after a 401, a fresh token was accepted")]
        return [retried, Step("renewal", "fail", f"{role.label}: after a 401 and a fresh token, the retry failed too")]

    def _answered(self, role: CallbackRole, answer: Answer | Unanswered, after: str = "") -> Step:
        """The callback step for one answer (or none)."""
        label = f"{role.label}: {role.callback_shown}"
        if isinstance(answer, Unanswered) and answer.timed_out:
            hint = "answer within the limit: acknowledge at once and process the message asynchronously"
            return Step("callback", "fail", f"{label}: {after}{answer}", hint)
        if isinstance(answer, Unanswered):
            hint = "check the callback URL and that the bot is up; the Hub would notify the role's notificationEmail"
            return Step("callback", "fail", f"{label}: {after}{answer}", hint)
        status, seconds = answer.status, answer.seconds
        if 200 <= status < 300 and seconds <= self.callback_seconds:
            return Step("callback", "pass", f"{label}: {after}answered {status} in {seconds:.2f} s")
        if 200 <= status < 300:
            detail = (
                f"{label}: {after}answered {status} after {seconds:.2f} s, over the {self.callback_seconds:g} s limit"
            )
            return Step("callback", "fail", detail, "answer at once and process the message asynchronously")
        return Step("callback", "fail", f"{label}: {after}answered {status}", _callback_status_hint(status))

    def _post(self, role: CallbackRole, authorization: str | None) -> Answer | Unanswered:
        headers = list(role.headers)
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.insert(0, ("Content-Type", "application/json"))
        if authorization is not None:
            headers = [(name, value) for name, value in headers if name.lower() != "authorization"]
            headers.append(("Authorization", authorization))
        body = json.dumps(check_message(role)).encode("utf-8")
        try:
            return self._send("POST", role.callback, headers, body, self.callback_seconds)
        except Unanswered as exc:
            return exc

    def _send(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes, seconds: float) -> Answer:
        """One request, no redirect followed, the answer read up to MAX_ANSWER_BYTES."""
        # The policy was asked before; asked again here so that no path reaches the network without it.
        if self.policy.refuses(url) is not None:
            raise Unanswered(f"not sent: {host_of(url) or 'the host'} is not allowed")
        started = time.monotonic()
        try:
            request = self.client.build_request(method, url, headers=headers, content=body, timeout=seconds)
            response = self.client.send(request, stream=True, follow_redirects=False)
        except httpx.TimeoutException:
            raise Unanswered(f"no answer within {seconds:g} s", timed_out=True) from None
        except httpx.ConnectError:
            raise Unanswered("could not connect") from None
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError) as exc:
            raise Unanswered(f"the request failed ({type(exc).__name__})") from None
        seconds_taken = time.monotonic() - started
        try:
            body_read, truncated = _read_capped(response)
        except httpx.HTTPError as exc:
            raise Unanswered(f"the answer broke off ({type(exc).__name__})") from None
        finally:
            response.close()
        return Answer(response.status_code, body_read, seconds_taken, truncated)


def _read_capped(response: httpx.Response) -> tuple[bytes, bool]:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            return b"".join(chunks)[:MAX_ANSWER_BYTES], True
    return b"".join(chunks), False


def _basic(auth: Authentication) -> str:
    pair = f"{auth.basic_auth.get('username', '')}:{auth.basic_auth.get('password', '')}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def _complete(steps: list[Step]) -> list[Step]:
    """The four steps in order, a step not reached marked as not run."""
    by_key = {step.key: step for step in steps}
    return [by_key.get(key) or Step(key, "skip", "not run: an earlier step did not pass") for key in STEPS]


def _refused(key: str, what: str, host: str) -> Step:
    return Step(
        key,
        "fail",
        f"{what} is on host `{host}`, which is not loopback and not allowed: nothing was sent to it",
        f"if you trust `{host}` with what the Hub would send it, run check with --allow-host {host} "
        "(or EGAIN_PROVISION_ALLOW_HOST)",
    )


def _refused_without_token(role: CallbackRole) -> Step:
    if role.authentication is None:
        hint = "the callback wants credentials: declare an `authentication:` on the role"
    else:
        hint = f"check the username and password of authentication `{role.authentication.name}` against the bot"
    return Step("callback", "fail", f"{role.label}: {role.callback_shown}: answered 401", hint)


def _token_not_found(where: str, path: str, stopped_at: str, keys: tuple[str, ...], found: str | None) -> Step:
    if not keys:
        detail = f"{where}: token not found at accessTokenPath `{path}`; at `{stopped_at}` the answer holds {found}"
        return Step("token_path", "fail", detail, "set accessTokenPath to the member that holds the token")
    shown = ", ".join(_key(key) for key in keys[:MAX_KEYS_SHOWN]) + (", …" if len(keys) > MAX_KEYS_SHOWN else "")
    at = "" if stopped_at == "$" else f" at `{stopped_at}`"
    detail = f"{where}: token not found at accessTokenPath `{path}`; the endpoint answered keys{at}: {shown}"
    likely = next((key for key in keys if "token" in key.lower()), None)
    hint = "set accessTokenPath to the member that holds the token"
    if likely is not None and likely.isidentifier():
        hint += f", e.g. `{stopped_at}.{likely}`"
    return Step("token_path", "fail", detail, hint)


def _key(key: str) -> str:
    printable = "".join(ch if ch.isprintable() else "?" for ch in key)
    return printable[:60] + ("…" if len(printable) > 60 else "")


def _token_status_hint(answer: Answer) -> str:
    if 300 <= answer.status < 400:
        return "redirects are not followed: set tokenRequestUrl to the final URL"
    if 400 <= answer.status < 500:
        return "the endpoint refused the request: check the method, headers and payload it expects"
    return "the token endpoint failed: see its logs"


def _callback_status_hint(status: int) -> str:
    if 300 <= status < 400:
        return "redirects are not followed: set the callback to the final URL"
    if status == 403:
        return "the bot refused the request: check the role's headers and authentication against what it expects"
    if 400 <= status < 500:
        return (
            f"the message was of type `{MESSAGE_TYPE}`, which eGain says clients must discard: answer 2xx to "
            "message types the bot does not handle"
        )
    return "the callback failed: see the bot's logs"
