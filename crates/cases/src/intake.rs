//! Taking cases in, from every source (resident form, grid worker, hotline, Open311),
//! and routing them to the unit that handles them.

use crate::error::{CaseError, CaseResult};
use crate::model::{Case, Category, Priority, RouteKind, Source};
use crate::workflow;
use gov_core::{Unit, UnitId, UnitKind, UnitPath, find_unit, units_by_ids};
use platform::AppState;
use platform::web::Code;

pub const MAX_DESCRIPTION: usize = 4000;
pub const MAX_ADDRESS: usize = 300;
pub const MAX_CONTACT: usize = 100;

/// A case ready to be filed: every field already checked.
#[derive(Clone, Debug)]
pub struct NewCase {
    pub category: Category,
    pub source: Source,
    pub priority: Priority,
    pub place: Unit,
    pub address: String,
    pub lat_lon_e6: Option<(i64, i64)>,
    pub description: String,
    /// Answers to the category's attributes, as a JSON object.
    pub attributes: serde_json::Value,
    pub media_url: String,
    pub photo: Option<(String, String)>,
    pub reporter_id: Option<i64>,
    pub reporter_name: String,
    pub reporter_phone: String,
    pub reporter_email: String,
    pub client_id: Option<i64>,
}

/// A description: 1 to 4,000 characters after trimming.
pub fn description(raw: &str) -> CaseResult<String> {
    let d = raw.trim();
    if d.is_empty() {
        return Err(CaseError::invalid(
            Code::MissingDescription,
            "请描述发生了什么 (describe what happened)",
        ));
    }
    if d.chars().count() > MAX_DESCRIPTION {
        return Err(CaseError::invalid(
            Code::DescriptionTooLong,
            format!(
                "描述最多 {MAX_DESCRIPTION} 字 (the description is longer than {MAX_DESCRIPTION} characters)"
            ),
        ));
    }
    Ok(d.to_string())
}

pub fn short(raw: &str, max: usize, field: &'static str) -> CaseResult<String> {
    let s = raw.trim();
    if s.chars().count() > max || s.chars().any(|c| c.is_control()) {
        return Err(CaseError::invalid(
            Code::BadField,
            format!("{field} must be at most {max} characters on one line"),
        ));
    }
    Ok(s.to_string())
}

/// Latitude and longitude in degrees → micro-degrees, both or neither.
pub fn coordinates(lat: &str, lon: &str) -> CaseResult<Option<(i64, i64)>> {
    let (lat, lon) = (lat.trim(), lon.trim());
    if lat.is_empty() && lon.is_empty() {
        return Ok(None);
    }
    let parse = |s: &str, max: f64| -> Option<i64> {
        let v: f64 = s.parse().ok()?;
        (v.is_finite() && v.abs() <= max).then(|| (v * 1e6).round() as i64)
    };
    match (parse(lat, 90.0), parse(lon, 180.0)) {
        (Some(a), Some(b)) => Ok(Some((a, b))),
        _ => Err(CaseError::invalid(
            Code::BadLocation,
            "lat must be a number within ±90 and long within ±180, given together",
        )),
    }
}

fn new_token() -> String {
    platform::auth::new_token()[..24].to_string()
}

/// Files a case: its row, its first timeline step and an outbox event commit together.
/// While the server runs, cases from concurrent requests are written by one task in shared
/// transactions (group commit, ADR 014): one commit for many cases instead of one each.
pub async fn file(state: &AppState, c: NewCase) -> CaseResult<Case> {
    let now = state.now();
    let token = new_token();
    let id = match state.ext::<Writer>() {
        Some(w) => w.submit(&c, &token, now).await?,
        None => {
            let mut tx = state.db.begin().await?;
            let id = insert(&mut tx, &c, &token, now).await?;
            tx.commit().await?;
            id
        }
    };
    Ok(filed(c, id, token, now))
}

/// The case as it was just written (no read back).
fn filed(c: NewCase, id: i64, token: String, now: i64) -> Case {
    Case {
        id,
        token,
        category_id: c.category.id,
        source: c.source,
        priority: c.priority,
        state: crate::model::CaseState::Reported,
        place_unit_id: c.place.id.0,
        district_path: workflow::district_of(&c.place.path),
        place_path: c.place.path.as_str().to_string(),
        address: c.address,
        lat_e6: c.lat_lon_e6.map(|l| l.0),
        lon_e6: c.lat_lon_e6.map(|l| l.1),
        description: c.description,
        attributes: c.attributes.to_string(),
        media_url: c.media_url,
        photo_key: c.photo.as_ref().map(|p| p.0.clone()).unwrap_or_default(),
        photo_type: c.photo.map(|p| p.1).unwrap_or_default(),
        reporter_id: c.reporter_id,
        reporter_name: c.reporter_name,
        reporter_phone: c.reporter_phone,
        reporter_email: c.reporter_email,
        lead_unit_id: None,
        lead_path: String::new(),
        merged_into: None,
        result: String::new(),
        supervision: crate::model::Supervision::None,
        reminded: false,
        satisfaction: None,
        reported_at: now,
        accepted_at: None,
        dispatched_at: None,
        responded_at: None,
        respond_by: None,
        return_by: None,
        due_at: None,
        handled_at: None,
        closed_at: None,
        updated_at: now,
        public_description: String::new(),
        result_photo_key: String::new(),
        result_photo_type: String::new(),
    }
}

async fn insert(
    tx: &mut platform::db::Tx,
    c: &NewCase,
    token: &str,
    now: i64,
) -> sqlx::Result<i64> {
    let district = workflow::district_of(&c.place.path);
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO cases_cases (token, category_id, source, priority, state, place_unit_id, \
         place_path, district_path, address, lat_e6, lon_e6, description, attributes, media_url, \
         photo_key, photo_type, reporter_id, reporter_name, reporter_phone, reporter_email, \
         client_id, reported_at, updated_at) VALUES ($1, $2, $3, $4, 'reported', $5, $6, $7, $8, \
         $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21) RETURNING id",
    )
    .bind(token)
    .bind(c.category.id)
    .bind(c.source.as_str())
    .bind(c.priority.as_str())
    .bind(c.place.id.0)
    .bind(c.place.path.as_str())
    .bind(&district)
    .bind(&c.address)
    .bind(c.lat_lon_e6.map(|l| l.0))
    .bind(c.lat_lon_e6.map(|l| l.1))
    .bind(&c.description)
    .bind(c.attributes.to_string())
    .bind(&c.media_url)
    .bind(c.photo.as_ref().map(|p| p.0.as_str()).unwrap_or(""))
    .bind(c.photo.as_ref().map(|p| p.1.as_str()).unwrap_or(""))
    .bind(c.reporter_id)
    .bind(&c.reporter_name)
    .bind(&c.reporter_phone)
    .bind(&c.reporter_email)
    .bind(c.client_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    workflow::event(
        tx,
        id,
        now,
        None,
        "reported",
        c.source.label(platform::web::Lang::Zh),
        true,
    )
    .await?;
    platform::outbox::emit(
        tx,
        now,
        "case.reported",
        id,
        serde_json::json!({ "category": c.category.code, "place_unit_id": c.place.id.0 }),
    )
    .await?;
    Ok(id)
}

type Job = (
    NewCase,
    String,
    i64,
    tokio::sync::oneshot::Sender<Result<i64, String>>,
);

/// The intake writer: one task that commits waiting cases together.
pub struct Writer {
    queue: tokio::sync::mpsc::Sender<Job>,
}

/// The most cases one shared transaction takes.
const BATCH: usize = 128;

impl Writer {
    pub fn start(state: &AppState) {
        let (queue, mut rx) = tokio::sync::mpsc::channel::<Job>(4096);
        let st = state.clone();
        tokio::spawn(async move {
            let mut batch: Vec<Job> = Vec::with_capacity(BATCH);
            while let Some(first) = rx.recv().await {
                batch.push(first);
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(j) => batch.push(j),
                        Err(_) => break,
                    }
                }
                write_batch(&st, &mut batch).await;
            }
        });
        state.attach(std::sync::Arc::new(Writer { queue }));
    }

    async fn submit(&self, c: &NewCase, token: &str, now: i64) -> CaseResult<i64> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.queue
            .send((c.clone(), token.to_string(), now, tx))
            .await
            .map_err(|_| CaseError::Internal(anyhow::anyhow!("the intake writer stopped")))?;
        rx.await
            .map_err(|_| CaseError::Internal(anyhow::anyhow!("the intake writer dropped a case")))?
            .map_err(|e| CaseError::Internal(anyhow::anyhow!("filing a case: {e}")))
    }
}

/// Writes a batch in one transaction; if that fails, each case alone, so that one bad
/// case never takes the others down with it.
async fn write_batch(state: &AppState, batch: &mut Vec<Job>) {
    let together = async {
        let mut tx = state.db.begin().await?;
        let mut ids = Vec::with_capacity(batch.len());
        for (c, token, now, _) in batch.iter() {
            ids.push(insert(&mut tx, c, token, *now).await?);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(ids)
    }
    .await;
    match together {
        Ok(ids) => {
            for ((_, _, _, reply), id) in batch.drain(..).zip(ids) {
                let _ = reply.send(Ok(id));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, size = batch.len(), "intake batch failed; writing one by one");
            for (c, token, now, reply) in batch.drain(..) {
                let one = async {
                    let mut tx = state.db.begin().await?;
                    let id = insert(&mut tx, &c, &token, now).await?;
                    tx.commit().await?;
                    Ok::<_, sqlx::Error>(id)
                }
                .await;
                let _ = reply.send(one.map_err(|e| e.to_string()));
            }
        }
    }
}

/// The unit a case goes to by its category and place: a fixed unit, or the unit of the
/// category's kind on the way up from the place. `None` when the place lies above that
/// level (the centre chooses).
pub async fn route(state: &AppState, case: &Case) -> CaseResult<Option<(i64, String, String)>> {
    let cat = crate::model::category(&state.db, case.category_id)
        .await?
        .ok_or(CaseError::NotFound)?;
    if cat.route_kind == RouteKind::Fixed {
        let Some(uid) = cat.route_unit_id else {
            return Ok(None);
        };
        return Ok(find_unit(&state.db, UnitId(uid))
            .await?
            .filter(|u| u.path.as_str().starts_with(&case.district_path))
            .map(|u| (u.id.0, u.path.as_str().to_string(), u.name)));
    }
    let want = match cat.route_kind {
        RouteKind::Grid => UnitKind::Grid,
        RouteKind::Street => UnitKind::Street,
        _ => UnitKind::Community,
    };
    let Some(path) = UnitPath::parse(&case.place_path) else {
        return Ok(None);
    };
    let chain = units_by_ids(&state.db, &path.ids()).await?;
    Ok(chain
        .into_iter()
        .filter(|u| u.kind == want)
        .max_by_key(|u| u.path.depth())
        .map(|u| (u.id.0, u.path.as_str().to_string(), u.name)))
}

/// The place of a case from what a client gave: a unit code (`address_id`), a unit named
/// in the address text, or else the district itself (the centre then sets it right).
pub async fn place_from(
    state: &AppState,
    district: &Unit,
    address_id: &str,
    address: &str,
) -> CaseResult<Unit> {
    if !address_id.trim().is_empty() {
        return crate::hot::unit_by_code(state, address_id.trim())
            .await?
            .filter(|u| district.path.contains(&u.path))
            .ok_or_else(|| {
                CaseError::invalid(
                    Code::BadAddressId,
                    "address_id is not the code of a unit in this district",
                )
            });
    }
    if !address.trim().is_empty() {
        let units = crate::hot::district_units(state, district).await?;
        // The most specific unit whose name the address mentions.
        if let Some(u) = units
            .into_iter()
            .filter(|u| u.kind != UnitKind::Department && address.contains(u.name.as_str()))
            .max_by_key(|u| (u.path.depth(), u.name.chars().count()))
        {
            return Ok(u);
        }
    }
    Ok(district.clone())
}

/// Checks answers against a category's attributes: required ones present, list answers
/// among the allowed keys, numbers numeric. Unknown answers are dropped.
pub fn check_attributes(
    cat: &Category,
    answers: &std::collections::BTreeMap<String, String>,
) -> CaseResult<serde_json::Value> {
    let mut out = serde_json::Map::new();
    for a in &cat.attributes {
        let given = answers.get(&a.code).map(|s| s.trim()).unwrap_or("");
        if given.is_empty() {
            if a.required {
                return Err(CaseError::invalid(
                    Code::MissingAttribute,
                    format!(
                        "请回答“{}” (attribute {} is required)",
                        a.description, a.code
                    ),
                ));
            }
            continue;
        }
        let ok = match a.datatype.as_str() {
            "number" => given.parse::<f64>().is_ok_and(f64::is_finite),
            "singlevaluelist" => a.values.iter().any(|v| v.key == given),
            "multivaluelist" => given
                .split(',')
                .all(|g| a.values.iter().any(|v| v.key == g.trim())),
            _ => given.chars().count() <= 1000,
        };
        if !ok {
            return Err(CaseError::invalid(
                Code::BadAttribute,
                format!("attribute {} has a value it does not accept", a.code),
            ));
        }
        out.insert(a.code.clone(), serde_json::Value::String(given.to_string()));
    }
    Ok(serde_json::Value::Object(out))
}

/// A category a case may be filed under, by its code.
pub async fn leaf_category(state: &AppState, code: &str) -> CaseResult<Category> {
    let all = crate::hot::categories(state).await?;
    crate::model::leaves(&all)
        .into_iter()
        .find(|c| c.code == code.trim())
        .cloned()
        .ok_or_else(|| {
            CaseError::invalid(
                Code::UnknownCategory,
                format!("没有这个事件类别 (no case category {:?})", code.trim()),
            )
        })
}
