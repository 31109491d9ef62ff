"""A recording stand-in of the parts of GitLab's REST API v4 that examples/ci/gitlab-ci.yml calls,
served over HTTP on 127.0.0.1 (a free port) for the length of a `with` block.

It holds one project's merge requests, their notes, pipelines, jobs and job artifacts, answers as
GitLab does (JSON, `X-Next-Page` pagination, 401 without the project access token, 404 for what it
does not hold), and records every request. The test plays the rest of GitLab: it opens and merges
merge requests and, after a plan job ran, registers its pipeline with the artifacts it kept.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

PROJECT_ID = 42
BOT_USER = {"id": 900, "username": "project_42_bot_egain", "name": "egain-provision"}
PERSON = {"id": 17, "username": "reviewer", "name": "A Reviewer"}


@dataclass(frozen=True)
class Recorded:
    """One request as the stand-in received it (the token header left out)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class Project:
    """The state GitLab would hold for the project."""

    merge_requests: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pipelines: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    artifacts: dict[tuple[int, str], bytes] = field(default_factory=dict)
    next_id: int = 1000

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


Answer = tuple[int, Any, dict[str, str]]


class FakeGitLab:
    """Serves `Project` under `/api/v4` to requests that carry `token`; `url` is the CI_API_V4_URL."""

    def __init__(self, token: str, page_size: int = 100) -> None:
        self.token = token
        # GitLab caps per_page at 100; a smaller cap makes a test's few notes span pages.
        self.page_size = page_size
        self.project = Project()
        self.requests: list[Recorded] = []
        self.url = ""
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread: threading.Thread | None = None
        base = rf"/api/v4/projects/{PROJECT_ID}"
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Answer]]] = [
            ("GET", re.compile(r"/api/v4/user"), self._user),
            ("GET", re.compile(rf"{base}/merge_requests/(\d+)"), self._merge_request),
            ("GET", re.compile(rf"{base}/merge_requests/(\d+)/notes"), self._list_notes),
            ("POST", re.compile(rf"{base}/merge_requests/(\d+)/notes"), self._create_note),
            ("PUT", re.compile(rf"{base}/merge_requests/(\d+)/notes/(\d+)"), self._update_note),
            ("GET", re.compile(rf"{base}/repository/commits/(\w+)/merge_requests"), self._commit_merge_requests),
            ("GET", re.compile(rf"{base}/merge_requests/(\d+)/pipelines"), self._pipelines),
            ("GET", re.compile(rf"{base}/pipelines/(\d+)/jobs"), self._jobs),
            ("GET", re.compile(rf"{base}/jobs/(\d+)/artifacts/(.+)"), self._artifact),
        ]

    def __enter__(self) -> FakeGitLab:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-gitlab", daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}/api/v4"
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)

    # What the test does as GitLab.

    def open_merge_request(self, iid: int, sha: str) -> None:
        self.project.merge_requests[iid] = {"iid": iid, "sha": sha, "state": "opened", "merge_commit_sha": None}
        self.project.notes[iid] = []
        self.project.pipelines[iid] = []

    def push(self, iid: int, sha: str) -> None:
        self.project.merge_requests[iid]["sha"] = sha

    def add_note(self, iid: int, author: dict[str, Any], body: str) -> int:
        note_id = self.project.new_id()
        note = {"id": note_id, "body": body, "author": dict(author), "system": False}
        self.project.notes[iid].append(note)
        return note_id

    def finish_pipeline(self, iid: int, sha: str, job: str, status: str, artifacts: dict[str, bytes]) -> int:
        """A merge request pipeline that ran `job` to `status`, keeping `artifacts`; its id."""
        pipeline_id, job_id = self.project.new_id(), self.project.new_id()
        ref = f"refs/merge-requests/{iid}/head"
        self.project.pipelines[iid].insert(0, {"id": pipeline_id, "sha": sha, "ref": ref, "status": status})
        url = f"https://gitlab.example.com/acme/egain-config/-/jobs/{job_id}"
        self.project.jobs[pipeline_id] = [{"id": job_id, "name": job, "status": status, "web_url": url}]
        for path, data in artifacts.items():
            self.project.artifacts[(job_id, path)] = data
        return pipeline_id

    def expire_artifacts(self) -> None:
        self.project.artifacts.clear()

    def merge(self, iid: int, merge_sha: str) -> None:
        self.project.merge_requests[iid].update(state="merged", merge_commit_sha=merge_sha)

    def notes(self, iid: int) -> list[dict[str, Any]]:
        return self.project.notes[iid]

    def calls(self) -> list[tuple[str, str]]:
        """(method, path) of every request, in order."""
        return [(request.method, request.path) for request in self.requests]

    # The API.

    def answer(self, method: str, target: str, token: str | None, body: bytes) -> Answer:
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        parsed = json.loads(body) if body else None
        with self._lock:
            self.requests.append(Recorded(method, parts.path, query, parsed))
            if token != self.token:
                return 401, {"message": "401 Unauthorized"}, {}
            for route_method, pattern, handler in self._routes:
                match = pattern.fullmatch(parts.path)
                if match and route_method == method:
                    return handler(*match.groups(), query=query, body=parsed)
            return 404, {"message": "404 Not Found"}, {}

    def _user(self, *, query: dict[str, list[str]], body: Any) -> Answer:
        return 200, BOT_USER, {}

    def _merge_request(self, iid: str, *, query: dict[str, list[str]], body: Any) -> Answer:
        found = self.project.merge_requests.get(int(iid))
        return (200, found, {}) if found else (404, {"message": "404 Not found"}, {})

    def _list_notes(self, iid: str, *, query: dict[str, list[str]], body: Any) -> Answer:
        size = min(int(query.get("per_page", ["20"])[0]), self.page_size)
        page = int(query.get("page", ["1"])[0])
        # GitLab lists notes newest first.
        notes = list(reversed(self.project.notes[int(iid)]))
        chunk = notes[(page - 1) * size : page * size]
        more = page * size < len(notes)
        return 200, chunk, {"X-Next-Page": str(page + 1) if more else ""}

    def _create_note(self, iid: str, *, query: dict[str, list[str]], body: Any) -> Answer:
        note_id = self.add_note(int(iid), BOT_USER, body["body"])
        return 201, self.project.notes[int(iid)][-1] | {"id": note_id}, {}

    def _update_note(self, iid: str, note_id: str, *, query: dict[str, list[str]], body: Any) -> Answer:
        for note in self.project.notes[int(iid)]:
            if note["id"] == int(note_id):
                if note["author"]["id"] != BOT_USER["id"]:
                    return 403, {"message": "403 Forbidden"}, {}
                note["body"] = body["body"]
                return 200, note, {}
        return 404, {"message": "404 Note Not Found"}, {}

    def _commit_merge_requests(self, sha: str, *, query: dict[str, list[str]], body: Any) -> Answer:
        found = [mr for mr in self.project.merge_requests.values() if sha in (mr["sha"], mr["merge_commit_sha"])]
        return 200, found, {}

    def _pipelines(self, iid: str, *, query: dict[str, list[str]], body: Any) -> Answer:
        return 200, self.project.pipelines.get(int(iid), []), {}

    def _jobs(self, pipeline_id: str, *, query: dict[str, list[str]], body: Any) -> Answer:
        scopes = query.get("scope[]", [])
        jobs = [job for job in self.project.jobs.get(int(pipeline_id), []) if not scopes or job["status"] in scopes]
        return 200, jobs, {}

    def _artifact(self, job_id: str, path: str, *, query: dict[str, list[str]], body: Any) -> Answer:
        data = self.project.artifacts.get((int(job_id), path))
        return (200, data, {}) if data is not None else (404, {"message": "404 Not Found"}, {})


def _handler(fake: FakeGitLab) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, payload, headers = fake.answer(
                self.command, self.path, self.headers.get("PRIVATE-TOKEN"), self.rfile.read(length)
            )
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            kind = "application/octet-stream" if isinstance(payload, bytes) else "application/json"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads `fake.requests`, not a log."""

    return Handler
