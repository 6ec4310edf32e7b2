"""Drives our Open311 endpoint with the published `georeport` client (PyPI).

usage: open311_client.py ROOT_URL API_KEY PUBLISHED_ID PUBLISHED_TEXT HIDDEN_ID SECRET

georeport 0.3.1 reads services, definitions and requests (JSON and XML) but has no POST
method and sends no api_key when reading; the request is posted form-encoded with
`requests`, exactly as the GeoReport v2 spec describes. Reading as the public (georeport),
only the case the centre published shows, with its approved text: the client's own new
request, and a resident's case the centre has not published, answer 404. With its api_key
(plain HTTP) the client reads its own request back in full."""
import sys

import requests
from georeport import GeoReport

root, key, published_id, published_text, hidden_id, secret = sys.argv[1:7]


def as_list(x):
    """xmltodict gives a dict for a single element and None for none."""
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def not_found(read):
    try:
        read()
    except requests.HTTPError as e:
        return e.response.status_code == 404
    return False


for fmt in ("json", "xml"):
    client = GeoReport(root, api_key=key, output_format=fmt)
    codes = [s["service_code"] for s in as_list(client.get_service_list())]
    assert "noise" in codes and "pothole" in codes, codes
    definition = client.get_service_definition("pothole")
    attrs = definition["attributes"]
    if fmt == "xml":
        attrs = as_list(attrs["attribute"])
    assert attrs[0]["code"] == "size", definition

    posted = requests.post(
        f"{root}/requests.{fmt}",
        data={"api_key": key, "service_code": "noise", "lat": "30.25", "long": "120.16",
              "description": f"georeport {fmt}: 夜间施工噪声", "first_name": "李"},
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    if fmt == "json":
        request_id = posted.json()[0]["service_request_id"]
    else:
        request_id = posted.text.split("<service_request_id>")[1].split("</service_request_id>")[0]

    # The client's own request, with its key: in full.
    own = requests.get(f"{root}/requests/{request_id}.json", params={"api_key": key}, timeout=30)
    assert own.status_code == 200, own.text
    assert own.json()[0]["description"] == f"georeport {fmt}: 夜间施工噪声", own.text

    # As the public: not published (not accepted), nor the resident's hidden case.
    assert not_found(lambda: client.get_service_request(request_id)), request_id
    assert not_found(lambda: client.get_service_request(hidden_id)), hidden_id

    # The published case, with the approved text only.
    one = client.get_service_request(published_id)
    assert one["service_request_id"] == published_id, one
    assert one["description"] == published_text, one
    many = as_list(client.get_service_requests(service_request_id=f"{published_id},{hidden_id},{request_id}"))
    assert [r["service_request_id"] for r in many] == [published_id], many
    recent = as_list(client.get_service_requests(service_code="noise", status="open"))
    assert [r["service_request_id"] for r in recent] == [published_id], recent
    assert secret not in str(recent) + str(many) + str(one), recent

print("georeport client: ok")
