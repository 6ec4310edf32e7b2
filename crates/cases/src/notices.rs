//! Who hears of a case's steps in the one bell (`platform::notify`): the lead and
//! co-handling units' own staff of a dispatch, the reporter of acceptance, rejection and
//! closure, the centre of a return, the lead unit of reminders and cards. Recipients are
//! read before the step's transaction and written inside it. A notice names the case, its
//! category and place — never the description or the reporter's contact details.

use crate::model::{self, Case};
use gov_core::{MemberRole, UnitId, UnitPath, find_unit, unit_staff};
use platform::db::Tx;
use platform::{AppState, notify};

/// One notice to send when the step commits.
pub struct Notice {
    users: Vec<i64>,
    kind: &'static str,
    zh: String,
    en: String,
    link: String,
}

impl Notice {
    pub async fn write(self, tx: &mut Tx, now: i64) -> sqlx::Result<()> {
        notify::notify_all(
            tx,
            &self.users,
            self.kind,
            &self.zh,
            &self.en,
            &self.link,
            now,
        )
        .await
    }
}

/// Staff (worker or more) of each of these units.
async fn staff_of(state: &AppState, units: &[i64]) -> sqlx::Result<Vec<i64>> {
    let mut users = Vec::new();
    for u in units {
        users.extend(unit_staff(&state.db, UnitId(*u), MemberRole::Worker).await?);
    }
    Ok(users)
}

/// The centre: staff of the case's district unit.
async fn centre_of(state: &AppState, case: &Case) -> sqlx::Result<Vec<i64>> {
    let district = UnitPath::parse(&case.district_path)
        .and_then(|p| p.ids().first().copied())
        .map(|id| id.0);
    staff_of(state, &district.into_iter().collect::<Vec<_>>()).await
}

/// "噪声扰民 · 某某社区": what the case is about, without what the reporter wrote.
async fn subject(state: &AppState, case: &Case) -> sqlx::Result<(String, String)> {
    let cat = model::category(&state.db, case.category_id).await?;
    let place = find_unit(&state.db, UnitId(case.place_unit_id))
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let (zh, en) = cat
        .map(|c| (c.name.clone(), c.label(platform::web::Lang::En).to_string()))
        .unwrap_or_default();
    Ok((format!("{zh} · {place}"), format!("{en} · {place}")))
}

/// Dispatch (or re-dispatch): the lead unit and the co-handling units.
pub async fn dispatched(
    state: &AppState,
    case: &Case,
    lead: i64,
    co: &[i64],
    due_at: i64,
) -> sqlx::Result<Notice> {
    let mut units = vec![lead];
    units.extend_from_slice(co);
    let (zh, en) = subject(state, case).await?;
    let due = platform::clock::format_ms(due_at);
    Ok(Notice {
        users: staff_of(state, &units).await?,
        kind: "case.dispatched",
        zh: format!(
            "新派单：事件 #{}（{zh}）派给你单位办理，办理期限 {due}。",
            case.id
        ),
        en: format!("New case #{} ({en}) for your unit, due {due}.", case.id),
        link: format!("/cases/{}", case.id),
    })
}

/// A step the reporter hears of (a signed-in resident; others filed by phone or client).
pub fn to_reporter(case: &Case, kind: &'static str) -> Option<Notice> {
    let user = case.reporter_id?;
    let (zh, en) = match kind {
        "case.accepted" => ("已受理，将派给承办单位办理", "was accepted"),
        "case.rejected" => ("不予受理，请查看原因", "was not accepted; see why"),
        "case.merged" => (
            "与反映同一问题的事件合并办理",
            "is handled together with a report of the same problem",
        ),
        "case.closed" => ("已办结，请查看办理结果", "is closed; see the result"),
        _ => return None,
    };
    Some(Notice {
        users: vec![user],
        kind,
        zh: format!("您上报的事件 #{} {zh}。", case.id),
        en: format!("Your case #{} {en}.", case.id),
        link: format!("/cases/{}", case.id),
    })
}

/// A unit sent the case back: the centre must dispatch it again.
pub async fn returned(state: &AppState, case: &Case) -> sqlx::Result<Notice> {
    let (zh, en) = subject(state, case).await?;
    Ok(Notice {
        users: centre_of(state, case).await?,
        kind: "case.returned",
        zh: format!("事件 #{}（{zh}）被承办单位退回，请重新派单。", case.id),
        en: format!(
            "Case #{} ({en}) was returned by its unit; dispatch it again.",
            case.id
        ),
        link: format!("/cases/{}", case.id),
    })
}

/// The sweep's reminder or card: the lead unit's staff.
pub async fn deadline(state: &AppState, case: &Case, kind: &str) -> sqlx::Result<Option<Notice>> {
    let Some(lead) = case.lead_unit_id else {
        return Ok(None);
    };
    let due = platform::clock::format_ms(case.due_at.unwrap_or_default());
    let (zh, en) = match kind {
        "reminder" => ("今天到期", "is due today"),
        "yellow_card" => ("已超期，黄牌督办", "is overdue: yellow card"),
        "red_card" => ("超期未办，红牌督办", "is still overdue: red card"),
        _ => return Ok(None),
    };
    Ok(Some(Notice {
        users: staff_of(state, &[lead]).await?,
        kind: match kind {
            "reminder" => "case.reminder",
            _ => "case.card",
        },
        zh: format!("事件 #{} {zh}（办理期限 {due}）。", case.id),
        en: format!("Case #{} {en} (due {due}).", case.id),
        link: format!("/cases/{}", case.id),
    }))
}

/// The centre pressed the lead unit: an urge (`None`) or a listing for supervision until a
/// day. The lead unit's own staff hear of it.
pub async fn pressed(
    state: &AppState,
    case: &Case,
    listed_until: Option<chrono::NaiveDate>,
) -> sqlx::Result<Option<Notice>> {
    let Some(lead) = case.lead_unit_id else {
        return Ok(None);
    };
    let (subject_zh, subject_en) = subject(state, case).await?;
    let (kind, zh, en) = match listed_until {
        None => (
            "case.urged",
            format!("催办：事件 #{}（{subject_zh}）请抓紧办理。", case.id),
            format!(
                "Urged: case #{} ({subject_en}) needs your unit to act now.",
                case.id
            ),
        ),
        Some(day) => (
            "case.listed",
            format!(
                "挂牌督办：事件 #{}（{subject_zh}）由中心挂牌督办，须在 {day} 前办结。",
                case.id
            ),
            format!(
                "Listed for supervision: case #{} ({subject_en}) must be done by {day}.",
                case.id
            ),
        ),
    };
    Ok(Some(Notice {
        users: staff_of(state, &[lead]).await?,
        kind,
        zh,
        en,
        link: format!("/cases/{}", case.id),
    }))
}
