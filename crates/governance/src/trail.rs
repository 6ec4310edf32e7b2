//! What governance writes to the audit log: one entry per change, with the changed fields.

use crate::error::GovResult;
use gov_core::GovActor;
use platform::AppState;
use serde::Serialize;

/// Every field whose value differs, as `{field: {"from": …, "to": …}}` (for the audit log).
pub fn changes<T: Serialize>(before: &T, after: &T) -> serde_json::Value {
    let (Ok(serde_json::Value::Object(b)), Ok(serde_json::Value::Object(a))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return serde_json::Value::Null;
    };
    let mut out = serde_json::Map::new();
    for (k, to) in a {
        let from = b.get(&k).cloned().unwrap_or(serde_json::Value::Null);
        if from != to {
            out.insert(k, serde_json::json!({ "from": from, "to": to }));
        }
    }
    serde_json::Value::Object(out)
}

pub(crate) async fn record(
    state: &AppState,
    tx: &mut platform::db::Tx,
    actor: &GovActor,
    action: &str,
    subject: String,
    detail: serde_json::Value,
) -> GovResult<()> {
    record_at(tx, state.now(), actor, action, subject, detail).await
}

/// [`record`] at a time already read (the one written into the changed row).
pub(crate) async fn record_at(
    tx: &mut platform::db::Tx,
    now: i64,
    actor: &GovActor,
    action: &str,
    subject: String,
    detail: serde_json::Value,
) -> GovResult<()> {
    actor.audit(tx, now, action, &subject, detail).await?;
    Ok(())
}
