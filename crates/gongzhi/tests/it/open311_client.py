"""Drives our Open311 endpoint with the published `georeport` client (PyPI).

usage: open311_client.py ROOT_URL API_KEY

georeport 0.3.1 reads services, definitions and requests (JSON and XML) but has no POST
method; the request is posted form-encoded with `requests`, exactly as the GeoReport v2
spec describes, and then read back through georeport in both formats."""
import sys

import requests
from georeport import GeoReport

root, key = sys.argv[1], sys.argv[2]

for fmt in ("json", "xml"):
    client = GeoReport(root, api_key=key, output_format=fmt)
    services = client.get_service_list()
    if isinstance(services, dict):  # xmltodict gives a dict for a single element
        services = [services]
    codes = [s["service_code"] for s in services]
    assert "noise" in codes and "pothole" in codes, codes
    definition = client.get_service_definition("pothole")
    attrs = definition["attributes"]
    if fmt == "xml":
        attrs = attrs["attribute"]
        attrs = attrs if isinstance(attrs, list) else [attrs]
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

    one = client.get_service_request(request_id)
    assert one["service_request_id"] == request_id, one
    assert one["status"] == "open", one
    assert one["description"] == f"georeport {fmt}: 夜间施工噪声", one
    many = client.get_service_requests(service_request_id=request_id)
    if isinstance(many, dict):
        many = [many]
    assert [r["service_request_id"] for r in many] == [request_id], many
    recent = client.get_service_requests(service_code="noise", status="open")
    if isinstance(recent, dict):
        recent = [recent]
    assert request_id in [r["service_request_id"] for r in recent], recent

print("georeport client: ok")
