"""Uses a client generated from reloop's OpenAPI document: register assets, list them,
read one back, and get a typed error. Run by scripts/openapi-client-check."""

import sys

work, base, token = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, work)

from reloop_client import AuthenticatedClient  # noqa: E402
from reloop_client.api.assets import create, get, list_, lookup  # noqa: E402
from reloop_client.api.sites import create as create_site  # noqa: E402
from reloop_client.models import AssetKind, ErrorBody, NewAsset, NewSite, State, WorkloadTier  # noqa: E402

client = AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)

site = create_site.sync(client=client, body=NewSite(name="Generated client site", country="DE"))
assert site is not None and site.country == "DE", site

made = create.sync_detailed(
    client=client,
    body=NewAsset(asset_tag="GEN-1", kind=AssetKind.SERVER, state=State.DEPLOYED,
                  workload_tier=WorkloadTier.CI_BUILD, site_id=site.id),
)
assert made.status_code == 201, made
server = made.parsed
assert server.kind == AssetKind.SERVER and server.state == State.DEPLOYED, server
part = create.sync(client=client, body=NewAsset(asset_tag="GEN-1-D1", kind=AssetKind.DIMM, parent_tag="GEN-1"))
assert part.parent_id == server.id and part.site_id == site.id, part

page = list_.sync(client=client, kind=AssetKind.SERVER, state=State.DEPLOYED)
assert [a.asset_tag for a in page.items] == ["GEN-1"], page
everything = list_.sync(client=client, limit=10)
assert {a.asset_tag for a in everything.items} == {"GEN-1", "GEN-1-D1"}, everything

detail = get.sync(client=client, id=server.id)
assert detail.allowed_transitions and all(isinstance(s, State) for s in detail.allowed_transitions), detail
found = lookup.sync(client=client, code="gen-1-d1")
assert found.id == part.id, found

again = create.sync_detailed(client=client, body=NewAsset(asset_tag="GEN-1", kind=AssetKind.SERVER))
assert again.status_code == 409 and isinstance(again.parsed, ErrorBody), again
assert again.parsed.error.code == "duplicate" and again.parsed.error.field == "asset_tag", again.parsed

print(f"openapi-client-check: a generated client registered {len(everything.items)} assets, listed, read and looked them up, and read a typed 409")
