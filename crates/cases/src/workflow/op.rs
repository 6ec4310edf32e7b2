//! A workflow step as it arrives: the flat form or JSON shape ([`OpInput`]) and its
//! checked reading into an [`Op`] (required fields, lengths, numbers).

use super::{MAX_EXTENSION_DAYS, MAX_NOTE, MIN_RESULT};
use crate::authz::Action;
use crate::error::{CaseError, CaseResult};
use crate::model::{CaseState, Satisfaction};
use platform::web::Code;
use serde_json::Value;

/// One step, parsed from a form or a JSON body (both arrive as this flat shape).
#[derive(Clone, Debug)]
pub enum Op {
    Accept {
        note: String,
        /// The text approved for publication; empty: not published (yet).
        public_description: String,
    },
    /// Sets or clears (empty) the text the centre approves for publication.
    Publish {
        text: String,
    },
    Reject {
        reason: String,
    },
    Merge {
        into: i64,
    },
    Dispatch {
        lead: Option<i64>,
        co: Vec<i64>,
        note: String,
    },
    Sign,
    Return {
        reason: String,
    },
    RequestExtension {
        days: i64,
        reason: String,
    },
    DecideExtension {
        id: i64,
        approve: bool,
        note: String,
    },
    Progress {
        note: String,
    },
    Handle {
        result: String,
        /// A photo of the work done, already stored: (storage key, content type).
        photo: Option<(String, String)>,
    },
    Verify {
        ok: bool,
        note: String,
    },
    Close {
        note: String,
    },
    Reopen {
        reason: String,
    },
    ReturnVisit {
        satisfaction: Satisfaction,
        note: String,
    },
    /// 催办: the centre presses the handling unit (once a working day).
    Urge {
        note: String,
    },
    /// 挂牌督办: the centre lists the case for supervision until a day (listing it again
    /// replaces the reason and the day).
    List {
        reason: String,
        due_on: chrono::NaiveDate,
    },
}

/// The raw step as a form or JSON sends it: values may be strings, numbers or lists.
#[derive(Debug, Default, serde::Deserialize)]
pub struct OpInput {
    pub action: Option<Value>,
    pub note: Option<Value>,
    pub reason: Option<Value>,
    pub result: Option<Value>,
    pub into: Option<Value>,
    pub lead_unit_id: Option<Value>,
    pub co_unit_ids: Option<Value>,
    pub days: Option<Value>,
    pub extension_id: Option<Value>,
    pub approve: Option<Value>,
    pub ok: Option<Value>,
    pub satisfaction: Option<Value>,
    pub public_description: Option<Value>,
    /// The day a listed case must be done by (`YYYY-MM-DD`).
    pub deadline: Option<Value>,
    /// Set by the page handler when a photo came with the form (never from JSON).
    #[serde(skip)]
    pub photo: Option<(String, String)>,
}

fn text(v: &Option<Value>) -> String {
    match v {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn int(v: &Option<Value>, field: &'static str) -> CaseResult<Option<i64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
            CaseError::invalid(Code::BadNumber, format!("{field} must be a whole number"))
        }),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| {
            CaseError::invalid(Code::BadNumber, format!("{field} must be a whole number"))
        }),
        _ => Err(CaseError::invalid(
            Code::BadNumber,
            format!("{field} must be a whole number"),
        )),
    }
}

fn ints(v: &Option<Value>) -> CaseResult<Vec<i64>> {
    let items: Vec<Option<Value>> = match v {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a.iter().cloned().map(Some).collect(),
        Some(Value::String(s)) => s
            .split([',', '，', ' '])
            .filter(|p| !p.trim().is_empty())
            .map(|p| Some(Value::String(p.to_string())))
            .collect(),
        Some(other) => vec![Some(other.clone())],
    };
    items
        .iter()
        .filter_map(|i| int(i, "co_unit_ids").transpose())
        .collect()
}

fn flag(v: &Option<Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true" | "yes" | "on"),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

fn required(s: String, field: &'static str, what_zh: &str) -> CaseResult<String> {
    if s.is_empty() {
        return Err(CaseError::invalid(
            Code::MissingField,
            format!("请填写{what_zh} ({field} is required)"),
        ));
    }
    bounded(s, field)
}

fn bounded(s: String, field: &'static str) -> CaseResult<String> {
    if s.chars().count() > MAX_NOTE {
        return Err(CaseError::invalid(
            Code::TooLong,
            format!("{field} is longer than {MAX_NOTE} characters"),
        ));
    }
    Ok(s)
}

/// A handling result says what was done: at least [`MIN_RESULT`] characters, or a photo.
fn result_text(s: String, with_photo: bool) -> CaseResult<String> {
    let s = bounded(s, "result")?;
    if !with_photo && s.chars().filter(|c| !c.is_whitespace()).count() < MIN_RESULT {
        return Err(CaseError::invalid(
            Code::ResultTooShort,
            format!(
                "请用至少 {MIN_RESULT} 个字说明办理结果（做了什么、现在怎样），或附一张现场照片 (describe the result in at least {MIN_RESULT} characters, or attach a photo)"
            ),
        ));
    }
    Ok(s)
}

impl OpInput {
    /// From an HTML form body; repeated fields (a multi-select) are joined with commas.
    pub fn from_form(body: &[u8]) -> CaseResult<OpInput> {
        let mut map = serde_json::Map::new();
        for (k, v) in form_urlencoded::parse(body) {
            match map.get_mut(k.as_ref()) {
                Some(Value::String(prev)) => {
                    prev.push(',');
                    prev.push_str(&v);
                }
                _ => {
                    map.insert(k.into_owned(), Value::String(v.into_owned()));
                }
            }
        }
        serde_json::from_value(Value::Object(map))
            .map_err(|e| CaseError::invalid(Code::BadForm, format!("the form is malformed: {e}")))
    }

    pub fn parse(self) -> CaseResult<Op> {
        let note = bounded(text(&self.note), "note")?;
        let op = match text(&self.action).as_str() {
            "accept" => Op::Accept {
                note,
                public_description: bounded(text(&self.public_description), "public_description")?,
            },
            "publish" => Op::Publish {
                text: bounded(text(&self.public_description), "public_description")?,
            },
            "reject" => Op::Reject {
                reason: required(text(&self.reason), "reason", "不予受理的理由")?,
            },
            "merge" => Op::Merge {
                into: int(&self.into, "into")?.ok_or_else(|| {
                    CaseError::invalid(Code::MissingField, "请填写重复事件的编号 (into is required)")
                })?,
            },
            "dispatch" => Op::Dispatch {
                lead: int(&self.lead_unit_id, "lead_unit_id")?,
                co: ints(&self.co_unit_ids)?,
                note,
            },
            "sign" => Op::Sign,
            "return" => Op::Return {
                reason: required(text(&self.reason), "reason", "退回理由")?,
            },
            "request_extension" => {
                let days = int(&self.days, "days")?.unwrap_or(0);
                if !(1..=MAX_EXTENSION_DAYS).contains(&days) {
                    return Err(CaseError::invalid(
                        Code::BadDays,
                        format!("延期天数须在 1–{MAX_EXTENSION_DAYS} 个工作日之间 (days must be 1–{MAX_EXTENSION_DAYS})"),
                    ));
                }
                Op::RequestExtension {
                    days,
                    reason: required(text(&self.reason), "reason", "延期理由")?,
                }
            }
            "decide_extension" => Op::DecideExtension {
                id: int(&self.extension_id, "extension_id")?.ok_or_else(|| {
                    CaseError::invalid(Code::MissingField, "extension_id is required")
                })?,
                approve: flag(&self.approve),
                note,
            },
            "progress" => Op::Progress {
                note: required(note, "note", "办理进展")?,
            },
            "handle" => Op::Handle {
                result: result_text(text(&self.result), self.photo.is_some())?,
                photo: self.photo.clone(),
            },
            "verify" => Op::Verify {
                ok: flag(&self.ok),
                note,
            },
            "close" => Op::Close { note },
            "reopen" => Op::Reopen {
                reason: required(text(&self.reason), "reason", "重新打开的理由")?,
            },
            "return_visit" => Op::ReturnVisit {
                satisfaction: Satisfaction::parse(&text(&self.satisfaction)).ok_or_else(|| {
                    CaseError::invalid(
                        Code::BadSatisfaction,
                        "请选择满意、基本满意或不满意 (satisfaction: satisfied, basic or dissatisfied)",
                    )
                })?,
                note,
            },
            "urge" => Op::Urge { note },
            "list" => Op::List {
                reason: required(text(&self.reason), "reason", "挂牌督办的理由")?,
                due_on: crate::calendar::parse_day(&text(&self.deadline)).ok_or_else(|| {
                    CaseError::invalid(
                        Code::BadDate,
                        "请按 YYYY-MM-DD 填写督办期限 (deadline must be a day as YYYY-MM-DD)",
                    )
                })?,
            },
            other => {
                return Err(CaseError::invalid(
                    Code::UnknownAction,
                    format!("unknown action {other:?}"),
                ));
            }
        };
        Ok(op)
    }
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Accept { .. } => "accept",
            Op::Publish { .. } => "publish",
            Op::Reject { .. } => "reject",
            Op::Merge { .. } => "merge",
            Op::Dispatch { .. } => "dispatch",
            Op::Sign => "sign",
            Op::Return { .. } => "return",
            Op::RequestExtension { .. } => "request_extension",
            Op::DecideExtension { .. } => "decide_extension",
            Op::Progress { .. } => "progress",
            Op::Handle { .. } => "handle",
            Op::Verify { .. } => "verify",
            Op::Close { .. } => "close",
            Op::Reopen { .. } => "reopen",
            Op::ReturnVisit { .. } => "return_visit",
            Op::Urge { .. } => "urge",
            Op::List { .. } => "list",
        }
    }

    pub(super) fn action(&self) -> Action {
        match self {
            Op::Sign | Op::Return { .. } | Op::RequestExtension { .. } | Op::Handle { .. } => {
                Action::Handle
            }
            Op::Progress { .. } => Action::Assist,
            Op::Urge { .. } | Op::List { .. } => Action::Supervise,
            _ => Action::Triage,
        }
    }

    /// The states this step starts from.
    pub(super) fn from(&self) -> &'static [CaseState] {
        use CaseState::*;
        match self {
            Op::Accept { .. } => &[Reported],
            Op::Publish { .. } => &[Accepted, Dispatched, InProgress, Handled, Verified, Closed],
            Op::Reject { .. } | Op::Merge { .. } => &[Reported, Accepted],
            Op::Dispatch { .. } => &[Reported, Accepted, Dispatched, InProgress],
            Op::Sign => &[Dispatched],
            Op::Return { .. } => &[Dispatched, InProgress],
            Op::RequestExtension { .. } | Op::DecideExtension { .. } => &[Dispatched, InProgress],
            Op::Progress { .. } => &[Dispatched, InProgress, Handled],
            Op::Handle { .. } => &[InProgress],
            Op::Verify { .. } => &[Handled],
            Op::Close { .. } => &[Verified],
            Op::Reopen { .. } => &[Closed, Rejected],
            Op::ReturnVisit { .. } => &[Closed],
            // The centre presses a unit while the case is in the unit's hands.
            Op::Urge { .. } | Op::List { .. } => &CaseState::WITH_UNIT,
        }
    }
}
