//! Study records (学习, issue 16): sessions with library materials and attendance (signed in
//! by the organiser or by oneself), reading assigned from the library and counted from the
//! reader's library progress, hours per person and per unit on a known data set, the
//! formula indicator `study_hours_recorded` whose sources open the counted records, bad
//! input refused without a half-written record, and who must not see or do any of it.

use crate::common::{Backend, District, Server, both_dbs, client, each, send, send_expect};
use serde_json::{Value, json};

struct W {
    s: Server,
}

impl W {
    async fn post(&self, token: Option<&str>, path: &str, body: Value) -> (u16, Value) {
        send(&self.s, "POST", token, path, Some(&body)).await
    }

    async fn get(&self, token: Option<&str>, path: &str) -> (u16, Value) {
        send(&self.s, "GET", token, path, None).await
    }

    async fn html(&self, token: Option<&str>, path: &str) -> (u16, String) {
        let mut r = client().get(format!("{}{path}", self.s.url));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn id_of(&self, token: &str) -> i64 {
        self.get(Some(token), "/api/v1/me").await.1["id"]
            .as_i64()
            .unwrap()
    }
}

fn hours_of(v: &Value, user: i64) -> f64 {
    each(&v["people"])
        .find(|p| p["user_id"] == user)
        .unwrap_or_else(|| panic!("no {user} in {v}"))["hours"]
        .as_f64()
        .unwrap()
}

both_dbs!(sessions_reading_and_hours_feed_the_study_indicator);
async fn sessions_reading_and_hours_feed_the_study_indicator(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.user_token("boss", "admin").await;
    let plan = "district SD; street S1 in SD; community CA CB in S1";
    let d = District::planned(&s, &admin, plan).await;
    let (sd, ca) = (d.id("SD"), d.id("CA"));
    let [lead, wa1, wa2, wa3, wb] = d
        .staffs("lead=worker@S1 ca_worker=worker@CA ca_reader=viewer@CA ca_viewer=viewer@CA cb_worker=worker@CB")
        .await;
    drop(d);
    let resident = s.user_token("resident", "member").await;
    let author = s.user_token("author", "member").await;
    let doc = s
        .published(&author, &admin, "service-hotline-faq.txt")
        .await;
    let w = W { s };
    let (u1, u2, u3, ub) = (
        w.id_of(&wa1).await,
        w.id_of(&wa2).await,
        w.id_of(&wa3).await,
        w.id_of(&wb).await,
    );
    let year: i64 = chrono::Local::now()
        .format("%Y")
        .to_string()
        .parse()
        .unwrap();
    let session = |unit: i64, minutes: i64, attendees: Vec<i64>, materials: Vec<i64>| {
        json!({"unit_id": unit, "held_on": format!("{year}-03-02"), "title": "学习基层治理条例",
               "minutes": minutes, "host": "社区书记", "materials": materials, "attendees": attendees,
               "notes": "逐条学习并结合网格工作讨论。"})
    };

    // Bad input: 4xx with a message, and nothing written.
    for (body, why) in [
        (session(ca, 0, vec![u1], vec![doc]), "no duration"),
        (session(ca, 90, vec![u1], vec![999_999]), "no such document"),
        (
            session(ca, 90, vec![ub], vec![doc]),
            "not on the unit's staff",
        ),
        (
            json!({"unit_id": ca, "held_on": "3月2日", "title": "t", "minutes": 30, "host": "h"}),
            "bad date",
        ),
    ] {
        let (st, v) = w.post(Some(&wa1), "/api/v1/study/sessions", body).await;
        assert_eq!(st, 400, "{why}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{v}"
        );
    }
    let (_, v) = w.get(Some(&lead), "/api/v1/study/sessions").await;
    assert_eq!(
        v["items"].as_array().unwrap().len(),
        0,
        "nothing half-written"
    );

    // Who may not record a session for the community.
    let body = session(ca, 90, vec![], vec![doc]);
    assert_eq!(
        w.post(None, "/api/v1/study/sessions", body.clone()).await.0,
        401
    );
    assert_eq!(
        w.post(Some(&resident), "/api/v1/study/sessions", body.clone())
            .await
            .0,
        404
    );
    assert_eq!(
        w.post(Some(&wb), "/api/v1/study/sessions", body.clone())
            .await
            .0,
        404,
        "another community"
    );
    assert_eq!(
        w.post(Some(&wa2), "/api/v1/study/sessions", body.clone())
            .await
            .0,
        403,
        "a viewer"
    );

    // The community's worker records a session with two attendees; the street's worker
    // (above it) records a shorter one to which a member of staff signs themselves in.
    let v =
        w.s.post(
            &wa1,
            "/api/v1/study/sessions",
            Some(&session(ca, 90, vec![u1, u2], vec![doc])),
        )
        .await
        .want(201);
    let s1 = v["id"].as_i64().unwrap();
    assert_eq!(v["materials"][0]["document_id"], doc);
    assert_eq!(v["attendance"].as_array().unwrap().len(), 2);
    let v =
        w.s.post(
            &lead,
            "/api/v1/study/sessions",
            Some(&session(ca, 30, vec![], vec![])),
        )
        .await
        .want(201);
    let s2 = v["id"].as_i64().unwrap();
    let me = format!("/api/v1/study/sessions/{s2}/attendance");
    let (st, v) = w.post(Some(&wa3), &me, json!({})).await;
    assert_eq!((st, v["added"].as_i64()), (200, Some(1)), "{v}");
    assert_eq!(
        w.post(Some(&wa3), &me, json!({})).await.1["added"],
        0,
        "once only"
    );
    assert_eq!(
        w.post(Some(&lead), &me, json!({})).await.0,
        403,
        "not the community's own staff"
    );
    assert_eq!(w.post(Some(&wb), &me, json!({})).await.0, 404);
    assert_eq!(
        w.post(Some(&wa2), &me, json!({"user_ids": [u1]})).await.0,
        403,
        "a viewer signs in only themselves"
    );
    assert_eq!(
        w.post(Some(&lead), &me, json!({"user_ids": [ub]})).await.0,
        400
    );

    // Reading assigned by the street to two of the community's staff; one finishes it.
    let assign = format!("/api/v1/study/units/{ca}/assignments");
    let due = format!("{year}-06-30");
    let body = json!({"document_id": doc, "user_ids": [u2, u3], "hours": 2.5, "due_on": due});
    assert_eq!(w.post(Some(&wb), &assign, body.clone()).await.0, 404);
    assert_eq!(w.post(Some(&wa2), &assign, body.clone()).await.0, 403);
    let bad = json!({"document_id": doc, "user_ids": [ub], "hours": 2.5, "due_on": due});
    assert_eq!(w.post(Some(&lead), &assign, bad).await.0, 400);
    let v = send_expect(&w.s, "POST", Some(&lead), &assign, Some(&body), 201).await;
    let ids: Vec<i64> = each(&v["ids"]).map(|i| i.as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    // wa2 is no VIP member: the library keeps their place in the assigned document (and
    // only there), so the reading can finish; nothing else of VIP comes with it.
    let (_, dv) = w.get(Some(&wa2), &format!("/api/v1/documents/{doc}")).await;
    let pages = dv["pages"].as_i64().unwrap();
    let save = |token: &str, page: i64| {
        client()
            .put(format!("{}/api/v1/me/progress/{doc}", w.s.url))
            .bearer_auth(token)
            .json(&json!({"page": page, "device": "office"}))
            .send()
    };
    assert_eq!(
        save(&wa1, 1).await.unwrap().status(),
        403,
        "not assigned to wa1, who is no VIP member either"
    );
    assert_eq!(save(&wa2, pages).await.unwrap().status(), 200);
    assert_eq!(
        w.get(Some(&wa2), "/api/v1/me/progress").await.0,
        403,
        "the synced list of everything read stays a VIP benefit"
    );

    // Hours on the known data: wa1 90 min; wa2 90 min + 2.5 h read; wa3 30 min (reading
    // not finished); three staff on the community.
    let hours = format!("/api/v1/study/units/{ca}/hours?year={year}");
    let (st, v) = w.get(Some(&lead), &hours).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(hours_of(&v, u1), 1.5);
    assert_eq!(hours_of(&v, u2), 4.0);
    assert_eq!(hours_of(&v, u3), 0.5);
    assert_eq!(v["total_hours"], 6.0);
    assert_eq!(v["staff"], 3);
    assert_eq!(v["per_person"], 2.0);
    let finished = ids[0];
    let mut want = vec![
        format!("/study/sessions/{s1}"),
        format!("/study/sessions/{s2}"),
        format!("/study/units/{ca}?year={year}#assignment-{finished}"),
    ];
    let mut got: Vec<String> = serde_json::from_value(v["sources"].clone()).unwrap();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    let (_, mine) = w.get(Some(&wa2), "/api/v1/study/me/hours").await;
    assert_eq!(mine["hours"], 4.0, "{mine}");
    assert_eq!(mine["reading_hours"], 2.5);
    for (token, want) in [(Some(&wb), 404), (Some(&resident), 404), (None, 401)] {
        assert_eq!(w.get(token.map(|t| t.as_str()), &hours).await.0, want);
    }
    assert_eq!(
        w.get(Some(&resident), "/api/v1/study/me/hours").await.0,
        403
    );
    assert_eq!(w.get(None, "/api/v1/study/me/hours").await.0, 401);
    assert_eq!(
        w.get(Some(&resident), "/api/v1/study/sessions").await.0,
        403
    );
    let (_, other) = w.get(Some(&wb), "/api/v1/study/sessions").await;
    assert_eq!(
        other["items"].as_array().unwrap().len(),
        0,
        "another community's sessions stay hidden"
    );
    assert_eq!(
        w.get(Some(&wb), &format!("/api/v1/study/sessions/{s1}"))
            .await
            .0,
        404
    );

    // The formula indicator counts the same records, and each source opens for the unit's
    // staff — and for no one outside it.
    let plan = json!({"district_id": sd, "year": year, "unit_kind": "community", "deadline": 0,
                      "items": [{"code": "study_hours_recorded", "weight": 100.0, "target": 4.0}]});
    w.s.post(&admin, "/api/v1/assessments/plans", Some(&plan))
        .await
        .want(201);
    let (_, sheet) = w
        .get(
            Some(&lead),
            &format!("/api/v1/assessments/{year}/units/{ca}"),
        )
        .await;
    let line = &sheet["indicators"][0];
    assert_eq!(line["code"], "study_hours_recorded", "{sheet}");
    assert_eq!(line["value"], 2.0);
    assert_eq!(line["points"], 50.0, "half the target of 4 h");
    let mut sources: Vec<String> = serde_json::from_value(line["sources"].clone()).unwrap();
    sources.sort();
    assert_eq!(sources, want);
    for src in &sources {
        let (st, page) = w.html(Some(&lead), src).await;
        assert_eq!(st, 200, "{src}");
        let anchor = src.split('#').nth(1).map(|a| format!("id=\"{a}\""));
        assert!(
            anchor.is_none_or(|a| page.contains(&a)),
            "{src} shows the counted row"
        );
        assert_eq!(
            w.html(Some(&wb), src).await.0,
            404,
            "{src} for another community"
        );
        assert_eq!(
            w.html(Some(&resident), src).await.0,
            404,
            "{src} for a resident"
        );
    }

    // The pages: my hours, the session with its material linked to the library.
    let (st, page) = w.html(Some(&wa2), "/study").await;
    assert_eq!(st, 200);
    assert!(page.contains("id=\"my-hours\">4</strong>"), "{page}");
    let (_, page) = w.html(Some(&wa1), &format!("/study/sessions/{s1}")).await;
    assert!(page.contains(&format!("href=\"/documents/{doc}\"")));
    assert!(page.contains("ca_worker") && page.contains("ca_reader"));
    assert_eq!(w.html(Some(&resident), "/study").await.0, 403);
}

both_dbs!(the_study_forms_record_sign_in_and_assign);
async fn the_study_forms_record_sign_in_and_assign(backend: Backend) {
    use crate::common::{PASSWORD, get_html, post_form, web_login};
    let s = Server::start(backend).await;
    let admin = s.user_token("boss", "admin").await;
    let plan = "district FD; street F1 in FD; community FC in F1";
    let d = District::planned(&s, &admin, plan).await;
    let fc = d.id("FC");
    d.staff("fc_worker", "FC", "worker").await;
    d.staff("fc_viewer", "FC", "viewer").await;
    drop(d);
    let url = |p: &str| format!("{}{p}", s.url);
    let (web, _) = web_login(&s, "fc_worker", PASSWORD).await;
    let form = get_html(&web, url("/study/sessions/new")).await;
    assert!(form.contains("FC单位"), "{form}");
    let csrf = crate::common::csrf_from(&form);
    let year: i64 = chrono::Local::now()
        .format("%Y")
        .to_string()
        .parse()
        .unwrap();
    let mut fields = vec![
        ("_csrf", csrf.clone()),
        ("unit_id", fc.to_string()),
        ("held_on", format!("{year}-04-01")),
        ("title", "学习社区议事规则".to_string()),
        ("minutes", String::new()),
        ("host", "主任".to_string()),
        ("materials", String::new()),
    ];
    // A missing duration: the form again, with the message and what was typed.
    let r = post_form(&web, url("/study/sessions"), &fields).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("时长须为") && html.contains("学习社区议事规则"),
        "{html}"
    );
    fields[4].1 = "45".into();
    let r = post_form(&web, url("/study/sessions"), &fields).await;
    assert_eq!(r.status(), 303);
    let at = r.headers()["location"].to_str().unwrap().to_string();
    assert!(at.starts_with("/study/sessions/"), "{at}");
    // The viewer signs themselves in with the button; the page then lists them.
    let (viewer, vcsrf) = web_login(&s, "fc_viewer", PASSWORD).await;
    let page = get_html(&viewer, url(&at)).await;
    assert!(
        page.contains("name=\"me\""),
        "a sign-in button for own staff"
    );
    assert!(
        !page.contains("name=\"user\""),
        "no ticking others for a viewer"
    );
    let r = post_form(
        &viewer,
        url(&format!("{at}/attendance")),
        &[("_csrf", vcsrf.as_str()), ("me", "1")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let page = get_html(&viewer, url(&at)).await;
    assert!(
        page.contains("fc_viewer") && !page.contains("name=\"me\""),
        "{page}"
    );
    // The worker assigns reading on the unit's page; a bad document number is shown there.
    let unit = format!("/study/units/{fc}");
    let r = post_form(
        &web,
        url(&format!("{unit}/assignments")),
        &[
            ("_csrf", csrf.as_str()),
            ("document_id", "424242"),
            ("hours", "2"),
            ("due_on", &format!("{year}-10-01")),
            ("user", "1"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("424242"),
        "the refused document is named: {html}"
    );
    let page = get_html(&web, url(&format!("{unit}?year={year}"))).await;
    assert!(
        page.contains("fc_viewer") && page.contains("布置阅读"),
        "{page}"
    );
}
