//! The activities tab of 共商 (issue 15): the office records an activity through the form
//! (a bad date re-shows the form with the error and what was typed), a participant signs
//! in on the activity's page, the office writes the minutes, signs in a participant from
//! paper, assigns a follow-up that the unit reports done, and attaches a library document
//! that readers see only once the library lets them; someone outside the CPPCC sees none of
//! it — both databases.

use crate::common::{Backend, PASSWORD, both_dbs, each, get_html, post_form, web_login};
use crate::consult::World;

both_dbs!(activities_are_recorded_and_signed_in_through_the_pages);
async fn activities_are_recorded_and_signed_in_through_the_pages(backend: Backend) {
    let w = World::new(backend).await;
    let url = format!("{}/consultation/activities", w.s.url);
    let (office, csrf) = web_login(&w.s, "office", PASSWORD).await;
    let empty = get_html(&office, &url).await;
    assert!(empty.contains("还没有记录活动"), "{empty}");

    let mut form = vec![
        ("_csrf", csrf.as_str()),
        ("kind", "inspection"),
        ("title", "养老服务设施视察"),
        ("held_on", "十二月"),
        ("organiser", "区政协"),
        ("places", "桂园社区日间照料中心"),
        ("participants", "member1 member2"),
    ];
    let r = post_form(&office, &url, &form).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"form-error\""), "{html}");
    assert!(
        html.contains("value=\"养老服务设施视察\""),
        "typed title kept: {html}"
    );

    form[3] = ("held_on", "2026-12-08");
    let r = post_form(&office, &url, &form).await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/consultation/activities/"), "{to}");
    let listed = get_html(&office, &url).await;
    assert!(
        listed.contains("养老服务设施视察") && listed.contains("主席视察"),
        "{listed}"
    );

    // The participant signs in on the page, once.
    let (member, mcsrf) = web_login(&w.s, "member1", PASSWORD).await;
    let page = get_html(&member, format!("{}{to}", w.s.url)).await;
    assert!(
        page.contains("id=\"activity-sign-in\"") && page.contains("未签到"),
        "{page}"
    );
    let r = post_form(
        &member,
        format!("{}{to}/sign-in", w.s.url),
        &[("_csrf", mcsrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), 303);
    let page = get_html(&member, format!("{}{to}", w.s.url)).await;
    assert!(
        page.contains("已签到") && !page.contains("id=\"activity-sign-in\""),
        "{page}"
    );

    // The office's forms: minutes, a participant from the paper list, a follow-up.
    let page_url = format!("{}{to}", w.s.url);
    let page = get_html(&office, &page_url).await;
    assert!(
        page.contains("id=\"minutes-form\"") && page.contains("id=\"followup-form\""),
        "{page}"
    );
    assert!(
        !get_html(&member, &page_url)
            .await
            .contains("id=\"minutes-form\"")
    );
    let r = post_form(
        &office,
        format!("{page_url}/minutes"),
        &[
            ("_csrf", csrf.as_str()),
            ("minutes", "委员们察看了日间照料中心的助餐点。"),
            ("findings", "建议扩大助餐点覆盖。"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let id = to.rsplit('/').next().unwrap();
    let (_, a) =
        w.s.get_json(
            Some(&w.office),
            &format!("/api/v1/consultation/activities/{id}"),
        )
        .await;
    let m2 = each(&a["participants"])
        .find(|p| p["signed_in"] == false)
        .unwrap()["user_id"]
        .to_string();
    let r = post_form(
        &office,
        format!("{page_url}/sign-in"),
        &[("_csrf", csrf.as_str()), ("user_id", m2.as_str())],
    )
    .await;
    assert_eq!(r.status(), 303);
    // A member cannot sign somebody else in.
    let r = post_form(
        &member,
        format!("{page_url}/sign-in"),
        &[("_csrf", mcsrf.as_str()), ("user_id", m2.as_str())],
    )
    .await;
    assert_eq!(r.status(), 200);
    let t1 = w.lead_unit.to_string();
    let r = post_form(
        &office,
        format!("{page_url}/followups"),
        &[
            ("_csrf", csrf.as_str()),
            ("unit_id", t1.as_str()),
            ("text", "研究扩大助餐点覆盖范围"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let page = get_html(&office, &page_url).await;
    assert!(
        page.contains("助餐点覆盖")
            && !page.contains("未签到")
            && page.contains("研究扩大助餐点覆盖范围"),
        "{page}"
    );
    // The unit reports it done from the page; another unit has no such form.
    let (lead, lcsrf) = web_login(&w.s, "lead", PASSWORD).await;
    let lpage = get_html(&lead, &page_url).await;
    let fid = lpage
        .split("/consultation/followups/")
        .nth(1)
        .and_then(|t| t.split('/').next())
        .expect("the unit's done form")
        .to_string();
    let (other, _) = web_login(&w.s, "co_staff", PASSWORD).await;
    let r = other.get(&page_url).send().await.unwrap();
    assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());
    let r = post_form(
        &lead,
        format!("{}/consultation/followups/{fid}/done", w.s.url),
        &[
            ("_csrf", lcsrf.as_str()),
            ("activity_id", id),
            ("note", "已在三个社区增设助餐点"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(
        get_html(&office, &page_url)
            .await
            .contains("已在三个社区增设助餐点")
    );

    // An attachment from the library: refused if unknown; shown to each reader only once
    // the library lets them read it.
    let r = post_form(
        &office,
        format!("{page_url}/documents"),
        &[("_csrf", csrf.as_str()), ("document", "999999")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("id=\"form-error\""));
    let (st, doc) =
        w.s.upload(
            &w.office,
            "视察材料.txt",
            "日间照料中心助餐点视察材料，共三页。"
                .repeat(20)
                .into_bytes(),
            &[("title", "日间照料中心视察材料")],
        )
        .await;
    assert_eq!(st, 201, "{doc}");
    let doc_path = format!("/documents/{}", doc["id"]);
    let r = post_form(
        &office,
        format!("{page_url}/documents"),
        &[("_csrf", csrf.as_str()), ("document", doc_path.as_str())],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(
        get_html(&office, &page_url)
            .await
            .contains("日间照料中心视察材料")
    );
    assert!(
        !get_html(&member, &page_url)
            .await
            .contains("日间照料中心视察材料"),
        "pending in the library: not shown to the member"
    );
    w.s.wait_converted(
        &w.office,
        doc["id"].as_i64().unwrap(),
        std::time::Duration::from_secs(60),
    )
    .await;
    w.s.post(
        &w.admin,
        &format!("/api/v1/documents/{}/approve", doc["id"]),
        None,
    )
    .await
    .want(200);
    assert!(
        get_html(&member, &page_url)
            .await
            .contains("日间照料中心视察材料")
    );

    // Outside the CPPCC: no activity listed, the activity's page refused.
    let (outsider, ocsrf) = web_login(&w.s, "outsider", PASSWORD).await;
    let list = get_html(&outsider, &url).await;
    assert!(!list.contains("养老服务设施视察"), "{list}");
    let r = outsider
        .get(format!("{}{to}", w.s.url))
        .send()
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());
    // Nor may an outsider record one.
    let r = post_form(
        &outsider,
        &url,
        &[
            ("_csrf", ocsrf.as_str()),
            ("kind", "research"),
            ("title", "外人记录的活动"),
            ("held_on", "2026-12-08"),
            ("organiser", "x"),
        ],
    )
    .await;
    assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());
}
