//! The calls, awards, contracts, milestones and paid instalments as an OCDS 1.1 release
//! package at `/ocds/releases.json` (Open Contracting Data Standard 1.1.5), so any
//! open-contracting tool reads them. One compiled release per call, public data only:
//! names of units and organisations, amounts, dates and statuses — never a person.

use crate::projects::{self, Call};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::{FixedOffset, NaiveDate, TimeZone};
use platform::AppState;
use serde_json::{Value, json};

const PREFIX: &str = "ocds-gz14";

/// `http://host` of the request (OCDS wants an absolute URI); only a plausible host name.
fn origin(headers: &HeaderMap) -> String {
    platform::web::feed::forwarded_origin(headers)
}

fn ms_iso(ms: i64) -> String {
    let tz = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    tz.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339()
}

fn day_iso(d: &str) -> Value {
    match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
        Ok(day) => json!(format!("{day}T00:00:00+08:00")),
        Err(_) => Value::Null,
    }
}

fn money(fen: i64) -> Value {
    json!({ "amount": fen as f64 / 100.0, "currency": "CNY" })
}

async fn release(state: &AppState, c: &Call) -> sqlx::Result<Value> {
    let buyer = json!({ "id": format!("unit-{}", c.unit_id), "name": c.unit_name });
    let mut parties = vec![
        json!({ "id": buyer["id"], "name": c.unit_name, "roles": ["buyer", "procuringEntity"] }),
    ];
    let (mut awards, mut contracts) = (Vec::new(), Vec::new());
    for k in projects::contracts(state, c.id).await? {
        let supplier = json!({ "id": format!("org-{}", k.org_id), "name": k.org_name });
        if !parties.iter().any(|p| p["id"] == supplier["id"]) {
            parties
                .push(json!({ "id": supplier["id"], "name": k.org_name, "roles": ["supplier"] }));
        }
        awards.push(json!({
            "id": format!("award-{}", k.id), "title": k.title, "description": k.award_reason, "status": "active",
            "date": ms_iso(k.signed_at), "value": money(k.amount_fen), "suppliers": [supplier.clone()]
        }));
        let milestones: Vec<Value> = k.milestones.iter().map(|m| {
            let mut v = json!({ "id": format!("milestone-{}", m.id), "title": m.title, "type": "delivery",
                                "dueDate": day_iso(&m.due_on), "status": m.status });
            if m.reported_at > 0 {
                v["dateModified"] = json!(ms_iso(m.reported_at));
                if m.status == "met" {
                    v["dateMet"] = json!(ms_iso(m.reported_at));
                }
            }
            v
        }).collect();
        let transactions: Vec<Value> = k
            .milestones
            .iter()
            .filter_map(|m| {
                m.paid_at.map(|at| json!({
            "id": format!("instalment-{}", m.id), "date": ms_iso(at), "value": money(m.amount_fen),
            "payer": buyer.clone(), "payee": supplier.clone()
        }))
            })
            .collect();
        contracts.push(json!({
            "id": format!("contract-{}", k.id), "awardID": format!("award-{}", k.id), "title": k.title,
            "status": if k.state == "active" { "active" } else { "terminated" },
            "value": money(k.amount_fen), "dateSigned": ms_iso(k.signed_at), "milestones": milestones,
            "implementation": { "transactions": transactions }
        }));
    }
    let mut r = json!({
        "ocid": format!("{PREFIX}-call-{}", c.id),
        "id": format!("call-{}-{}", c.id, c.updated_at),
        "date": ms_iso(c.updated_at),
        "tag": ["compiled"],
        "initiationType": "tender",
        "language": "zh",
        "parties": parties,
        "buyer": buyer,
        "tender": {
            "id": format!("call-{}", c.id), "title": c.title, "description": c.description,
            "status": if awards.is_empty() { "active" } else { "complete" },
            "value": money(c.budget_fen),
            "tenderPeriod": { "startDate": day_iso(&c.opens_on), "endDate": day_iso(&c.closes_on) },
            "items": c.categories.iter().map(|code| json!({ "id": code, "description": code,
                "classification": { "scheme": "gongzhi-community-services", "id": code } })).collect::<Vec<_>>()
        },
    });
    if !awards.is_empty() {
        r["awards"] = json!(awards);
        r["contracts"] = json!(contracts);
    }
    Ok(r)
}

/// `GET /ocds/releases.json`: every call as one compiled release, for anyone.
pub async fn releases(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, platform::AppError> {
    let calls = projects::calls(&state).await?;
    let mut releases = Vec::new();
    for c in &calls {
        releases.push(release(&state, c).await?);
    }
    let published = calls.iter().map(|c| c.updated_at).max().unwrap_or(0);
    Ok(Json(json!({
        "uri": format!("{}/ocds/releases.json", origin(&headers)),
        "version": "1.1",
        "publishedDate": ms_iso(published),
        "publisher": { "name": "共治 Gongzhi" },
        "license": "https://creativecommons.org/publicdomain/zero/1.0/",
        "releases": releases
    })))
}
