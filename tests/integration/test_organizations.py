"""Organizations: a requester belongs to one by email domain; triggers read its fields."""

from __future__ import annotations

from tests.support import Pipeline, make_email


def test_organization_fields_route_tickets_of_its_requesters(pipeline: Pipeline) -> None:
    org = pipeline.json("POST", "/api/v2/organizations.json", {"organization": {
        "name": "Acme", "domain_names": ["acme.example"], "organization_fields": {"tier": "gold"}}},
        expect=201)["organization"]
    pipeline.json("POST", "/api/v2/triggers.json", {"trigger": {
        "title": "Gold customers go to the key-account group", "conditions": {"all": [
            {"field": "update_type", "operator": "is", "value": "Create"},
            {"field": "organization_field_tier", "operator": "is", "value": "gold"}], "any": []},
        "actions": [{"field": "group_id", "value": "9"}, {"field": "priority", "value": "high"}]}}, expect=201)
    pipeline.email(make_email(message_id="gold@acme.example", sender="bob@acme.example"))
    pipeline.email(make_email(message_id="other@else.example", sender="eve@else.example"))
    pipeline.dispatcher.drain()
    tickets = sorted(pipeline.json("GET", "/api/v2/tickets.json")["tickets"], key=lambda t: t["id"])
    assert (tickets[0]["organization_id"], tickets[0]["group_id"], tickets[0]["priority"]) == (org["id"], 9, "high")
    assert (tickets[1]["organization_id"], tickets[1]["group_id"]) == (None, None)


def test_organizations_api_validates_and_updates(pipeline: Pipeline) -> None:
    bad = pipeline.call("POST", "/api/v2/organizations.json", {"organization": {"name": "", "domain_names": []}})
    assert bad.status_code == 422
    org = pipeline.json("POST", "/api/v2/organizations", {"organization": {"name": "Initech"}}, expect=201)
    number = org["organization"]["id"]
    updated = pipeline.json("PUT", f"/api/v2/organizations/{number}.json",
                            {"organization": {"organization_fields": {"tier": "silver"}}})
    assert updated["organization"]["organization_fields"] == {"tier": "silver"}
    assert pipeline.call("DELETE", f"/api/v2/organizations/{number}").status_code == 204
    assert pipeline.call("GET", f"/api/v2/organizations/{number}.json").status_code == 404
