//! Issue 12 ("Trust first"), governance part: district-reserved marks, audited changes,
//! the report form's defaults, unit pickers, the staff page, navigation and messages.

use super::*;
use crate::common::{Backend, each, sign_in};

/// The detail of the newest audit entry with this action.
async fn last_audit(s: &Server, action: &str) -> Value {
    let db = s.db().await;
    let (detail,): (String,) = sqlx::query_as(
        "SELECT detail FROM platform_audit WHERE action = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(action)
    .fetch_one(&db)
    .await
    .unwrap();
    serde_json::from_str(&detail).unwrap()
}

/// PUTs `body` to `path` as the bearer of `token` (answered with 200); the detail of the
/// audit entry `action` the change wrote.
async fn audited_put(s: &Server, token: &str, path: &str, body: &Value, action: &str) -> Value {
    s.put(token, path, Some(body)).await.want(200);
    last_audit(s, action).await
}

async fn org_json(w: &World, id: i64) -> Value {
    w.s.get(&w.admin, &format!("/api/v1/gov/orgs/{id}"))
        .await
        .want(200)
}

both_dbs!(brand_marks_are_the_districts_and_changes_are_audited);
/// A community worker cannot award the brand mark or name a leading figure through the
/// organisation record (ADR 011 reserves both for the district); every change is audited
/// field by field.
async fn brand_marks_are_the_districts_and_changes_are_audited(backend: Backend) {
    let w = world(backend).await;
    let path = format!("/api/v1/gov/orgs/{}", w.ma);
    let mut body = org_body("甲社区老年协会", &code(3), w.ca, "member", Some(w.hub));
    for (field, value) in [("brand", json!(true)), ("leading_figure", json!("王领军"))] {
        let mut b = body.clone();
        b[field] = value;
        for who in [&w.worker_a, &w.uadmin_a, &w.street_a] {
            send_expect(&w.s, "PUT", Some(who), &path, Some(&b), 403).await;
        }
    }
    let o = org_json(&w, w.ma).await;
    assert_eq!(
        (o["brand"].as_bool(), o["leading_figure"].as_str()),
        (Some(false), Some(""))
    );
    // Nor by registering a new organisation as a brand one.
    let mut new_org = org_body("新登记的品牌组织", &code(30), w.ca, "member", Some(w.hub));
    new_org["brand"] = json!(true);
    w.s.post(&w.worker_a, "/api/v1/gov/orgs", Some(&new_org))
        .await
        .want(403);

    // Other changes stay the worker's; marks left out of the request keep their value.
    body["volunteers"] = json!(20);
    body.as_object_mut().unwrap().remove("brand");
    body.as_object_mut().unwrap().remove("leading_figure");
    let org_update = "governance.org.update";
    let d = audited_put(&w.s, &w.worker_a, &path, &body, org_update).await;
    assert_eq!(
        d["changes"]["volunteers"],
        json!({"from": 12, "to": 20}),
        "{d}"
    );
    assert_eq!(
        d["changes"].as_object().unwrap().len(),
        1,
        "only what changed: {d}"
    );

    // The district (here the platform administrator) awards; the audit says so.
    body["brand"] = json!(true);
    body["leading_figure"] = json!("王领军");
    let d = audited_put(&w.s, &w.admin, &path, &body, org_update).await;
    assert_eq!(
        d["changes"]["brand"],
        json!({"from": false, "to": true}),
        "{d}"
    );
    assert_eq!(
        d["changes"]["leading_figure"],
        json!({"from": "", "to": "王领军"}),
        "{d}"
    );

    // Units and profiles kept by an organisation's own staff are audited the same way.
    let unit = format!("/api/v1/gov/units/{}", w.ca);
    let profile = format!("/api/v1/gov/orgs/{}/profile", w.ma);
    let kept = [
        (
            &w.uadmin_a,
            &unit,
            json!({ "residents": 5100 }),
            "governance.unit.update",
            json!({"residents": {"from": 5000, "to": 5100}}),
        ),
        (
            &w.org_a,
            &profile,
            json!({ "volunteers": 40 }),
            "governance.org.profile",
            json!({"volunteers": {"from": 20, "to": 40}}),
        ),
    ];
    for (token, path, body, action, changes) in kept {
        let d = audited_put(&w.s, token, path, &body, action).await;
        assert_eq!(d["changes"], changes, "{d}");
    }

    // The worker's form cannot take the marks away either: it shows them read-only and
    // keeps them whatever is posted.
    let c = cookie_client();
    let html = form_page_as(&w.s, &c, "worker_a", &format!("/gov/orgs/{}/edit", w.ma)).await;
    assert!(
        html.contains("name=\"brand\" value=\"1\" checked disabled"),
        "{html}"
    );
    let form = vec![
        ("_csrf", csrf_from(&html)),
        ("name", "甲社区老年协会".into()),
        ("credit_code", code(3)),
        ("org_type", "social_group".into()),
        ("registered_on", "2018-03-15".into()),
        ("legal_rep", "测试人".into()),
        ("unit_id", w.ca.to_string()),
        ("hub_role", "member".into()),
        ("hub_id", w.hub.to_string()),
        ("staff_count", "5".into()),
        ("volunteers", "21".into()),
        ("leading_figure", "".into()),
    ];
    let r = post_form(&c, format!("{}/gov/orgs/{}/edit", w.s.url, w.ma), &form).await;
    assert_eq!(r.status(), 303, "{backend:?}: {}", r.text().await.unwrap());
    let o = org_json(&w, w.ma).await;
    assert_eq!(
        (
            o["brand"].as_bool(),
            o["leading_figure"].as_str(),
            o["volunteers"].as_i64()
        ),
        (Some(true), Some("王领军"), Some(21))
    );
}

/// Signs `who` in on a cookie client and returns the HTML of `path`.
async fn form_page_as(s: &Server, c: &reqwest::Client, who: &str, path: &str) -> String {
    sign_in(s, c, who, PASSWORD).await;
    let r = c.get(format!("{}{path}", s.url)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path} for {who}");
    r.text().await.unwrap()
}

/// Internal links (`href="/…"`) in `html`, or only inside its `<nav>` elements.
fn links(html: &str, nav_only: bool) -> Vec<String> {
    let mut parts: Vec<&str> = Vec::new();
    if nav_only {
        let mut rest = html;
        while let Some(i) = rest.find("<nav") {
            let end = rest[i..]
                .find("</nav>")
                .map(|e| i + e)
                .unwrap_or(rest.len());
            parts.push(&rest[i..end]);
            rest = &rest[end..];
        }
    } else {
        parts.push(html);
    }
    let mut out = Vec::new();
    for p in parts {
        for chunk in p.split("href=\"").skip(1) {
            let href = chunk.split('"').next().unwrap_or("").replace("&amp;", "&");
            let skip = ["/static/", "/lang/", "/logout", "/login", "/register"];
            if href.starts_with('/')
                && !href.starts_with("//")
                && !skip.iter().any(|s| href.starts_with(s))
                && !out.contains(&href)
            {
                out.push(href);
            }
        }
    }
    out
}

/// For every demo role: the pages it lands on and every link in their menus and tabs (and
/// every link on the dashboards) answer neither 403 nor 404 — and plain readers are not
/// offered 社会治理 at all.
#[tokio::test]
async fn navigation_offers_only_what_the_viewer_can_open() {
    let s = Server::start_demo(Backend::Sqlite, "demo-pass-1").await;
    let follow = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let roles = [
        None,
        Some("reader"),
        Some("moderator"),
        Some("admin"),
        Some("gov_district"),
        Some("gov_street1"),
        Some("gov_community1"),
        Some("gov_org1"),
        Some("centre_op"),
        Some("dept_city"),
    ];
    let dashboards = [
        "/gov",
        "/gov/hub",
        "/gov/stats",
        "/gov/my",
        "/gov/staff",
        "/cases/dashboard",
    ];
    for who in roles {
        let token = match who {
            Some(name) => Some(s.login_with(name, "demo-pass-1").await),
            None => None,
        };
        let get = |path: String| {
            let mut r = follow.get(format!("{}{path}", s.url));
            if let Some(t) = &token {
                r = r.bearer_auth(t);
            }
            async move {
                let r = r.send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.text().await.unwrap_or_default())
            }
        };
        let (_, home) = get("/".into()).await;
        let main_menu = links(&home, true);
        if matches!(who, None | Some("reader") | Some("moderator")) {
            assert!(
                !main_menu.iter().any(|l| l.starts_with("/gov")),
                "{who:?} is offered governance: {main_menu:?}"
            );
        }
        let mut queue: Vec<String> = main_menu.clone();
        queue.extend(dashboards.iter().map(|d| d.to_string()));
        let mut seen: Vec<String> = Vec::new();
        let mut failures = Vec::new();
        while let Some(path) = queue.pop() {
            if seen.contains(&path) || seen.len() > 200 {
                continue;
            }
            seen.push(path.clone());
            let (st, html) = get(path.clone()).await;
            let offered = !dashboards.contains(&path.as_str()) || main_menu.contains(&path);
            if offered && (st == 403 || st == 404) {
                failures.push(format!("{path} → {st}"));
                continue;
            }
            if st != 200 {
                continue;
            }
            // Menus and tabs of every page; every link of a dashboard the viewer may open.
            let dash = dashboards.contains(&path.as_str());
            for l in links(&html, !dash) {
                if !seen.contains(&l) {
                    queue.push(l);
                }
            }
        }
        assert!(failures.is_empty(), "{who:?}: {failures:?}");
    }
}

/// The text of an HTML fragment without its tags.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Runs of three or more ASCII-only words: English sentences a Chinese page must not show.
fn english_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    for w in text.split_whitespace() {
        let word = w.trim_matches(|c: char| c.is_ascii_punctuation());
        if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphabetic()) {
            run.push(word);
        } else {
            if run.len() >= 3 {
                runs.push(run.join(" "));
            }
            run.clear();
        }
    }
    if run.len() >= 3 {
        runs.push(run.join(" "));
    }
    runs
}

/// The part of a page that says what went wrong: the error page's card or a form's alert.
fn message_area(html: &str) -> String {
    for (start, end) in [("error-card", "</section>"), ("id=\"form-error\"", "</p>")] {
        if let Some(i) = html.find(start) {
            let rest = &html[i..];
            let j = rest.find(end).unwrap_or(rest.len());
            return text_of(&rest[rest.find('>').map(|k| k + 1).unwrap_or(0)..j]);
        }
    }
    panic!("no message area in {html}");
}

both_dbs!(messages_in_the_chinese_ui_are_chinese);
/// With the Chinese UI a 403 page, a 409 and a validation error speak Chinese (and the
/// form keeps what was typed); the English switch gives English; the API gives both.
async fn messages_in_the_chinese_ui_are_chinese(backend: Backend) {
    let w = world(backend).await;
    let c = cookie_client();
    form_page_as(&w.s, &c, "worker_a", "/gov/orgs/new").await;
    // The language is the reader's cookie, set by the switch (Chinese by default).
    let get = |path: String, lang: &'static str| {
        let c = &c;
        let base = w.s.url.clone();
        async move {
            c.get(format!("{base}/lang/{lang}")).send().await.unwrap();
            let r = c.get(format!("{base}{path}")).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // 403: a worker may not edit the unit.
    let (st, html) = get(format!("/gov/units/{}/edit", w.ca), "zh").await;
    assert_eq!(st, 403, "{backend:?}");
    let msg = message_area(&html);
    assert!(html.contains("无权访问"), "{html}");
    assert!(msg.contains("单位管理员"), "{msg}");
    assert!(english_runs(&msg).is_empty(), "{backend:?}: {msg}");
    let (_, html) = get(format!("/gov/units/{}/edit", w.ca), "en").await;
    let msg = message_area(&html);
    assert!(msg.contains("only unit administrators"), "{msg}");
    get("/".into(), "zh").await;

    // A validation error and a 409 re-show the form, in Chinese, with what was typed.
    let form = get_html(&c, format!("{}/gov/orgs/new", w.s.url)).await;
    let fields = |credit: String| {
        vec![
            ("_csrf".to_string(), csrf_from(&form)),
            ("name".into(), "消息测试组织".into()),
            ("credit_code".into(), credit),
            ("org_type".into(), "social_group".into()),
            ("registered_on".into(), "2020-05-06".into()),
            ("legal_rep".into(), "测试人".into()),
            ("unit_id".into(), w.ca.to_string()),
            ("hub_role".into(), "member".into()),
            ("hub_id".into(), w.hub.to_string()),
        ]
    };
    for (credit, want) in [(corrupt(&code(40)), 400), (code(3), 409)] {
        let r = post_form(&c, format!("{}/gov/orgs", w.s.url), &fields(credit)).await;
        assert_eq!(r.status().as_u16(), want, "{backend:?}");
        let html = r.text().await.unwrap();
        let msg = message_area(&html);
        assert!(english_runs(&msg).is_empty(), "{backend:?} {want}: {msg}");
        assert!(
            msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{msg}"
        );
        assert!(
            html.contains("value=\"消息测试组织\""),
            "the typed values stay"
        );
        assert!(!html.contains("服务器出错了"), "{html}");
    }

    // Linking an unknown account on the organisation's page stays on that page.
    let c2 = cookie_client();
    let html = form_page_as(&w.s, &c2, "uadmin_a", &format!("/gov/orgs/{}", w.ma)).await;
    let r = post_form(
        &c2,
        format!("{}/gov/orgs/{}/staff", w.s.url, w.ma),
        &[
            ("_csrf", csrf_from(&html)),
            ("username", "nobody_here".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), 400, "{backend:?}");
    let html = r.text().await.unwrap();
    let msg = message_area(&html);
    assert!(msg.contains("没有名为 nobody_here 的账号"), "{msg}");
    assert!(html.contains("value=\"nobody_here\"") && html.contains("甲社区老年协会"));

    // The case centre's refusals too.
    let html = page_text(&w.s, &w.nobody, "/cases/console").await;
    let msg = message_area(&html);
    assert!(
        msg.contains("综治中心") || msg.contains("事件队列"),
        "{msg}"
    );
    assert!(english_runs(&msg).is_empty(), "{backend:?}: {msg}");

    // The API keeps both languages in one message.
    let v =
        w.s.put(
            &w.worker_a,
            &format!("/api/v1/gov/units/{}", w.ca),
            Some(&json!({ "name": "改名" })),
        )
        .await
        .want(403);
    let m = v["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("only unit administrators") && m.contains("单位管理员"),
        "{m}"
    );
}

both_dbs!(report_form_defaults_to_the_due_year_and_keeps_a_returned_report);
/// The annual report form proposes the year that is due, and a returned report comes back
/// with everything it said (and the reviewer's note) for editing.
async fn report_form_defaults_to_the_due_year_and_keeps_a_returned_report(backend: Backend) {
    let w = world_with(backend, &[("GONGZHI_NOW", "2026-09-01T10:00:00+08:00")]).await;
    for (year, due) in [(2024, "2025-06-30"), (2025, "2026-06-30")] {
        w.s.put(
            &w.admin,
            &format!("/api/v1/gov/report-deadlines/{year}"),
            Some(&json!({ "due_on": due })),
        )
        .await
        .want(200);
    }
    let form_path = format!("/gov/orgs/{}/report", w.ma);
    let year_in = |html: &str| {
        let i = html.find("name=\"year\" value=\"").expect("year field") + 19;
        html[i..i + 4].to_string()
    };
    // Nothing sent yet: the oldest year that is due (2024, registered in 2018).
    let html = page_text(&w.s, &w.org_a, &form_path).await;
    assert_eq!(year_in(&html), "2024", "{backend:?}");
    // 2024 sent, then returned: 2024 stays due, with the report's own figures.
    let report = json!({ "year": 2024, "activities": "全年开展邻里互助与健康讲座二十场。",
                         "events": 20, "beneficiaries": 640, "income_yuan": 51000,
                         "expenditure_yuan": 48000, "staff_count": 4, "volunteers": 33 });
    let reports = format!("/api/v1/gov/orgs/{}/reports", w.ma);
    let id = w.s.post(&w.org_a, &reports, Some(&report)).await.created();
    w.s.post(
        &w.worker_a,
        &format!("/api/v1/gov/reports/{id}/review"),
        Some(&json!({ "decision": "return", "note": "请补充活动照片。" })),
    )
    .await
    .want(200);
    let html = page_text(&w.s, &w.org_a, &form_path).await;
    assert_eq!(year_in(&html), "2024", "{backend:?}");
    for kept in [
        "全年开展邻里互助与健康讲座二十场。",
        "value=\"640\"",
        "value=\"51000\"",
        "value=\"48000\"",
        "value=\"33\"",
        "请补充活动照片。",
    ] {
        assert!(html.contains(kept), "{backend:?}: {kept} missing");
    }
    // Resubmitted (awaiting review): the next year that is due is 2025.
    w.s.post(&w.org_a, &reports, Some(&report)).await.want(201);
    let html = page_text(&w.s, &w.org_a, &form_path).await;
    assert_eq!(year_in(&html), "2025", "{backend:?}");
    assert!(
        !html.contains("id=\"returned-note\""),
        "2025 was never returned"
    );
}

/// Unit pickers are grouped street → community and carry a filter box for JavaScript.
#[tokio::test]
async fn unit_pickers_are_grouped_by_street() {
    let w = world(Backend::Sqlite).await;
    for (who, path) in [
        (&w.admin, "/gov/orgs/new".to_string()),
        (&w.admin, "/gov/orgs".to_string()),
        (&w.street_a, "/gov/orgs/new".to_string()),
    ] {
        let html = page_text(&w.s, who, &path).await;
        let i = html.find("data-unit-picker").expect("a unit picker");
        let select = &html[i..i + html[i..].find("</select>").unwrap()];
        assert!(
            select.contains("<optgroup label=\"TSA单位\">"),
            "{path}: {select}"
        );
        // Street A's communities sit in street A's group.
        let group = &select[select.find("label=\"TSA单位\"").unwrap()..];
        let group = &group[..group.find("</optgroup>").unwrap()];
        assert!(
            group.contains("TCA单位") && group.contains("TCA2单位"),
            "{group}"
        );
        assert!(!group.contains("TCB单位"), "{group}");
        assert!(html.contains("class=\"unit-filter\" hidden"), "{path}");
    }
}

both_dbs!(unit_admins_manage_the_staff_of_their_units);
/// Unit administrators see the staff of their units, give roles and take them back; the
/// page and the API agree, and nobody takes back a role they could not have given.
async fn unit_admins_manage_the_staff_of_their_units(backend: Backend) {
    let w = world(backend).await;
    // The API: community A's administrator sees community A's roles only.
    let v =
        w.s.get(&w.uadmin_a, "/api/v1/gov/memberships")
            .await
            .want(200);
    let names: Vec<&str> = each(&v["items"])
        .map(|m| m["username"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"worker_a") && names.contains(&"viewer_a"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"street_a") && !names.contains(&"district_v"),
        "{names:?}"
    );
    assert_eq!(
        status(
            &w.s,
            "GET",
            Some(&w.worker_a),
            "/api/v1/gov/memberships",
            None
        )
        .await,
        403
    );
    // The page lists one unit's subtree on request (the unit page links there).
    let html = page_text(&w.s, &w.admin, &format!("/gov/staff?unit={}", w.ca)).await;
    assert!(
        html.contains("worker_a") && !html.contains("street_a"),
        "{backend:?}"
    );
    let html = page_text(&w.s, &w.admin, &format!("/gov/staff?unit={}", w.cb)).await;
    assert!(!html.contains("worker_a"), "{backend:?}");
    let html = page_text(&w.s, &w.uadmin_a, &format!("/gov/units/{}", w.ca)).await;
    assert!(html.contains(&format!("/gov/staff?unit={}", w.ca)));
    assert_eq!(
        crate::common::status(
            &w.s,
            "GET",
            Some(&w.uadmin_a),
            &format!("/gov/staff?unit={}", w.cb),
            None
        )
        .await,
        404
    );
    // The page: grant through the form (an error keeps the typed values).
    let c = cookie_client();
    let html = form_page_as(&w.s, &c, "uadmin_a", "/gov/staff").await;
    assert!(
        html.contains("worker_a") && html.contains("/gov/staff/revoke"),
        "{html}"
    );
    // Grants a role on community A through the staff page.
    let grant = |user: &str, role: &str| {
        let form = [
            ("_csrf", csrf_from(&html)),
            ("username", user.to_string()),
            ("unit_id", w.ca.to_string()),
            ("role", role.to_string()),
        ];
        let (c, url) = (&c, format!("{}/gov/staff", w.s.url));
        async move { post_form(c, url, &form).await }
    };
    let r = grant("no_such_user", "viewer").await;
    assert_eq!(r.status(), 400, "{backend:?}");
    let page = r.text().await.unwrap();
    assert!(
        page.contains("没有名为 no_such_user 的账号") && page.contains("value=\"no_such_user\"")
    );
    let r = grant("spare", "worker").await;
    assert_eq!(r.status(), 303, "{backend:?}");
    let spare_token = w.s.login("spare").await;
    let unit_a = format!("/api/v1/gov/units/{}", w.ca);
    assert_eq!(w.s.status_of(Some(&spare_token), &unit_a).await, 200);
    // An administrator role on their own unit is not theirs to give.
    let r = grant("spare", "unit_admin").await;
    assert_eq!(r.status(), 400, "{backend:?}");
    // Take the role back through the page; it is gone and audited.
    let (_, me) = send(&w.s, "GET", Some(&spare_token), "/api/v1/gov/me", None).await;
    let spare_id = me["user"]["id"].as_i64().unwrap();
    let r = post_form(
        &c,
        format!("{}/gov/staff/revoke", w.s.url),
        &[
            ("_csrf", csrf_from(&html)),
            ("unit_id", w.ca.to_string()),
            ("user_id", spare_id.to_string()),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "{backend:?}");
    assert_eq!(w.s.status_of(Some(&spare_token), &unit_a).await, 403);
    let d = last_audit(&w.s, "governance.membership.revoke").await;
    assert_eq!(d["role"], "worker", "{d}");
    // The API: the community's admin cannot take back their own admin role, nor a role
    // in community B; the district's unit admin… is the platform admin here.
    let (_, me) = send(&w.s, "GET", Some(&w.uadmin_a), "/api/v1/gov/me", None).await;
    let own = me["user"]["id"].as_i64().unwrap();
    let del = |unit: i64, user: i64| format!("/api/v1/gov/units/{unit}/members/{user}");
    assert_eq!(
        status(&w.s, "DELETE", Some(&w.uadmin_a), &del(w.ca, own), None).await,
        403
    );
    let (_, me) = send(&w.s, "GET", Some(&w.worker_a), "/api/v1/gov/me", None).await;
    let worker = me["user"]["id"].as_i64().unwrap();
    expect_each(
        &w.s,
        &[
            (
                "DELETE",
                Some(&w.uadmin_a[..]),
                &del(w.cb, worker)[..],
                None,
                404,
            ),
            (
                "DELETE",
                Some(&w.uadmin_a[..]),
                &del(w.ca, worker)[..],
                None,
                204,
            ),
            (
                "DELETE",
                Some(&w.uadmin_a[..]),
                &del(w.ca, worker)[..],
                None,
                404,
            ),
        ],
    )
    .await;
}

/// At 360 px the header stays small, the organisation list has no sideways scrolling and
/// its rows are stacked cards with labels, and chart text keeps a readable size.
#[tokio::test]
async fn phone_width_pages_in_a_browser() {
    let Some(b) = crate::common::webdriver::Browser::start().await else {
        return;
    };
    let w = world(Backend::Sqlite).await;
    b.emulate(360, 740).await;
    b.goto(&format!("{}/login?next=/gov/orgs", w.s.url)).await;
    b.type_into("input[name=username]", "admin").await;
    b.type_into("input[name=password]", PASSWORD).await;
    b.click("form.form button[type=submit]").await;
    b.wait_for(
        "location.pathname === '/gov/orgs'",
        std::time::Duration::from_secs(20),
    )
    .await;
    let width = b.eval("return window.innerWidth;").await;
    assert_eq!(width.as_i64(), Some(360), "the page is laid out for 360 px");
    let header = b
        .eval("return document.querySelector('.topbar').getBoundingClientRect().height / window.innerHeight;")
        .await;
    assert!(
        header.as_f64().unwrap() < 0.2,
        "header takes {header} of the screen"
    );
    let overflow = b
        .eval("return document.documentElement.scrollWidth - window.innerWidth;")
        .await;
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "sideways overflow of {overflow} px"
    );
    let stacked = b
        .eval(
            "var td = document.querySelector('table.org-table tbody td:nth-child(2)');
             return [getComputedStyle(td).display, getComputedStyle(td, '::before').content];",
        )
        .await;
    assert_eq!(stacked[0], "block", "{stacked}");
    assert!(stacked[1].as_str().unwrap().contains("类型"), "{stacked}");
    // The unit filter narrows the grouped picker as one types (street B's group only).
    let visible = b
        .eval(
            "var box = document.querySelector('select[data-unit-picker] + .unit-filter');
             if (box.hidden) return 'hidden';
             box.value = 'TCB'; box.dispatchEvent(new Event('input'));
             return Array.prototype.filter.call(
               document.querySelectorAll('select[data-unit-picker] option'),
               function (o) { return !o.hidden && o.value !== ''; }).map(function (o) { return o.textContent.trim(); });",
        )
        .await;
    assert_eq!(visible, json!(["TCB单位"]), "filtered picker");
    // Statistics: chart labels render at 10 px or more, and the page does not overflow.
    b.goto(&format!("{}/gov/stats", w.s.url)).await;
    b.wait_for(
        "document.querySelector('svg.chart') !== null",
        std::time::Duration::from_secs(10),
    )
    .await;
    let smallest = b
        .eval(
            "var min = 99; document.querySelectorAll('svg.chart text').forEach(function (t) {
               var h = t.getBoundingClientRect().height; if (h > 0 && h < min) min = h; });
             return min;",
        )
        .await;
    assert!(
        smallest.as_f64().unwrap() >= 10.0,
        "chart text {smallest} px high"
    );
    let overflow = b
        .eval(
            "var worst = document.documentElement.scrollWidth - window.innerWidth;
             document.querySelectorAll('.chart-card').forEach(function (c) {
               worst = Math.max(worst, c.getBoundingClientRect().right - window.innerWidth); });
             return Math.ceil(worst);",
        )
        .await;
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "stats overflow {overflow} px"
    );
    if let Ok(dir) = std::env::var("GONGZHI_SCREENSHOT_DIR") {
        let dir = std::path::Path::new(&dir);
        b.screenshot(&dir.join("phone-stats.png")).await;
        b.eval("document.querySelector('svg.chart').scrollIntoView(); return 1;")
            .await;
        b.screenshot(&dir.join("phone-chart.png")).await;
        b.goto(&format!("{}/gov/orgs", w.s.url)).await;
        b.screenshot(&dir.join("phone-orgs.png")).await;
        b.eval("document.querySelector('table.org-table').scrollIntoView(); return 1;")
            .await;
        b.screenshot(&dir.join("phone-orgs-table.png")).await;
        b.goto(&format!("{}/gov/staff", w.s.url)).await;
        b.screenshot(&dir.join("phone-staff.png")).await;
        b.eval("document.querySelector('table.stack').scrollIntoView(); return 1;")
            .await;
        b.screenshot(&dir.join("phone-staff-table.png")).await;
    }
}

both_dbs!(a_conflict_page_is_titled_as_one_in_chinese);
/// A conflict on an error page is titled as one (not "服务器出错了") and says in Chinese
/// what went wrong: buying a VIP plan with an empty wallet — "balance too low".
async fn a_conflict_page_is_titled_as_one_in_chinese(backend: Backend) {
    let s = Server::start(backend).await;
    s.add_user("poor_reader", "member");
    let c = cookie_client();
    let html = form_page_as(&s, &c, "poor_reader", "/vip").await;
    let r = post_form(
        &c,
        format!("{}/vip/plans/1/buy", s.url),
        &[("_csrf", csrf_from(&html)), ("key", "trust-409-key".into())],
    )
    .await;
    assert_eq!(r.status(), 409, "{backend:?}");
    let html = r.text().await.unwrap();
    assert!(html.contains("<h1>操作冲突</h1>"), "{html}");
    assert!(!html.contains("服务器出错了"));
    let msg = message_area(&html);
    assert!(msg.contains("余额不足"), "{msg}");
    assert!(english_runs(&msg).is_empty(), "{backend:?}: {msg}");
    // The English switch gives the English half.
    c.get(format!("{}/lang/en", s.url)).send().await.unwrap();
    let r = post_form(
        &c,
        format!("{}/vip/plans/1/buy", s.url),
        &[
            ("_csrf", csrf_from(&html)),
            ("key", "trust-409-key-2".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("<h1>Conflict</h1>"), "{html}");
    assert!(message_area(&html).contains("balance is not enough"));
}
