//! The activities tab of 共商 (issue 15): the office records an activity through the form
//! (a bad date re-shows the form with the error and what was typed), a participant signs
//! in on the activity's page, and someone outside the CPPCC sees neither — both databases.

use crate::common::{Backend, PASSWORD, both_dbs, get_html, post_form, web_login};
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
        ("participants", "member1"),
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
