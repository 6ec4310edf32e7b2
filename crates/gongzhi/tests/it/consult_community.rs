//! Consultation (issue 15), the community side and the activities: votes (residency,
//! household rule, concurrent double ballots, rules locked, a recount that catches a
//! tampered ballot), community matters with the law's thresholds and the notice sequence,
//! and CPPCC activities with sign-in and follow-up actions — on both databases.

use crate::common::{Backend, both_dbs, client, each, expect_each, send, send_expect};
use crate::consult::{World, get};
use serde_json::json;

both_dbs!(votes_take_one_ballot_per_voter_and_recount_catches_tampering);
async fn votes_take_one_ballot_per_voter_and_recount_catches_tampering(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.s;
    // Residents: verified by the community's staff, not by anyone else.
    s.add_user("res0", "member");
    let body = json!({"username": "res0", "unit_id": w.community, "household": "9-909"});
    assert_eq!(
        s.post(&w.outsider, "/api/v1/consultation/residents", Some(&body))
            .await
            .status,
        403
    );
    let residents = w
        .residents(&[("res1", "1-101"), ("res2", "1-101"), ("res3", "2-202")])
        .await;
    let spec = json!({"unit_id": w.community, "title": "公共收益使用方案", "rule": "household", "options": ["门禁", "充电桩"]});
    assert_eq!(
        send(s, "POST", Some(&w.outsider), "/api/v1/votes", Some(&spec))
            .await
            .0,
        403
    );
    let v = s
        .post(&w.community_staff, "/api/v1/votes", Some(&spec))
        .await
        .want(201);
    let id = v["id"].as_i64().unwrap();
    let yes = v["options"][0]["id"].as_i64().unwrap();
    let no = v["options"][1]["id"].as_i64().unwrap();
    let (_, open) = get(&w, Some(&residents[0]), "/api/v1/votes?state=open").await;
    assert_eq!(open["items"][0]["id"], id);
    assert_eq!(open["items"][0]["options"][0]["label"], "门禁");
    let (_, none) = get(&w, Some(&w.outsider), "/api/v1/votes?state=open").await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    assert_eq!(
        get(&w, Some(&w.outsider), &format!("/api/v1/votes/{id}"))
            .await
            .0,
        404
    );

    let ballots = format!("/api/v1/votes/{id}/ballots");
    let r = s
        .post(&residents[0], &ballots, Some(&json!({"option_id": yes})))
        .await
        .want(201);
    let receipt = r["receipt"].as_str().unwrap().to_string();
    assert_eq!(receipt.len(), 64);
    // The same household, the same voter, a non-resident.
    let (st, e) = s
        .post(&residents[1], &ballots, Some(&json!({"option_id": no})))
        .await
        .parts();
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("already_voted"))
    );
    assert_eq!(
        s.post(&residents[0], &ballots, Some(&json!({"option_id": no})))
            .await
            .status,
        409
    );
    let (st, e) = s
        .post(&w.outsider, &ballots, Some(&json!({"option_id": no})))
        .await
        .parts();
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (403, Some("not_resident"))
    );
    assert_eq!(
        s.post(
            &residents[2],
            &ballots,
            Some(&json!({"option_id": 999_999}))
        )
        .await
        .status,
        400
    );
    s.post(&residents[2], &ballots, Some(&json!({"option_id": no})))
        .await
        .want(201);
    // The rules cannot change once a ballot is cast.
    let change =
        json!({"title": "公共收益使用方案", "rule": "resident", "options": ["门禁", "充电桩"]});
    let (st, e) = s
        .patch(
            &w.community_staff,
            &format!("/api/v1/votes/{id}"),
            Some(&change),
        )
        .await
        .parts();
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("rules_locked"))
    );
    // The log is published at close, with the chain head.
    assert_eq!(
        send(s, "GET", Some(&residents[0]), &ballots, None).await.0,
        409,
        "published at close"
    );
    assert_eq!(
        s.post(&residents[0], &format!("/api/v1/votes/{id}/close"), None)
            .await
            .status,
        403
    );
    s.post(
        &w.community_staff,
        &format!("/api/v1/votes/{id}/close"),
        None,
    )
    .await
    .want(200);
    let (st, result) = get(&w, None, &format!("/api/v1/votes/{id}")).await;
    assert_eq!(st, 200, "a closed vote's result is public");
    assert_eq!(result["tally"][yes.to_string()], 1);
    assert_eq!(result["tally"][no.to_string()], 1);
    assert_eq!(result["ballots"], 2);
    let (_, log) = get(&w, None, &ballots).await;
    assert_eq!(log["chain_head"], result["chain_head"]);
    assert_eq!(
        log["ballots"][0]["hash"],
        receipt.as_str(),
        "the receipt is in the log"
    );
    assert!(!log.to_string().contains("res1"), "no names in the log");
    let (st, e) = s
        .post(&residents[2], &ballots, Some(&json!({"option_id": no})))
        .await
        .parts();
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("vote_closed"))
    );

    // Recount: intact, then a ballot row changed behind the application's back.
    let (ok, out) = w.verify(id);
    assert!(ok, "{out}");
    assert!(out.contains("recount agrees"), "{out}");
    let db = s.db().await;
    sqlx::query("UPDATE consult_ballots SET option_id = $1 WHERE vote_id = $2 AND seq = 2")
        .bind(yes)
        .bind(id)
        .execute(&db)
        .await
        .unwrap();
    let (ok, out) = w.verify(id);
    assert!(!ok, "a tampered ballot must fail the recount: {out}");
    assert!(out.contains("MISMATCH"), "{out}");

    // Concurrent double votes: one resident sends eight ballots at once; one counts.
    let spec = json!({"unit_id": w.community, "title": "加装电梯意见征集", "rule": "resident", "options": ["同意", "不同意"]});
    let v = s
        .post(&w.community_staff, "/api/v1/votes", Some(&spec))
        .await
        .want(201);
    let id2 = v["id"].as_i64().unwrap();
    let opt = v["options"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/votes/{id2}/ballots");
    let url = format!("{}{path}", s.url);
    let mut tasks = Vec::new();
    for t in [0, 0, 0, 0, 1, 1, 1, 1] {
        let (url, token) = (url.clone(), residents[t].clone());
        tasks.push(tokio::spawn(async move {
            let r = client()
                .post(url)
                .bearer_auth(token)
                .json(&json!({"option_id": opt}))
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let created = answers.iter().filter(|st| **st == 201).count();
    let refused = answers.iter().filter(|st| **st == 409).count();
    assert_eq!((created, refused), (2, 6), "{answers:?}");
    let (_, v) = get(
        &w,
        Some(&w.community_staff),
        &format!("/api/v1/votes/{id2}"),
    )
    .await;
    assert_eq!(v["ballots"], 2);
    let (ok, out) = w.verify(id2);
    assert!(ok, "{out}");
}

both_dbs!(activities_record_participants_minutes_and_follow_ups_until_done);
async fn activities_record_participants_minutes_and_follow_ups_until_done(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.s;
    let base = "/api/v1/consultation/activities";
    let body = json!({"kind": "inspection", "title": "主席视察老旧小区改造", "held_on": "2026-12-08",
                      "organiser": "区政协主席会议", "places": "QA社区；QB社区", "participants": ["member1", "member2"]});
    assert_eq!(send(s, "POST", Some(&w.m1), base, Some(&body)).await.0, 403);
    let mut bad = body.clone();
    bad["kind"] = json!("party");
    assert_eq!(
        send(s, "POST", Some(&w.office), base, Some(&bad)).await.0,
        400
    );
    let a = send_expect(s, "POST", Some(&w.office), base, Some(&body), 201).await;
    let id = a["id"].as_i64().unwrap();
    let path = format!("{base}/{id}");
    assert_eq!(a["places"], "QA社区；QB社区");
    assert_eq!(get(&w, Some(&w.outsider), &path).await.0, 404);
    assert_eq!(get(&w, Some(&w.m2), &path).await.0, 200);
    let (_, list) = get(&w, Some(&w.m1), base).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Sign-in: a participant for themselves, the office for someone present on paper.
    let signin = format!("{path}/sign-in");
    assert_eq!(
        send(s, "POST", Some(&w.outsider), &signin, Some(&json!({})))
            .await
            .0,
        404
    );
    let v = send_expect(s, "POST", Some(&w.m1), &signin, Some(&json!({})), 200).await;
    let signed: Vec<bool> = each(&v["participants"])
        .map(|p| p["signed_in"].as_bool().unwrap())
        .collect();
    assert_eq!(signed.iter().filter(|b| **b).count(), 1);
    assert_eq!(
        s.post(&w.m1, &signin, Some(&json!({"username": "member2"})))
            .await
            .status,
        403
    );
    let v = s
        .post(&w.office, &signin, Some(&json!({"username": "member2"})))
        .await
        .want(200);
    assert!(each(&v["participants"]).all(|p| p["signed_in"] == true));
    // Minutes and findings by the office.
    let minutes = json!({"minutes": "委员实地查看了改造进度。", "findings": "加装电梯进度偏慢。"});
    assert_eq!(
        s.put(&w.m1, &format!("{path}/minutes"), Some(&minutes))
            .await
            .status,
        403
    );
    let v = s
        .put(&w.office, &format!("{path}/minutes"), Some(&minutes))
        .await
        .want(200);
    assert_eq!(v["findings"], "加装电梯进度偏慢。");
    // A follow-up action to the lead department, tracked to done by that unit only.
    let f = s
        .post(
            &w.office,
            &format!("{path}/followups"),
            Some(&json!({"unit_id": w.lead_unit, "text": "制定加装电梯提速方案"})),
        )
        .await
        .want(201);
    let done = format!("/api/v1/consultation/followups/{}/done", f["id"]);
    assert_eq!(
        get(&w, Some(&w.lead), &path).await.0,
        200,
        "the unit sees what it must do"
    );
    assert_eq!(get(&w, Some(&w.other), &path).await.0, 404);
    expect_each(
        s,
        &[
            (
                "POST",
                Some(&w.other),
                &done,
                Some(&json!({"note": "不是我们的事项"})),
                404,
            ),
            (
                "POST",
                Some(&w.m1),
                &done,
                Some(&json!({"note": "委员不能代报"})),
                403,
            ),
        ],
    )
    .await;
    let v = s
        .post(&w.lead, &done, Some(&json!({"note": "方案已印发"})))
        .await
        .want(200);
    assert_eq!(v["followups"][0]["done"], true);
    assert_eq!(
        s.post(&w.lead, &done, Some(&json!({"note": "方案已印发"})))
            .await
            .status,
        409
    );
}

both_dbs!(community_matters_follow_the_notice_sequence_and_the_meeting_thresholds);
async fn community_matters_follow_the_notice_sequence_and_the_meeting_thresholds(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.s;
    let res = w.residents(&[("res1", "1-101"), ("res2", "1-101")]).await;
    let body = json!({"unit_id": w.community, "title": "小区停车位改造", "body": "建议将闲置绿地改建为停车位，缓解停车难。"});
    let (st, e) = s
        .post(&w.outsider, "/api/v1/consultation/matters", Some(&body))
        .await
        .parts();
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (403, Some("not_resident"))
    );
    let m = s
        .post(&res[0], "/api/v1/consultation/matters", Some(&body))
        .await
        .want(201);
    let path = format!("/api/v1/consultation/matters/{}", m["id"]);
    assert_eq!(get(&w, Some(&w.outsider), &path).await.0, 404);
    let sup = format!("{path}/support");
    send_expect(s, "POST", Some(&res[0]), &sup, None, 200).await;
    expect_each(
        s,
        &[
            ("POST", Some(&res[0]), &sup, None, 409),
            ("POST", Some(&w.outsider), &sup, None, 404),
        ],
    )
    .await;
    let v = send_expect(s, "POST", Some(&res[1]), &sup, None, 200).await;
    assert_eq!(
        (
            v["supporters"].as_i64(),
            v["supporting_households"].as_i64()
        ),
        (Some(2), Some(1))
    );
    // 2 of 5,000 residents do not oblige a meeting under the law; under a community's own
    // rule of 1/2,500 they do.
    assert_eq!(v["meeting_required"], false);
    let rules_path = format!("/api/v1/consultation/rules/{}", w.community);
    let mut rules = v["rules"].clone();
    rules["call_by_adults"] = json!({"num": 1, "den": 2500});
    assert_eq!(
        send(s, "PUT", Some(&res[0]), &rules_path, Some(&rules))
            .await
            .0,
        403
    );
    let mut bad = rules.clone();
    bad["quorum"] = json!({"num": 1, "den": 0});
    assert_eq!(
        send(s, "PUT", Some(&w.community_staff), &rules_path, Some(&bad))
            .await
            .0,
        400
    );
    s.put(&w.community_staff, &rules_path, Some(&rules))
        .await
        .want(200);
    let (_, v) = get(&w, Some(&res[1]), &path).await;
    assert_eq!(v["meeting_required"], true);
    // The notice sequence, in order, by the community's staff only.
    let adv = format!("{path}/advance");
    let step = |stage: &str| json!({"stage": stage, "text": format!("{stage} 公告：请居民知悉。")});
    expect_each(
        s,
        &[
            (
                "POST",
                Some(&w.community_staff),
                &adv,
                Some(&step("voting")),
                409,
            ),
            ("POST", Some(&res[0]), &adv, Some(&step("accepted")), 403),
        ],
    )
    .await;
    // The staff take a matter through the notices up to the vote, then decide it with
    // the counts given.
    let staff = w.community_staff.as_str();
    let to_the_vote = async |adv: &str| {
        for stage in ["accepted", "reviewed", "meeting_noticed", "voting"] {
            s.post(staff, adv, Some(&step(stage))).await.want(200);
        }
    };
    let decide = async |adv: &str, present: i64, in_favour: i64| {
        let mut resolve = step("resolved");
        resolve["present"] = json!(present);
        resolve["in_favour"] = json!(in_favour);
        s.post(staff, adv, Some(&resolve)).await.want(200)
    };
    to_the_vote(&adv).await;
    // 2,000 of 5,000 present is no quorum: the decision fails.
    assert_eq!(decide(&adv, 2000, 1900).await["stage"], "rejected");
    // Another matter: 3,000 present, 1,600 in favour — valid and passed.
    let m = s
        .post(&res[1], "/api/v1/consultation/matters", Some(&body))
        .await
        .want(201);
    let adv = format!("/api/v1/consultation/matters/{}/advance", m["id"]);
    to_the_vote(&adv).await;
    assert_eq!(decide(&adv, 3000, 1600).await["stage"], "resolved");
    let v = s
        .post(&w.community_staff, &adv, Some(&step("implemented")))
        .await
        .want(200);
    let stages: Vec<&str> = each(&v["notices"])
        .map(|n| n["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "accepted",
            "reviewed",
            "meeting_noticed",
            "voting",
            "resolved",
            "implemented"
        ]
    );
}
