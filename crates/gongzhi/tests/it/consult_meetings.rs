//! Community matters meet their meeting (issue 15): sign-in by residents and by staff from
//! the paper list (once per person, only while the meeting is on, names for the staff
//! only), a matter decided by its recountable vote, counts entered by hand that may not
//! undercut the sign-in list, and the same steps through the pages — on both databases.

use crate::common::reply::Reply;
use crate::common::{Backend, PASSWORD, both_dbs, get_html, post_form, send_expect, web_login};
use crate::consult::{World, get};
use serde_json::{Value, json};

const BODY: &str = "建议在三号楼前空地增设一处遮雨的电动自行车充电棚。";

/// Raises a matter as `by` and moves it to `until` (inclusive) as the community's staff.
async fn matter_at(w: &World, by: &str, until: &str) -> (i64, String) {
    let body = json!({"unit_id": w.community, "title": "增设充电棚", "body": BODY});
    let m =
        w.s.post(by, "/api/v1/consultation/matters", Some(&body))
            .await
            .want(201);
    let path = format!("/api/v1/consultation/matters/{}", m["id"]);
    for stage in ["accepted", "reviewed", "meeting_noticed", "voting"] {
        advance(
            w,
            &path,
            json!({"stage": stage, "text": format!("{stage}：请居民知悉。")}),
            200,
        )
        .await;
        if stage == until {
            break;
        }
    }
    (m["id"].as_i64().unwrap(), path)
}

async fn advance(w: &World, path: &str, body: Value, want: u16) -> Value {
    w.s.post(&w.community_staff, &format!("{path}/advance"), Some(&body))
        .await
        .want(want)
}

/// Signs in at the meeting of the matter at `path` as the bearer of `token` (themselves, or
/// whom `body` names).
async fn sign_in(w: &World, token: &str, path: &str, body: Value) -> Reply {
    w.s.post(token, &format!("{path}/attendance"), Some(&body))
        .await
}

both_dbs!(a_matter_is_decided_by_its_vote_and_its_sign_in_list);
async fn a_matter_is_decided_by_its_vote_and_its_sign_in_list(backend: Backend) {
    let w = World::new(backend).await;
    let res = w
        .residents(&[("res1", "1-101"), ("res2", "1-101"), ("res3", "2-202")])
        .await;
    // A small quorum for this community, so three residents make a valid meeting.
    let rules_path = format!("/api/v1/consultation/rules/{}", w.community);
    let (_, r) = get(&w, Some(&res[0]), &rules_path).await;
    let mut rules = r["rules"].clone();
    rules["quorum"] = json!({"num": 1, "den": 2000});
    w.s.put(&w.community_staff, &rules_path, Some(&rules))
        .await
        .want(200);

    let (_, path) = matter_at(&w, &res[0], "reviewed").await;
    // No sign-in before the meeting is called.
    sign_in(&w, &res[0], &path, json!({}))
        .await
        .want_error(409, "conflict");
    advance(
        &w,
        &path,
        json!({"stage": "meeting_noticed", "text": "周六上午九点在居委会开会。"}),
        200,
    )
    .await;

    let m = sign_in(&w, &res[0], &path, json!({})).await.want(201);
    assert_eq!(m["attendance"].as_i64(), Some(1), "{m}");
    sign_in(&w, &res[0], &path, json!({}))
        .await
        .want_error(409, "already_signed_in");
    // A resident signs in only themselves; an outsider does not even see the matter.
    let res2_id =
        send_expect(&w.s, "GET", Some(&res[1]), "/api/v1/me", None, 200).await["id"].clone();
    let paper = |name: &str, household: &str| json!({"name": name, "household": household});
    let (staff, resident) = (w.community_staff.as_str(), res[0].as_str());
    let signing_in = [
        (resident, json!({"user_id": res2_id}), 403),
        (resident, paper("张三", "9-909"), 403),
        (&w.outsider, json!({}), 404),
        // The staff sign in a resident by account and a neighbour from the paper list.
        (staff, json!({"user_id": res2_id}), 201),
    ];
    for (token, body, status) in signing_in {
        sign_in(&w, token, &path, body).await.want(status);
    }
    let outsider_id =
        send_expect(&w.s, "GET", Some(&w.outsider), "/api/v1/me", None, 200).await["id"].clone();
    sign_in(&w, staff, &path, json!({"user_id": outsider_id}))
        .await
        .want_error(403, "not_resident");
    sign_in(&w, staff, &path, paper("王阿姨", "3-303"))
        .await
        .want(201);
    sign_in(&w, staff, &path, paper("王阿姨", "3-303"))
        .await
        .want(409);
    sign_in(&w, staff, &path, paper("李四", " "))
        .await
        .want_error(400, "invalid_field");
    // Names are the staff's to see.
    let list = format!("{path}/attendance");
    let (st, l) = get(&w, Some(&w.community_staff), &list).await;
    assert_eq!((st, l["total"].as_i64()), (200, Some(3)), "{l}");
    assert!(l.to_string().contains("王阿姨"), "{l}");
    assert_eq!(get(&w, Some(&res[0]), &list).await.0, 403);
    assert_eq!(get(&w, Some(&w.outsider), &list).await.0, 404);
    let (_, seen) = get(&w, Some(&res[2]), &path).await;
    assert!(!seen.to_string().contains("王阿姨"), "{seen}");

    // 表决 opens a recountable vote; a bad rule opens nothing.
    let bad = json!({"stage": "voting", "text": "请在会上或网上表决。", "ballot": true, "rule": "everyone"});
    advance(&w, &path, bad, 400).await;
    let m = advance(
        &w,
        &path,
        json!({"stage": "voting", "text": "请在会上或网上表决。", "ballot": true}),
        200,
    )
    .await;
    let vote = m["vote_id"].as_i64().expect("a vote for the matter");
    let vpath = format!("/api/v1/votes/{vote}");
    let (_, v) = get(&w, Some(&res[2]), &vpath).await;
    assert_eq!(
        (v["state"].as_str(), v["title"].as_str()),
        (Some("open"), Some("增设充电棚"))
    );
    let option = |i: usize| json!({"option_id": v["options"][i]["id"]});
    for (who, choice) in [(&res[0], 0), (&res[1], 0), (&res[2], 0)] {
        w.s.post(who, &format!("{vpath}/ballots"), Some(&option(choice)))
            .await
            .want(201);
    }
    // Signing in is still open while voting: res3 voted online and signs in too, and is
    // counted present once.
    sign_in(&w, &res[2], &path, json!({})).await.want(201);

    // The decision counts the ballots, not numbers typed in; the vote closes with it.
    let resolve = json!({"stage": "resolved", "text": "表决通过，下月开工。", "present": 4000, "in_favour": 4000,
                         "minutes": "到会居民讨论了位置和费用，同意在三号楼前增设充电棚。"});
    let m = advance(&w, &path, resolve, 200).await;
    assert_eq!(
        (
            m["stage"].as_str(),
            m["present"].as_i64(),
            m["in_favour"].as_i64()
        ),
        (Some("resolved"), Some(4), Some(3)),
        "{m}"
    );
    assert!(m["minutes"].as_str().unwrap().contains("充电棚"));
    let (_, v) = get(&w, None, &vpath).await;
    assert_eq!(
        v["state"], "closed",
        "the matter's vote is closed and public: {v}"
    );
    assert_eq!(v["ballots"], 3);
    let (ok, out) = w.verify(vote);
    assert!(ok, "{out}");
    // The meeting is over: no more sign-ins.
    let late = json!({"name": "迟到者", "household": "5-505"});
    sign_in(&w, &w.community_staff, &path, late).await.want(409);

    // Without a vote, the counts entered may not undercut the sign-in list.
    let (_, path) = matter_at(&w, &res[1], "voting").await;
    let neighbour = json!({"name": "赵大爷", "household": "6-606"});
    sign_in(&w, &w.community_staff, &path, neighbour).await;
    let by_hand = |present: i64, yes: i64| json!({"stage": "resolved", "text": "举手表决结果公告。", "present": present, "in_favour": yes});
    advance(&w, &path, by_hand(0, 0), 400).await;
    advance(&w, &path, by_hand(3, 4), 400).await;
    let m = advance(&w, &path, by_hand(3, 1), 200).await;
    assert_eq!(
        (m["stage"].as_str(), m["vote_id"].as_i64()),
        (Some("rejected"), None),
        "{m}"
    );
}

both_dbs!(residents_and_staff_take_a_matter_through_its_pages);
async fn residents_and_staff_take_a_matter_through_its_pages(backend: Backend) {
    let w = World::new(backend).await;
    w.residents(&[("res1", "1-101")]).await;
    let url = format!("{}/consultation/matters", w.s.url);
    let (res, csrf) = web_login(&w.s, "res1", PASSWORD).await;
    let empty = get_html(&res, &url).await;
    assert!(
        empty.contains("还没有议题") && empty.contains("id=\"matter-form\""),
        "{empty}"
    );
    let community = w.community.to_string();
    let mut form = vec![
        ("_csrf", csrf.as_str()),
        ("unit_id", community.as_str()),
        ("title", "增设充电棚"),
        ("body", "太短"),
    ];
    let r = post_form(&res, &url, &form).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"form-error\"") && html.contains("value=\"增设充电棚\""),
        "{html}"
    );
    form[3] = ("body", BODY);
    let r = post_form(&res, &url, &form).await;
    assert_eq!(r.status(), 303);
    let to = format!("{}{}", w.s.url, r.headers()["location"].to_str().unwrap());
    let page = get_html(&res, &to).await;
    assert!(
        page.contains("id=\"support\"") && !page.contains("id=\"advance-form\""),
        "{page}"
    );
    assert_eq!(
        post_form(&res, format!("{to}/support"), &[("_csrf", csrf.as_str())])
            .await
            .status(),
        303
    );
    assert!(
        get_html(&res, &to)
            .await
            .contains("<strong id=\"supporters\">1</strong>")
    );

    // The staff move it on through the page's form, opening a vote at 表决.
    let (staff, scsrf) = web_login(&w.s, "qa_worker", PASSWORD).await;
    for (stage, extra) in [
        ("accepted", None),
        ("reviewed", None),
        ("meeting_noticed", None),
        ("voting", Some(("ballot", "1"))),
    ] {
        let page = get_html(&staff, &to).await;
        assert!(
            page.contains(&format!("name=\"stage\" value=\"{stage}\"")),
            "{stage}: {page}"
        );
        let mut f = vec![
            ("_csrf", scsrf.as_str()),
            ("stage", stage),
            ("text", "本阶段公告，请居民知悉。"),
            ("rule", "household"),
        ];
        f.extend(extra);
        assert_eq!(
            post_form(&staff, format!("{to}/advance"), &f)
                .await
                .status(),
            303,
            "{stage}"
        );
    }
    let page = get_html(&staff, &to).await;
    assert!(
        page.contains("id=\"matter-vote\"") && page.contains("id=\"paper-sign-in\""),
        "{page}"
    );
    let r = post_form(
        &staff,
        format!("{to}/attendance"),
        &[
            ("_csrf", scsrf.as_str()),
            ("name", "王阿姨"),
            ("household", "3-303"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(get_html(&staff, &to).await.contains("王阿姨"));
    // The resident signs in, and sees the count but no names.
    let r = post_form(
        &res,
        format!("{to}/attendance"),
        &[("_csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), 303);
    let page = get_html(&res, &to).await;
    assert!(
        page.contains("<strong id=\"attendance\">2</strong>") && !page.contains("王阿姨"),
        "{page}"
    );
    // A second sign-in shows the refusal on the page.
    let again = post_form(
        &res,
        format!("{to}/attendance"),
        &[("_csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("id=\"form-error\""));

    // Outside the community: not listed, not shown.
    let (outsider, _) = web_login(&w.s, "outsider", PASSWORD).await;
    assert!(!get_html(&outsider, &url).await.contains("增设充电棚"));
    let r = outsider.get(&to).send().await.unwrap();
    assert_eq!(r.status(), 404);
}
