"""A user's identities (Zendesk's /api/v2/users/{id}/identities): the primary address and the other ways to reach
the person, each finding the one user."""

from __future__ import annotations

from typing import Any

from tests.support import Pipeline


def _user(p: Pipeline, email: str) -> dict[str, Any]:
    return dict(p.json("POST", "/api/v2/users.json", {"user": {"name": "Dana", "email": email}}, expect=201)["user"])


def test_identities_are_listed_added_shown_and_removed(pipeline: Pipeline) -> None:
    user = _user(pipeline, "dana@customer.example")
    base = f"/api/v2/users/{user['id']}/identities"
    [primary] = pipeline.json("GET", f"{base}.json")["identities"]
    assert (primary["type"], primary["value"], primary["primary"]) == ("email", "dana@customer.example", True)
    phone = pipeline.json("POST", base, {"identity": {"type": "phone_number", "value": "+44 20 7946 0958"}},
                          expect=201)["identity"]
    assert (phone["type"], phone["value"], phone["user_id"]) == ("phone_number", "+442079460958", user["id"])
    whatsapp = pipeline.json("POST", f"{base}.json", {"identity": {"type": "whatsapp", "value": "US.1349120865530"}},
                             expect=201)["identity"]
    assert pipeline.json("GET", f"{base}/{whatsapp['id']}.json")["identity"] == whatsapp
    assert [i["type"] for i in pipeline.json("GET", base)["identities"]] == ["email", "phone_number", "whatsapp"]
    assert pipeline.json("GET", f"/api/v2/users/{user['id']}.json")["user"]["phone"] == "+442079460958"

    found = pipeline.deps().users.find_by_identity("whatsapp", "US.1349120865530")
    assert found is not None and found.id == user["id"]

    assert pipeline.call("DELETE", f"{base}/{phone['id']}").status_code == 204
    assert [i["type"] for i in pipeline.json("GET", base)["identities"]] == ["email", "whatsapp"]
    assert pipeline.deps().users.find_by_identity("phone", "+442079460958") is None


def test_an_identity_belongs_to_one_user_and_bad_ones_are_refused(pipeline: Pipeline) -> None:
    dana, eve = _user(pipeline, "dana@customer.example"), _user(pipeline, "eve@customer.example")
    phone = {"identity": {"type": "phone_number", "value": "+14155550100"}}
    pipeline.json("POST", f"/api/v2/users/{dana['id']}/identities", phone, expect=201)
    taken = pipeline.call("POST", f"/api/v2/users/{eve['id']}/identities", phone)
    assert taken.status_code == 422 and b"already used by another user" in taken.body
    again = pipeline.call("POST", f"/api/v2/users/{dana['id']}/identities", phone)
    assert again.status_code == 422 and b"already an identity" in again.body
    for bad in ({"identity": {"type": "carrier_pigeon", "value": "x"}},
                {"identity": {"type": "phone_number", "value": "call me"}},
                {"identity": {"type": "email", "value": "not an address"}}, {"identity": "x"}, {}):
        assert pipeline.call("POST", f"/api/v2/users/{eve['id']}/identities", bad).status_code in (400, 422), bad
    primary = pipeline.call("DELETE", f"/api/v2/users/{dana['id']}/identities/{dana['id'] * 100}")
    assert primary.status_code == 422
    assert pipeline.call("GET", f"/api/v2/users/{dana['id']}/identities/{dana['id'] * 100 + 42}").status_code == 404
