//! Demo data: last year's assessment of the demo's communities, finished — self-assessed,
//! reviewed, approved, locked with its figures frozen and final — so the ranking and the
//! score sheets have something to show. It goes through the same steps as a real year.

use crate::figures::year_bounds;
use crate::model::{self, PlanState};
use crate::study::{self, NewAssignment, NewSession};
use crate::{plan, service};
use gov_core::{GovActor, ScopeFilter, Unit, UnitKind, list_units};
use platform::AppState;
use platform::module::Demo;

/// (indicator, weight, target).
const ITEMS: &[(&str, f64, f64)] = &[
    ("case_on_time", 30.0, 90.0),
    ("needs_met", 15.0, 80.0),
    ("announcements", 10.0, 2.0),
    ("orgs_per_10k", 10.0, 5.0),
    ("study_hours", 25.0, 40.0),
    ("complaints", 10.0, 1.0),
];

/// Study hours and upheld complaints of the `i`-th community (in the tree's order): spread
/// out, with some equal, so the ranking shows shared ranks.
fn entered(i: usize) -> (f64, f64) {
    (18.0 + ((i * 7) % 25) as f64, (i % 3) as f64)
}

pub async fn seed(state: &AppState, demo: &mut Demo) -> anyhow::Result<()> {
    let db = &state.db;
    let units = list_units(db, &ScopeFilter(None)).await?;
    let Some(district) = units.iter().find(|u| u.kind == UnitKind::District) else {
        return Ok(());
    };
    let actor = GovActor::of_user(db, &demo.admin).await?;
    let this_year: i64 = cases::calendar::local_date(state.now())
        .format("%Y")
        .to_string()
        .parse()?;
    let year = this_year - 1;
    let (_, deadline) = year_bounds(year);
    let spec = plan::Spec {
        district_id: district.id.0,
        year,
        unit_kind: "community".into(),
        deadline_ms: deadline,
        items: ITEMS
            .iter()
            .map(|(c, w, t)| (c.to_string(), *w, *t))
            .collect(),
    };
    let fail = |e: platform::web::AppError| anyhow::Error::new(e).context("demo assessment");
    let id = plan::create(state, &actor, &spec).await.map_err(fail)?;
    let p = model::find_plan(db, id).await?.expect("just created");
    let items = model::items(db, id).await?;
    let sheets = model::sheets(db, id).await?;
    for (i, sheet) in sheets.iter().enumerate() {
        let (hours, complaints) = entered(i);
        for (code, value, evidence) in [
            ("study_hours", hours, "中心组学习签到表及学习笔记"),
            ("complaints", complaints, "区信访办年度通报"),
        ] {
            let item = items
                .iter()
                .find(|i| i.indicator.code == code)
                .expect("in ITEMS");
            service::enter(state, &actor, &p, sheet, item, value, evidence)
                .await
                .map_err(fail)?;
        }
        for step in ["submit", "review", "approve"] {
            let now = model::find_sheet_by_id(db, sheet.id)
                .await?
                .expect("exists");
            service::step(state, &actor, &p, &now, step)
                .await
                .map_err(fail)?;
        }
    }
    service::lock(state, &actor, &p).await.map_err(fail)?;
    // The notice and its appeal window lie in the past: the year is final.
    let mut tx = db.begin().await?;
    let until = deadline + service::APPEAL_DAYS * 24 * 3600 * 1000;
    model::set_plan_state(&mut tx, id, PlanState::Final, Some(until), state.now()).await?;
    tx.commit().await?;
    demo.notes.push(format!(
        "考核 / assessment: {year} is final for {} communities — ranking at /assessments/{year}",
        sheets.len()
    ));
    if let Some(note) = study_records(state, &actor, &units, this_year).await? {
        demo.notes.push(note);
    }
    Ok(())
}

/// This year's study records: a session in the first community with staff, attended by
/// them, on the library's first document, which is also assigned to them to read.
async fn study_records(
    state: &AppState,
    actor: &GovActor,
    units: &[Unit],
    year: i64,
) -> anyhow::Result<Option<String>> {
    let fail = |e: platform::web::AppError| anyhow::Error::new(e).context("demo study");
    for c in units.iter().filter(|u| u.kind == UnitKind::Community) {
        let staff: Vec<i64> = study::staff(state, c)
            .await
            .map_err(fail)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        if staff.is_empty() {
            continue;
        }
        let all = platform::db::Sql::default();
        let docs = library::model::list(&state.db, &all, "d.id", 1, 0).await?;
        let session = NewSession {
            unit_id: c.id.0,
            held_on: cases::calendar::local_date(state.now()).to_string(),
            title: "学习社会组织参与社区服务的工作办法".into(),
            minutes: 90,
            host: "社区党委书记".into(),
            notes: "对照本社区的服务清单，逐项讨论了社会组织可以承接的事项。".into(),
            materials: docs.iter().map(|d| d.id).collect(),
            attendees: staff.clone(),
        };
        let id = study::record(state, actor, &session).await.map_err(fail)?;
        if let Some(d) = docs.first() {
            let reading = NewAssignment {
                document_id: d.id,
                user_ids: staff,
                hours: 2.0,
                due_on: format!("{year}-12-31"),
            };
            study::assign(state, actor, c.id.0, &reading)
                .await
                .map_err(fail)?;
        }
        return Ok(Some(format!(
            "学习 / study: a session of {} — /study/sessions/{id}",
            c.name
        )));
    }
    Ok(None)
}
