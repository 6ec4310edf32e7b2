//! Unit boundaries and the overview's map (issue 16): boundaries set through the API
//! (checked, authorised like editing the unit) or loaded from a GeoJSON file by the CLI;
//! the map draws the areas one level down, coloured by the chosen figure, each a link to
//! its own overview — and never an area outside the viewer's scope. The overview's cards
//! open the lists behind their numbers, narrowed to the area.

use crate::common::{
    Backend, District, Server, both_dbs, expect_each, page_text, send, send_expect, status,
};
use serde_json::{Value, json};

fn square(west: f64, south: f64) -> Value {
    json!({ "type": "Polygon", "coordinates": [[[west, south], [west + 0.01, south],
        [west + 0.01, south + 0.01], [west, south + 0.01], [west, south]]] })
}

fn put(id: i64) -> String {
    format!("/api/v1/gov/units/{id}/boundary")
}

/// The SVG map in a page, if it has one.
fn map_of(page: &str) -> Option<&str> {
    let start = page.find("<svg class=\"chart area-map\"")?;
    let end = page[start..].find("</svg>")? + start;
    Some(&page[start..end])
}

both_dbs!(boundaries_are_checked_and_authorised_like_the_unit);
async fn boundaries_are_checked_and_authorised_like_the_unit(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.user_token("boss", "admin").await;
    let plan =
        "district BD; street B1 in BD; community BA in B1; street B2 in BD; community BC in B2";
    let d = District::planned(&s, &admin, plan).await;
    let ba = d.id("BA");
    let [street_admin, other_admin, worker] = d
        .staffs("street_admin=unit_admin@B1 other_admin=unit_admin@B2 worker=worker@BA")
        .await;
    let resident = s.user_token("resident", "member").await;
    let feature = json!({ "type": "Feature", "properties": { "name": "甲" }, "geometry": square(120.0, 30.0) });

    // Who may not: anonymous, a resident, a worker (not an editor), another street.
    let body = Some(&feature);
    expect_each(
        &s,
        &[
            ("PUT", None, &put(ba), body, 401),
            ("PUT", Some(&resident), &put(ba), body, 403),
            ("PUT", Some(&worker), &put(ba), body, 403),
            ("PUT", Some(&other_admin), &put(ba), body, 404),
            ("GET", Some(&worker), &put(ba), None, 404),
        ],
    )
    .await;

    // Bad shapes: 400 with a readable reason, and nothing written.
    let unclosed = json!({ "type": "Polygon", "coordinates": [[[120.0, 30.0], [120.1, 30.0], [120.1, 30.1], [120.0, 30.2]]] });
    let out_of_range = json!({ "type": "Polygon", "coordinates": [[[120.0, 95.0], [120.1, 30.0], [120.1, 30.1], [120.0, 95.0]]] });
    let point = json!({ "type": "Point", "coordinates": [120.0, 30.0] });
    for (bad, says) in [
        (unclosed, "not closed"),
        (out_of_range, "latitude"),
        (point, "Point"),
        (json!({ "type": "Feature", "geometry": null }), "Feature"),
    ] {
        let (st, v) = send(&s, "PUT", Some(&street_admin), &put(ba), Some(&bad)).await;
        assert_eq!(st, 400, "{bad}: {v}");
        assert_eq!(v["error"]["code"], "invalid_boundary");
        assert!(v.to_string().contains(says), "{says}: {v}");
    }
    // 50,001 short positions: under 1 MB, over the point limit.
    let mut ring: Vec<Value> = (0..50_000).map(|i| json!([i % 100, 0])).collect();
    ring.push(json!([0, 0]));
    let many = json!({ "type": "Polygon", "coordinates": [ring] });
    let (st, v) = send(&s, "PUT", Some(&street_admin), &put(ba), Some(&many)).await;
    assert_eq!(st, 400, "{v}");
    assert!(v.to_string().contains("50000"), "{v}");
    let huge = json!({ "type": "Polygon", "coordinates": [[[120.0, 30.0]]], "pad": "x".repeat(1_100_000) });
    let (st, v) = send(&s, "PUT", Some(&street_admin), &put(ba), Some(&huge)).await;
    assert_eq!(st, 413, "{v}");
    assert_eq!(
        status(&s, "GET", Some(&street_admin), &put(ba), None).await,
        404
    );

    // The street's administrator sets it; staff in the unit read it back as GeoJSON.
    let v = send_expect(&s, "PUT", Some(&street_admin), &put(ba), body, 200).await;
    assert_eq!(v["points"], 5);
    let f = send_expect(&s, "GET", Some(&worker), &put(ba), None, 200).await;
    assert_eq!(f["type"], "Feature");
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    assert_eq!(f["properties"]["code"], "BA");
}

both_dbs!(the_map_draws_the_areas_in_scope_and_drills_down);
async fn the_map_draws_the_areas_in_scope_and_drills_down(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.user_token("boss", "admin").await;
    let plan =
        "district MD; street M1 in MD; community MA MB in M1; street M2 in MD; community MC in M2";
    let d = District::planned(&s, &admin, plan).await;
    let (m1, m2, ma, mb, mc) = (d.id("M1"), d.id("M2"), d.id("MA"), d.id("MB"), d.id("MC"));
    let street = d.staff("street", "M1", "viewer").await;
    let centre = d.staff("centre", "MD", "worker").await;

    // Nothing loaded yet: the map says how to load boundaries.
    let page = page_text(&s, &street, "/overview").await;
    assert!(map_of(&page).is_none());
    assert!(page.contains("gongzhi units boundaries"), "empty state");

    // Boundaries for both streets and street 1's communities, from a file via the CLI:
    // matched by code, by name, one matching nothing and one refused.
    let file = json!({ "type": "FeatureCollection", "features": [
        { "type": "Feature", "properties": { "code": "MA" }, "geometry": square(120.00, 30.00) },
        { "type": "Feature", "properties": { "name": "MB单位" }, "geometry": square(120.01, 30.00) },
        { "type": "Feature", "properties": { "code": "M1" }, "geometry": square(120.00, 30.00) },
        { "type": "Feature", "properties": { "code": "M2" }, "geometry": square(120.02, 30.00) },
        { "type": "Feature", "properties": { "code": "NOPE", "name": "不存在的社区" }, "geometry": square(121.0, 30.0) },
        { "type": "Feature", "properties": { "code": "MC" }, "geometry": { "type": "LineString", "coordinates": [[120.0, 30.0], [120.1, 30.1]] } },
    ]});
    let path = s.data.path().join("areas.geojson");
    std::fs::write(&path, file.to_string()).unwrap();
    let out = s.run_cli(&["units", "boundaries", path.to_str().unwrap()], None);
    assert!(out.contains("loaded 4 boundaries"), "{out}");
    assert!(out.contains("NOPE 不存在的社区"), "{out}");
    assert!(out.contains("MC") && out.contains("LineString"), "{out}");
    assert_eq!(
        status(&s, "GET", Some(&centre), &put(mc), None).await,
        404,
        "the refused feature wrote nothing"
    );

    // Street 1's viewer: its two communities, linked to their overviews, nothing of street 2.
    let page = page_text(&s, &street, "/overview?figure=overdue").await;
    let map = map_of(&page).expect("a map");
    assert_eq!(map.matches("<path").count(), 2, "{map}");
    for id in [ma, mb] {
        assert!(map.contains(&format!("/overview?unit={id}&amp;figure=overdue")));
    }
    assert!(!map.contains(&format!("unit={mc}")) && !map.contains("MC单位"));
    assert!(map.contains("<title>MA单位：超期事件 0</title>"), "{map}");
    // Drilling into another street is refused, as the overview itself is.
    assert_eq!(
        status(
            &s,
            "GET",
            Some(&street),
            &format!("/overview?unit={m2}"),
            None
        )
        .await,
        404
    );
    // The centre sees both streets; a street without community shapes shows the empty state.
    let page = page_text(&s, &centre, "/overview?figure=on_time_rate").await;
    let map = map_of(&page).expect("the district's map");
    assert_eq!(map.matches("<path").count(), 2);
    assert!(map.contains(&format!("unit={m1}")) && map.contains(&format!("unit={m2}")));
    let page = page_text(&s, &centre, &format!("/overview?unit={m2}")).await;
    assert!(map_of(&page).is_none() && page.contains("gongzhi units boundaries"));
    // An unknown figure is a readable 400.
    let (st, v) = s.get(&street, "/overview?figure=population").await.parts();
    assert_eq!(st, 400, "{v}");

    // The cards open the lists behind them, narrowed to the area.
    let page = page_text(&s, &centre, &format!("/overview?unit={m1}"))
        .await
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    for href in [
        format!("/cases/supervision?overdue=1&unit={m1}"),
        format!("/needs?state=unmet&unit={m1}"),
        format!("/needs?state=met&unit={m1}"),
        format!("/gov/orgs?unit={ma}"),
    ] {
        assert!(page.contains(&href), "{href}");
    }
    // …and those lists refuse a unit outside the viewer's scope.
    for list in [
        "/api/v1/cases?unit=",
        "/needs?unit=",
        "/cases/supervision?overdue=1&unit=",
    ] {
        let st = status(&s, "GET", Some(&street), &format!("{list}{mc}"), None).await;
        assert_eq!(st, 400, "{list}");
    }
}
