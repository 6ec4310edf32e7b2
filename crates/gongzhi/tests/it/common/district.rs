//! A district fixture for the governance and cases tests: units created through the API
//! (district → streets → communities, grids, departments) and staff granted roles on them.

use super::{Server, send_expect};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub struct District<'a> {
    s: &'a Server,
    token: String,
    /// What every unit is created with besides its parent, kind, name ("{code}单位") and
    /// code; `{code}` in a string value is replaced by the unit's code.
    fields: Value,
    ids: BTreeMap<String, i64>,
}

impl<'a> District<'a> {
    /// Units are created by the bearer of `token` (an administrator).
    pub fn new(s: &'a Server, token: &str, fields: Value) -> District<'a> {
        District {
            s,
            token: token.to_string(),
            fields,
            ids: BTreeMap::new(),
        }
    }

    /// Adds a unit below the unit coded `parent` (`None` for a district); its id.
    pub async fn unit(&mut self, parent: Option<&str>, kind: &str, code: &str) -> i64 {
        let mut body = json!({ "parent_id": parent.map(|p| self.id(p)), "kind": kind,
                               "name": format!("{code}单位"), "code": code });
        for (k, v) in self.fields.as_object().expect("unit fields") {
            body[k] = match v.as_str() {
                Some(t) => json!(t.replace("{code}", code)),
                None => v.clone(),
            };
        }
        let v = send_expect(
            self.s,
            "POST",
            Some(&self.token),
            "/api/v1/gov/units",
            Some(&body),
            201,
        )
        .await;
        let id = v["id"].as_i64().unwrap();
        self.ids.insert(code.to_string(), id);
        id
    }

    /// Adds `(parent, kind, code)` units in order (`""` as parent for a district).
    pub async fn units(&mut self, tree: &[(&str, &str, &str)]) {
        for (parent, kind, code) in tree {
            self.unit(Some(parent).filter(|p| !p.is_empty()).copied(), kind, code)
                .await;
        }
    }

    /// The id of the unit coded `code`.
    pub fn id(&self, code: &str) -> i64 {
        *self
            .ids
            .get(code)
            .unwrap_or_else(|| panic!("no unit {code}"))
    }

    /// Grants `user` a role on a unit through the operator CLI (`gongzhi gov grant`).
    pub fn grant(&self, user: &str, code: &str, role: &str) {
        self.s.run_cli(
            &["gov", "grant", user, "--unit", code, "--role", role],
            None,
        );
    }

    /// A new member account with a role on a unit; its bearer token.
    pub async fn staff(&self, user: &str, code: &str, role: &str) -> String {
        self.s.add_user(user, "member");
        self.grant(user, code, role);
        self.s.login(user).await
    }
}
