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

    /// Units with 5,000 residents in 2,000 households, created by the bearer of `token`.
    pub fn populated(s: &'a Server, token: &str) -> District<'a> {
        District::new(s, token, json!({ "residents": 5000, "households": 2000 }))
    }

    /// [`District::populated`] with the units of `plan` (see [`District::plan`]).
    pub async fn planned(s: &'a Server, token: &str, plan: &str) -> District<'a> {
        let mut d = District::populated(s, token);
        d.plan(plan).await;
        d
    }

    /// Adds units written as `"district D; street S1 S2 in D; community CA CB in S1"`:
    /// clauses in order, each a kind, codes and, but for a district, `in` its parent.
    pub async fn plan(&mut self, plan: &str) {
        for clause in plan.split(';') {
            let words: Vec<&str> = clause.split_whitespace().collect();
            let (kind, rest) = words.split_first().expect("a kind in each clause");
            let (codes, parent) = match rest {
                [codes @ .., "in", parent] => (codes, Some(*parent)),
                codes => (codes, None),
            };
            for code in codes {
                self.unit(parent, kind, code).await;
            }
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

    /// [`District::staff`] for each `user=role@UNIT` of `who` (separated by spaces); their
    /// tokens in order.
    pub async fn staffs<const N: usize>(&self, who: &str) -> [String; N] {
        let mut tokens = Vec::with_capacity(N);
        for one in who.split_whitespace() {
            let (user, grant) = one.split_once('=').expect("user=role@UNIT");
            let (role, code) = grant.split_once('@').expect("user=role@UNIT");
            tokens.push(self.staff(user, code, role).await);
        }
        tokens.try_into().expect("as many names as tokens")
    }

    /// A new member account with a role on a unit; its bearer token.
    pub async fn staff(&self, user: &str, code: &str, role: &str) -> String {
        self.s.add_user(user, "member");
        self.grant(user, code, role);
        self.s.login(user).await
    }
}
