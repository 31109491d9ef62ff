"""The Asset API as far as it can be tested offline: a content URL on the sandbox, and no delete once used."""

from __future__ import annotations

import httpx

from egain_provision.sandbox.testing import ServedSandbox
from tests.hub.support import LoopbackBot, build_setup, customer_says, started
from tests.support import Tenant


def test_an_asset_is_uploaded_downloaded_and_kept_once_a_message_used_it(
    hub: ServedSandbox, tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    created = api.post("/assets", json={"channel": {"type": "custom.web"}, "sender": {"type": "customer"},
                                         "name": "bird.jpg", "size": 5})  # fmt: skip
    assert created.status_code == 200
    asset = created.json()
    assert set(asset) == {"id", "contentUrl", "contentUrlExpiry"}
    assert httpx.put(asset["contentUrl"], content=b"four").status_code == 400  # not the declared size
    assert httpx.put(asset["contentUrl"], content=b"bytes").status_code == 204
    assert httpx.get(asset["contentUrl"]).content == b"bytes"
    shown = api.get(f"/assets/{asset['id']}").json()
    assert (shown["name"], shown["contentType"], shown["size"]) == ("bird.jpg", "image/jpeg", 5)

    setup = build_setup(tenant, bot)
    conversation = started(customer_says(api, "a photo", setup=setup))
    message = {"conversation": {"id": conversation}, "type": {"value": "text"}, "content": {"text": "see"},
               "sender": {"type": "customer"}, "attachments": {"attachment": [{"id": asset["id"]}]}}  # fmt: skip
    assert api.post("/conversations/messages", json={"messages": {"message": [message]}}).status_code == 202
    assert api.delete(f"/assets/{asset['id']}").status_code == 400

    spare = api.post("/assets", json={"name": "note.txt", "size": 1}).json()
    assert api.delete(f"/assets/{spare['id']}").status_code == 204
    assert api.get(f"/assets/{spare['id']}").status_code == 404
