//! The assessment's forms: the plan editor for the district, a unit's entered values, and
//! the step buttons (submit, review, approve; lock, notice, final). They call the same
//! service functions as the API; a refused step re-renders the sheet with the message.

use crate::api::{SheetAt, plan_for, take_plan_step};
use crate::model::{self, Item, Plan, Sheet};
use crate::{pages, plan, service};
use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequest, FromRequestParts, Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gov_core::{GovActor, MemberRole, UnitKind, list_units};
use platform::AppState;
use platform::web::{AppError, AppResult, Id, PageCtx, SignedIn, redirect, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assessments/plans/new", get(new_plan))
        .route("/assessments/plans", post(create_plan))
        .route("/assessments/{year}/units/{unit_id}/values", post(enter))
        .route("/assessments/{year}/units/{unit_id}/step", post(step))
        .route("/assessments/{year}/step", post(plan_step))
        .route("/assessments/{year}/units/{unit_id}/appeals", post(appeal))
        .route("/assessments/appeals/{id}/decision", post(decide))
}

/// A posted form's fields in order (a field may repeat, e.g. checkboxes).
pub(crate) type Fields = Vec<(String, String)>;

/// The first value of `k`, trimmed, or "".
pub(crate) fn field(f: &Fields, k: &str) -> String {
    f.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// A form posted to a sheet (`{year}/units/{unit_id}/…`): the sheet it names, with the
/// kind of unit it carries, and its fields.
struct SheetForm {
    at: SheetAt,
    f: Fields,
}

/// The path, then the form (axum's own answers when either does not parse).
impl<S: Send + Sync> FromRequest<S> for SheetForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Path((year, unit_id)) = Path::<(String, String)>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Form(f) = Form::<Fields>::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let kind = Some(field(&f, "kind"));
        Ok(SheetForm {
            at: SheetAt {
                year,
                unit_id,
                kind,
            },
            f,
        })
    }
}

impl SheetForm {
    fn field(&self, k: &str) -> String {
        field(&self.f, k)
    }

    /// The plan and sheet with the plan's item of the indicator the form names (`code`).
    async fn item(&self, state: &AppState, actor: &GovActor) -> AppResult<(Plan, Sheet, Item)> {
        self.at.item(state, actor, &self.field("code")).await
    }
}

fn kind_q(f: &Fields) -> String {
    format!("?kind={}", field(f, "kind"))
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

pub struct Row {
    pub code: String,
    pub name: String,
    pub weight: String,
    pub target: String,
}

#[derive(Template)]
#[template(path = "plan_form.html")]
struct PlanForm {
    page: PageCtx,
    error: String,
    districts: Vec<Choice>,
    year: String,
    deadline: String,
    rows: Vec<Row>,
}

async fn plan_page(
    state: &AppState,
    actor: GovActor,
    f: &Fields,
    error: String,
) -> AppResult<Response> {
    let lang = actor.lang;
    let districts = list_units(&state.db, &actor.scope_with(MemberRole::UnitAdmin))
        .await?
        .into_iter()
        .filter(|u| u.kind == UnitKind::District)
        .map(|u| Choice {
            value: u.id.0.to_string(),
            label: u.name,
        })
        .collect();
    let rows = model::indicators(&state.db)
        .await?
        .into_iter()
        .map(|i| Row {
            weight: field(f, &format!("w_{}", i.code)),
            target: field(f, &format!("t_{}", i.code)),
            name: format!("{}（{}）", lang.pick(&i.name_zh, &i.name_en), i.measure),
            code: i.code,
        })
        .collect();
    render(&PlanForm {
        page: actor.page(lang.pick("制定考核方案", "Set an assessment plan")),
        error,
        districts,
        year: field(f, "year"),
        deadline: field(f, "deadline"),
        rows,
    })
}

async fn new_plan(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> AppResult<Response> {
    plan_page(&state, actor, &Vec::new(), String::new()).await
}

async fn create_plan(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let lang = actor.lang;
    let number = |k: String| field(&f, &k).parse::<f64>().ok();
    let deadline =
        cases::calendar::parse_day(&field(&f, "deadline")).map(cases::calendar::day_start);
    let (Ok(district_id), Ok(year), Some(deadline_ms)) = (
        field(&f, "district_id").parse::<i64>(),
        field(&f, "year").parse::<i64>(),
        deadline,
    ) else {
        let msg = lang.pick(
            "请选择区，填写年度和截止日期（YYYY-MM-DD）。",
            "Choose the district and enter the year and the deadline (YYYY-MM-DD).",
        );
        return plan_page(&state, actor, &f, msg.into()).await;
    };
    let items = model::indicators(&state.db)
        .await?
        .into_iter()
        .filter_map(|i| {
            let w = number(format!("w_{}", i.code))?;
            Some((
                i.code.clone(),
                w,
                number(format!("t_{}", i.code)).unwrap_or(0.0),
            ))
        })
        .collect();
    let spec = plan::Spec {
        district_id,
        year,
        unit_kind: field(&f, "unit_kind"),
        deadline_ms,
        items,
    };
    match plan::create(&state, &actor, &spec).await {
        Ok(_) => Ok(redirect(&format!(
            "/assessments/{year}?kind={}",
            field(&f, "unit_kind")
        ))),
        Err(AppError::Coded { message, .. }) => {
            plan_page(&state, actor, &f, lang.msg(&message).to_string()).await
        }
        Err(e) => Err(e),
    }
}

/// After a sheet's form: back to the sheet, or the sheet again with a refusal's message.
async fn answer<T>(
    state: &AppState,
    actor: &GovActor,
    plan: &Plan,
    sheet: &Sheet,
    result: AppResult<T>,
) -> AppResult<Response> {
    match result {
        Ok(_) => Ok(redirect(&format!(
            "/assessments/{}/units/{}?kind={}",
            plan.year, sheet.unit_id, plan.unit_kind
        ))),
        Err(AppError::Coded { message, .. }) => {
            let msg = actor.lang.msg(&message).to_string();
            pages::sheet_page(state, actor, plan, sheet, msg).await
        }
        Err(e) => Err(e),
    }
}

async fn enter(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    form: SheetForm,
) -> AppResult<Response> {
    let (plan, sheet, item) = form.item(&state, &actor).await?;
    let result = match form.field("value").parse::<f64>() {
        Ok(v) => {
            let evidence = form.field("evidence");
            service::enter(&state, &actor, &plan, &sheet, &item, v, &evidence).await
        }
        Err(_) => Err(AppError::coded(
            platform::web::Code::InvalidField,
            platform::web::i18n::bilingual("请填写数值。", "Enter a number."),
        )),
    };
    answer(&state, &actor, &plan, &sheet, result).await
}

async fn step(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    form: SheetForm,
) -> AppResult<Response> {
    let (plan, sheet) = form.at.sheet(&state, &actor).await?;
    let result = service::step(&state, &actor, &plan, &sheet, &form.field("step")).await;
    answer(&state, &actor, &plan, &sheet, result).await
}

async fn plan_step(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Path(year): Path<String>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let plan = plan_for(&state, &actor, &year, Some(&field(&f, "kind"))).await?;
    take_plan_step(&state, &actor, &plan, &field(&f, "step")).await?;
    Ok(redirect(&format!("/assessments/{year}{}", kind_q(&f))))
}

async fn appeal(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    form: SheetForm,
) -> AppResult<Response> {
    let (plan, sheet, item) = form.item(&state, &actor).await?;
    let result = service::appeal(&state, &actor, &plan, &sheet, &item, &form.field("reason")).await;
    answer(&state, &actor, &plan, &sheet, result).await
}

async fn decide(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let (plan, sheet, appeal) = crate::api::appeal_context(&state, &actor, id).await?;
    let value = match field(&f, "value") {
        v if v.is_empty() => None,
        v => Some(v.parse::<f64>().map_err(|_| {
            AppError::coded(
                platform::web::Code::InvalidField,
                platform::web::i18n::bilingual(
                    "新数值须为数字。",
                    "The new value must be a number.",
                ),
            )
        })?),
    };
    let uphold = field(&f, "uphold") == "1";
    let reason = field(&f, "reason");
    let result = service::decide(&state, &actor, &plan, &appeal, uphold, value, &reason).await;
    answer(&state, &actor, &plan, &sheet, result).await
}
