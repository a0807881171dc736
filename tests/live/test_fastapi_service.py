"""The FastAPI example service (examples/fastapi_service.py), called through httpx in
process against embedded FalkorDB, lifespan included (issue 16)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from examples.fastapi_service import create_app


@pytest.mark.asyncio
async def test_the_service_maps_runic_onto_http(graph: Any) -> None:
    app = create_app(graph)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        created = await client.post("/authors", json={"name": "Ada", "email": "ada@x.org"})
        assert created.status_code == 201
        body = created.json()
        assert body["name"] == "Ada" and len(body["id"]) == 32 and "version" not in body
        clash = await client.post("/authors", json={"name": "Eve", "email": "ada@x.org"})
        assert clash.status_code == 409 and "email" in clash.json()["detail"]
        posted = await client.post(f"/authors/{body['id']}/posts", params={"title": "Notes"})
        assert posted.status_code == 201 and posted.json()["posts"][0]["title"] == "Notes"
        found = await client.get(f"/authors/{body['id']}")
        assert found.status_code == 200 and [p["title"] for p in found.json()["posts"]] == ["Notes"]
        assert (await client.get("/authors/nobody")).status_code == 404

        # 40 requests at once share the manager's connections; each gets its own session
        replies = await asyncio.gather(
            *(
                client.post("/authors", json={"name": f"A{i}", "email": f"a{i}@x.org"})
                for i in range(40)
            )
        )
        assert [reply.status_code for reply in replies] == [201] * 40
        listed = await client.get("/authors", params={"limit": 100})
        assert len(listed.json()) == 41
    assert graph.query("MATCH (a:Author) RETURN count(a)").result_set == [[41]]
