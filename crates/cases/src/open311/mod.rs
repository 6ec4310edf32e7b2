//! Open311 GeoReport v2 at /open311/v2/: discovery, services and their definitions,
//! filing requests with an api_key, reading requests and tokens — XML and JSON, with the
//! spec's error documents. Our workflow shows as `open`/`closed` with status notes, the
//! agency responsible (the lead unit) and the expected date (the deadline).

pub mod format;
pub mod keys;

use crate::error::CaseError;
use crate::intake::{self, NewCase};
use crate::model::{self, Case, CaseState, Category, Priority, Source};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, FixedOffset, TimeZone};
use format::{Format, Node, error, s};
use gov_core::{Bind, Sql};
use platform::AppState;
use platform::web::Code;
use sqlx::FromRow;
use std::collections::{BTreeMap, HashMap};

/// The spec's default window and page size for GET requests.
pub const DEFAULT_DAYS: i64 = 90;
pub const MAX_REQUESTS: i64 = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(top).post(post_request))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

fn zone() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// W3C date-time with the district's offset.
pub fn w3c(ms: i64) -> String {
    zone()
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string())
        .unwrap_or_default()
}

fn opt_time(ms: Option<i64>) -> Node {
    ms.map(|m| s(w3c(m))).unwrap_or(Node::Null)
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/open311/v2")
}

type Params = HashMap<String, String>;

fn params(query: Option<&str>, body: &[u8]) -> Params {
    let mut out = Params::new();
    for src in [query.unwrap_or("").as_bytes(), body] {
        for (k, v) in form_urlencoded::parse(src) {
            out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
    }
    out
}

async fn top(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some((name, fmt)) = Format::split(&file) else {
        return error(
            StatusCode::NOT_FOUND,
            Format::Json,
            "unknown resource; use .json or .xml",
        );
    };
    let result = match name {
        "discovery" => Ok(discovery(&headers).respond(StatusCode::OK, fmt, "discovery")),
        "services" => services(&state)
            .await
            .map(|n| n.respond(StatusCode::OK, fmt, "services")),
        "requests" => requests(&state, &params(q.as_deref(), b""), fmt).await,
        _ => return error(StatusCode::NOT_FOUND, fmt, "unknown resource"),
    };
    result.unwrap_or_else(|e| failure(e, fmt))
}

/// A case error in the spec's format; internal causes are logged, never shown.
fn failure(e: CaseError, fmt: Format) -> Response {
    match e {
        CaseError::NotFound => error(StatusCode::NOT_FOUND, fmt, "not found"),
        CaseError::Invalid { message, .. } => error(StatusCode::BAD_REQUEST, fmt, &message),
        CaseError::Denied(m) => error(StatusCode::FORBIDDEN, fmt, &m),
        CaseError::Internal(cause) => {
            tracing::error!(error = %cause, "open311 request failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, fmt, "internal error")
        }
        other => error(StatusCode::BAD_REQUEST, fmt, &other.to_string()),
    }
}

fn discovery(headers: &HeaderMap) -> Node {
    let url = base_url(headers);
    Node::Obj(vec![
        ("changeset", s("2026-11-27T00:00:00+08:00")),
        (
            "contact",
            s("综治信息中心 — the district governance centre"),
        ),
        (
            "key_service",
            s("API keys are issued by the centre's administrators (页面：/cases/settings)"),
        ),
        (
            "endpoints",
            Node::List(
                "endpoint",
                vec![Node::Obj(vec![
                    ("specification", s("http://wiki.open311.org/GeoReport_v2")),
                    ("url", s(url)),
                    ("changeset", s("2026-11-27T00:00:00+08:00")),
                    ("type", s("production")),
                    (
                        "formats",
                        Node::List("format", vec![s("text/xml"), s("application/json")]),
                    ),
                ])],
            ),
        ),
    ])
}

fn group_of(c: &Category, all: &[Category]) -> String {
    c.parent_id
        .and_then(|p| all.iter().find(|o| o.id == p))
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

async fn services(state: &AppState) -> Result<Node, CaseError> {
    let all = model::categories(&state.db).await?;
    let items = model::leaves(&all)
        .into_iter()
        .map(|c| {
            Node::Obj(vec![
                ("service_code", s(&c.code)),
                ("service_name", s(&c.name)),
                ("description", s(&c.description)),
                ("metadata", Node::Bool(!c.attributes.is_empty())),
                ("type", s("realtime")),
                ("keywords", s(&c.keywords)),
                ("group", s(group_of(c, &all))),
            ])
        })
        .collect();
    Ok(Node::List("service", items))
}

async fn service_definition(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((code, fmt)) = Format::split(&file) else {
        return error(
            StatusCode::NOT_FOUND,
            Format::Json,
            "unknown resource; use .json or .xml",
        );
    };
    let cat = match intake::leaf_category(&state, code).await {
        Ok(c) => c,
        Err(CaseError::Invalid { .. }) => {
            return error(StatusCode::NOT_FOUND, fmt, "service_code not found");
        }
        Err(e) => return failure(e, fmt),
    };
    let attrs = cat
        .attributes
        .iter()
        .enumerate()
        .map(|(i, a)| {
            Node::Obj(vec![
                ("variable", Node::Bool(true)),
                ("code", s(&a.code)),
                ("datatype", s(&a.datatype)),
                ("required", Node::Bool(a.required)),
                ("datatype_description", s("")),
                ("order", Node::Int(i as i64 + 1)),
                ("description", s(&a.description)),
                (
                    "values",
                    Node::List(
                        "value",
                        a.values
                            .iter()
                            .map(|v| Node::Obj(vec![("key", s(&v.key)), ("name", s(&v.name))]))
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    Node::Obj(vec![
        ("service_code", s(&cat.code)),
        ("attributes", Node::List("attribute", attrs)),
    ])
    .respond(StatusCode::OK, fmt, "service_definition")
}

async fn post_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let fmt = match Format::split(&file) {
        Some(("requests", f)) => f,
        Some((_, f)) => return error(StatusCode::NOT_FOUND, f, "only requests can be posted"),
        None => {
            return error(
                StatusCode::NOT_FOUND,
                Format::Json,
                "unknown resource; use .json or .xml",
            );
        }
    };
    // A body over the server's limit (2 MB) gets the spec's error document too.
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let why = format!("the request body could not be read: {}", e.body_text());
            return error(e.status(), fmt, &why);
        }
    };
    let p = params(q.as_deref(), &body);
    match file_request(&state, &p).await {
        Ok(case) => Node::List(
            "request",
            vec![Node::Obj(vec![
                ("service_request_id", s(case.id.to_string())),
                ("service_notice", s(notice(&case))),
                ("account_id", Node::Null),
                ("token", s(&case.token)),
            ])],
        )
        .respond(StatusCode::OK, fmt, "service_requests"),
        Err(e) => failure(e, fmt),
    }
}

fn notice(case: &Case) -> String {
    format!(
        "已收到，事件编号 {}；中心受理后将派往承办单位。Received as case {}.",
        case.id, case.id
    )
}

fn param<'a>(p: &'a Params, k: &str) -> &'a str {
    p.get(k).map(|s| s.as_str()).unwrap_or("")
}

async fn file_request(state: &AppState, p: &Params) -> Result<Case, CaseError> {
    let Some((client_id, district)) = keys::client(state, param(p, "api_key")).await? else {
        return Err(CaseError::Denied("api_key is missing or not valid".into()));
    };
    let code = param(p, "service_code");
    if code.trim().is_empty() {
        return Err(CaseError::invalid(
            Code::MissingServiceCode,
            "service_code is required",
        ));
    }
    let category = match intake::leaf_category(state, code).await {
        Ok(c) => c,
        Err(CaseError::Invalid { .. }) => return Err(CaseError::NotFound),
        Err(e) => return Err(e),
    };
    let lat_lon = intake::coordinates(param(p, "lat"), param(p, "long"))?;
    let (address, address_id) = (param(p, "address_string"), param(p, "address_id"));
    if lat_lon.is_none() && address.trim().is_empty() && address_id.trim().is_empty() {
        return Err(CaseError::invalid(
            Code::MissingLocation,
            "a location is required: lat and long, address_string or address_id",
        ));
    }
    let description = param(p, "description").trim();
    if description.chars().count() > intake::MAX_DESCRIPTION {
        return Err(CaseError::invalid(
            Code::DescriptionTooLong,
            "description is longer than 4,000 characters",
        ));
    }
    let answers: BTreeMap<String, String> = p
        .iter()
        .filter_map(|(k, v)| {
            let code = k.strip_prefix("attribute[")?.strip_suffix(']')?;
            Some((code.to_string(), v.clone()))
        })
        .collect();
    let attributes = intake::check_attributes(&category, &answers)?;
    let media_url = param(p, "media_url").trim();
    if !media_url.is_empty()
        && (media_url.len() > 1000
            || !(media_url.starts_with("https://") || media_url.starts_with("http://")))
    {
        return Err(CaseError::invalid(
            Code::BadMediaUrl,
            "media_url must be an http(s) URL",
        ));
    }
    let place = intake::place_from(state, &district, address_id, address).await?;
    let name = format!(
        "{} {}",
        param(p, "first_name").trim(),
        param(p, "last_name").trim()
    );
    let new = NewCase {
        category,
        source: Source::Open311,
        priority: Priority::Normal,
        place,
        address: intake::short(address, intake::MAX_ADDRESS, "address_string")?,
        lat_lon_e6: lat_lon,
        description: if description.is_empty() {
            "（未填写描述）".into()
        } else {
            description.to_string()
        },
        attributes,
        media_url: media_url.to_string(),
        photo: None,
        reporter_id: None,
        reporter_name: intake::short(&name, intake::MAX_CONTACT, "first_name/last_name")?,
        reporter_phone: intake::short(param(p, "phone"), intake::MAX_CONTACT, "phone")?,
        reporter_email: intake::short(param(p, "email"), intake::MAX_CONTACT, "email")?,
        client_id: Some(client_id),
    };
    intake::file(state, new).await
}

fn parse_time(raw: &str, field: &str) -> Result<Option<i64>, CaseError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| Some(t.timestamp_millis()))
        .map_err(|_| {
            CaseError::invalid(
                Code::BadDate,
                format!("{field} must be a W3C date-time such as 2026-11-27T08:00:00Z"),
            )
        })
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Who reads: the public (None), or the Open311 client that a valid `api_key` names.
async fn reader(state: &AppState, p: &Params) -> Result<Option<i64>, CaseError> {
    let key = param(p, "api_key");
    if key.is_empty() {
        return Ok(None);
    }
    match keys::client(state, key).await? {
        Some((client, _)) => Ok(Some(client)),
        None => Err(CaseError::Denied("api_key is not valid".into())),
    }
}

/// Admits the published cases, and for a client also the requests it filed itself.
fn visible_to(sql: &mut Sql, client: Option<i64>) {
    match client {
        Some(id) => {
            let p = sql.bind(Bind::Int(id));
            sql.push(format!("({} OR c.client_id = {p})", model::published_sql()));
        }
        None => sql.push(model::published_sql()),
    }
}

/// A request as a reader sees it: its own filing in full, anyone else's as published.
struct Seen {
    case: Case,
    own: bool,
}

/// Runs a `SELECT` over `cases_cases c` limited to what `client` may read.
async fn fetch_visible(
    state: &AppState,
    mut sql: Sql,
    client: Option<i64>,
    tail: &str,
) -> Result<Vec<Seen>, CaseError> {
    use sqlx::Row;
    visible_to(&mut sql, client);
    let q = format!(
        "SELECT {}, c.client_id FROM cases_cases c WHERE {} {tail}",
        model::columns("c"),
        sql.where_clause()
    );
    let rows = sql.query(&q).fetch_all(&state.db.pool).await?;
    rows.iter()
        .map(|r| {
            let filer: Option<i64> = r.try_get("client_id")?;
            Ok(Seen {
                case: model::Case::from_row(r)?,
                own: client.is_some() && filer == client,
            })
        })
        .collect::<sqlx::Result<Vec<_>>>()
        .map_err(CaseError::from)
}

async fn requests(state: &AppState, p: &Params, fmt: Format) -> Result<Response, CaseError> {
    let client = reader(state, p).await?;
    let mut sql = Sql::default();
    let ids: Vec<i64> = param(p, "service_request_id")
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim().parse::<i64>().map_err(|_| {
                CaseError::invalid(Code::BadId, "service_request_id: numbers, comma-separated")
            })
        })
        .collect::<Result<_, _>>()?;
    if !ids.is_empty() {
        // The spec: a list of ids overrides every other parameter.
        let ps: Vec<String> = ids
            .iter()
            .take(MAX_REQUESTS as usize)
            .map(|i| sql.bind(Bind::Int(*i)))
            .collect();
        sql.push(format!("c.id IN ({})", ps.join(", ")));
    } else {
        let start = parse_time(param(p, "start_date"), "start_date")?;
        let end = parse_time(param(p, "end_date"), "end_date")?;
        let (start, end) = match (start, end) {
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => (s, s + DEFAULT_DAYS * DAY_MS),
            (None, Some(e)) => (e - DEFAULT_DAYS * DAY_MS, e),
            (None, None) => {
                let now = state.now();
                (now - DEFAULT_DAYS * DAY_MS, now)
            }
        };
        if end < start {
            return Err(CaseError::invalid(
                Code::BadRange,
                "end_date is before start_date",
            ));
        }
        if end - start > DEFAULT_DAYS * DAY_MS {
            return Err(CaseError::invalid(
                Code::RangeTooLong,
                "start_date and end_date may not span more than 90 days",
            ));
        }
        let a = sql.bind(Bind::Int(start));
        let b = sql.bind(Bind::Int(end));
        sql.push(format!("c.reported_at >= {a} AND c.reported_at <= {b}"));
        let codes: Vec<&str> = param(p, "service_code")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if !codes.is_empty() {
            let ps: Vec<String> = codes
                .iter()
                .map(|c| sql.bind(Bind::Text(c.to_string())))
                .collect();
            sql.push(format!(
                "c.category_id IN (SELECT id FROM cases_categories WHERE code IN ({}))",
                ps.join(", ")
            ));
        }
        let statuses: Vec<&str> = param(p, "status")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if statuses.iter().any(|s| *s != "open" && *s != "closed") {
            return Err(CaseError::invalid(
                Code::BadStatus,
                "status: open or closed",
            ));
        }
        let open = statuses.contains(&"open");
        let closed = statuses.contains(&"closed");
        if open && !closed {
            sql.push(CaseState::sql_not_in("c.state", &CaseState::ENDED));
        } else if closed && !open {
            sql.push(CaseState::sql_in("c.state", &CaseState::ENDED));
        }
    }
    let seen = fetch_visible(
        state,
        sql,
        client,
        &format!("ORDER BY c.reported_at DESC, c.id DESC LIMIT {MAX_REQUESTS}"),
    )
    .await?;
    let nodes = request_nodes(state, &seen).await?;
    Ok(Node::List("request", nodes).respond(StatusCode::OK, fmt, "service_requests"))
}

/// Cases as GeoReport requests. Never the reporter's contact details; a request another
/// client or a resident filed shows only what the centre approved: the published text,
/// the place as a unit (no street address, coordinates or media) and the state.
async fn request_nodes(state: &AppState, seen: &[Seen]) -> Result<Vec<Node>, CaseError> {
    let cats: HashMap<i64, Category> = crate::hot::categories(state)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let ids: Vec<i64> = seen
        .iter()
        .flat_map(|c| [Some(c.case.place_unit_id), c.case.lead_unit_id])
        .flatten()
        .collect();
    let units: HashMap<i64, (String, String)> = model::units(&state.db, ids)
        .await?
        .into_iter()
        .map(|(id, u)| (id, (u.name, u.code)))
        .collect();
    Ok(seen
        .iter()
        .map(|Seen { case: c, own }| {
            let own = *own;
            let cat = cats.get(&c.category_id);
            let agency = c
                .lead_unit_id
                .and_then(|u| units.get(&u))
                .map(|u| u.0.clone())
                .unwrap_or_else(|| "综治信息中心".into());
            let notes = status_notes(c, own);
            let place = units.get(&c.place_unit_id);
            let coordinate = |v: Option<i64>| match v {
                Some(v) if own => Node::Float(v as f64 / 1e6),
                _ => Node::Null,
            };
            Node::Obj(vec![
                ("service_request_id", s(c.id.to_string())),
                (
                    "status",
                    s(if c.state.is_open() { "open" } else { "closed" }),
                ),
                ("status_notes", s(notes)),
                (
                    "service_name",
                    s(cat.map(|c| c.name.clone()).unwrap_or_default()),
                ),
                (
                    "service_code",
                    s(cat.map(|c| c.code.clone()).unwrap_or_default()),
                ),
                (
                    "description",
                    s(if own {
                        &c.description
                    } else {
                        &c.public_description
                    }),
                ),
                ("agency_responsible", s(agency)),
                ("service_notice", s("")),
                ("requested_datetime", s(w3c(c.reported_at))),
                ("updated_datetime", s(w3c(c.updated_at))),
                ("expected_datetime", opt_time(c.due_at)),
                (
                    "address",
                    s(if own {
                        c.address.clone()
                    } else {
                        place.map(|u| u.0.clone()).unwrap_or_default()
                    }),
                ),
                (
                    "address_id",
                    s(place.map(|u| u.1.clone()).unwrap_or_default()),
                ),
                ("zipcode", s("")),
                ("lat", coordinate(c.lat_e6)),
                ("long", coordinate(c.lon_e6)),
                ("media_url", s(if own { c.media_url.as_str() } else { "" })),
            ])
        })
        .collect())
}

/// The state in both languages; the unit's result only to the client that filed it.
fn status_notes(c: &Case, own: bool) -> String {
    let state = format!(
        "{}（{}）",
        c.state.label(platform::web::Lang::Zh),
        c.state.label(platform::web::Lang::En)
    );
    match c.state {
        CaseState::Closed | CaseState::Handled | CaseState::Verified
            if own && !c.result.is_empty() =>
        {
            format!("{state}：{}", c.result)
        }
        CaseState::Merged if own => format!("{state}：#{}", c.merged_into.unwrap_or_default()),
        _ => state,
    }
}

async fn one_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((id, fmt)) = Format::split(&file) else {
        return error(
            StatusCode::NOT_FOUND,
            Format::Json,
            "unknown resource; use .json or .xml",
        );
    };
    let Ok(id) = id.parse::<i64>() else {
        return error(StatusCode::NOT_FOUND, fmt, "service_request_id not found");
    };
    let found = async {
        let client = reader(&state, &params(q.as_deref(), b"")).await?;
        let mut sql = Sql::default();
        let p = sql.bind(Bind::Int(id));
        sql.push(format!("c.id = {p}"));
        let seen = fetch_visible(&state, sql, client, "").await?;
        if seen.is_empty() {
            return Err(CaseError::NotFound);
        }
        request_nodes(&state, &seen).await
    };
    match found.await {
        Ok(nodes) => Node::List("request", nodes).respond(StatusCode::OK, fmt, "service_requests"),
        Err(CaseError::NotFound) => {
            error(StatusCode::NOT_FOUND, fmt, "service_request_id not found")
        }
        Err(e) => failure(e, fmt),
    }
}

async fn token(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((token, fmt)) = Format::split(&file) else {
        return error(
            StatusCode::NOT_FOUND,
            Format::Json,
            "unknown resource; use .json or .xml",
        );
    };
    let row: Result<Option<(i64,)>, _> =
        sqlx::query_as("SELECT id FROM cases_cases WHERE token = $1")
            .bind(token)
            .fetch_optional(&state.db.pool)
            .await;
    match row {
        Ok(Some((id,))) => Node::List(
            "request",
            vec![Node::Obj(vec![
                ("service_request_id", s(id.to_string())),
                ("token", s(token)),
            ])],
        )
        .respond(StatusCode::OK, fmt, "service_requests"),
        Ok(None) => error(StatusCode::NOT_FOUND, fmt, "token not found"),
        Err(e) => failure(e.into(), fmt),
    }
}
