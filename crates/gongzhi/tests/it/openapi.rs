//! Guard (issue 13): the OpenAPI document served at /api/v1/openapi.json and the routers
//! agree. Every `/api/v1/*` route is documented with its methods, and every documented path
//! and method is routed — by the source and by the running server. `/hsds` and `/open311`
//! follow published standards (HSDS 3.0, GeoReport v2) and are documented there; they need
//! not be in our document, but what it does list of them must exist. The anonymous and
//! administrator GET answers of the walk are validated against their documented schemas.

use crate::common::{Server, client};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// Paths whose every route must be in the document.
fn must_be_documented(path: &str) -> bool {
    path.starts_with("/api/v1/")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `.route("path", method(handler)…)` in the crates' sources and its methods: an
/// axum `Router` cannot list its routes, so they are read from the code.
fn routes_in_source() -> BTreeMap<String, BTreeSet<String>> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for c in std::fs::read_dir(&crates).unwrap() {
        rust_files(&c.unwrap().path().join("src"), &mut files);
    }
    let mut routes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        let mut rest = src.as_str();
        while let Some(i) = rest.find(".route(") {
            rest = &rest[i + ".route(".len()..];
            let Some(lit) = rest.trim_start().strip_prefix('"') else {
                continue;
            };
            let path = &lit[..lit.find('"').unwrap()];
            let methods = methods_of(&lit[path.len() + 1..]);
            assert!(
                !methods.is_empty(),
                "{}: no methods for {path}",
                f.display()
            );
            routes.entry(path.to_string()).or_default().extend(methods);
        }
    }
    assert!(routes.len() > 100, "too few routes found: {routes:?}");
    routes
}

/// The HTTP methods of a method router (`get(a).post(b)`), read up to the `)` that closes
/// `.route(`.
fn methods_of(args: &str) -> Vec<String> {
    let (mut out, mut depth, mut word) = (Vec::new(), 0, String::new());
    for c in args.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        match c {
            '(' => {
                if depth == 0 && METHODS.contains(&word.as_str()) {
                    out.push(word.clone());
                }
                depth += 1;
            }
            ')' if depth == 0 => break,
            ')' => depth -= 1,
            _ => {}
        }
        word.clear();
    }
    out
}

fn documented(doc: &Value) -> BTreeMap<String, BTreeSet<String>> {
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .unwrap()
                .keys()
                .filter(|m| METHODS.contains(&m.as_str()))
                .cloned()
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

/// A documented path with its parameters filled in with plausible values.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    for (i, part) in path.split(['{', '}']).enumerate() {
        out.push_str(if i % 2 == 0 {
            part
        } else {
            match part {
                "format" => "pdf",
                "provider" => "sandbox",
                "username" => "nobody",
                "code" => "x",
                _ => "1",
            }
        });
    }
    out
}

/// The schema of a documented JSON 200 answer, as a document of its own that keeps the
/// `components` its `$ref`s point into.
fn answer_schema(doc: &Value, path: &str) -> Option<Value> {
    let schema =
        doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            .as_object()?;
    let mut root = schema.clone();
    root.insert("components".into(), doc["components"].clone());
    Some(Value::Object(root))
}

#[tokio::test]
async fn every_route_is_documented_and_every_documented_path_answers() {
    // Routing does not depend on the database: SQLite is enough.
    let s = Server::start(crate::common::Backend::Sqlite).await;
    let admin = s.user_token("admin", "admin").await;
    let (st, doc) = s.get_json(None, "/api/v1/openapi.json").await;
    assert_eq!(st, 200);
    let docs = documented(&doc);
    let routes = routes_in_source();

    let mut problems = Vec::new();
    for (path, methods) in routes.iter().filter(|(p, _)| must_be_documented(p)) {
        match docs.get(path) {
            None => problems.push(format!("{path} is routed but not documented")),
            Some(d) => problems.extend(
                methods
                    .difference(d)
                    .map(|m| format!("{m} {path} is routed but not documented")),
            ),
        }
    }
    for (path, methods) in &docs {
        let routed = routes.get(path).cloned().unwrap_or_default();
        problems.extend(
            methods
                .difference(&routed)
                .map(|m| format!("{m} {path} is documented but no router has it")),
        );
    }

    // The running server: no documented path answers 405, or the bodiless 404 of an
    // unrouted path. Writes go anonymous (refused before they change anything); reads go
    // as the administrator, and their JSON answers must match the documented schema.
    let mut validated = 0;
    for (path, methods) in &docs {
        let url = format!("{}{}", s.url, concrete(path));
        for m in methods {
            let r = match m.as_str() {
                "get" => client().get(&url).bearer_auth(&admin),
                other => client()
                    .request(other.to_uppercase().parse().unwrap(), &url)
                    .json(&serde_json::json!({})),
            };
            let r = r.send().await.expect("request");
            let status = r.status().as_u16();
            let json = r
                .headers()
                .get("content-type")
                .is_some_and(|t| t.to_str().unwrap_or("").starts_with("application/json"));
            let body = r.bytes().await.unwrap();
            if status == 405 || (status == 404 && body.is_empty()) {
                problems.push(format!("{m} {path}: the router answers {status}"));
                continue;
            }
            if m != "get" || status != 200 || !json {
                continue;
            }
            let Some(schema) = answer_schema(&doc, path) else {
                continue;
            };
            let validator = jsonschema::validator_for(&schema)
                .unwrap_or_else(|e| panic!("the schema of GET {path}: {e}"));
            let v: Value = serde_json::from_slice(&body).unwrap();
            validated += 1;
            problems.extend(
                validator
                    .iter_errors(&v)
                    .map(|e| format!("GET {path}: {e} at {}", e.instance_path())),
            );
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        validated >= 15,
        "only {validated} answers validated: is the walk signed in?"
    );
}
