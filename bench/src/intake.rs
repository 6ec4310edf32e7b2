//! A district to report to and Open311 intake under load: shared by `cases-bench` (one
//! node) and `cluster-bench` (one node against two behind a balancer).
#![allow(dead_code)] // each benchmark binary uses part of it

use crate::http::Http;
use serde_json::{Value, json};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

pub fn latency_json(mut l: Vec<Duration>) -> Value {
    l.sort();
    json!({
        "n": l.len(),
        "p50_ms": pct(&l, 0.50),
        "p95_ms": pct(&l, 0.95),
        "p99_ms": pct(&l, 0.99),
        "max_ms": l.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0),
    })
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn json_request(
    h: &mut Http,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> anyhow::Result<Value> {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    let payload = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let (st, out) = h.request(method, path, &headers, &payload)?;
    if !(200..300).contains(&st) {
        anyhow::bail!(
            "{method} {path}: HTTP {st}: {}",
            String::from_utf8_lossy(&out)
        );
    }
    Ok(serde_json::from_slice(&out).unwrap_or(Value::Null))
}

pub struct District {
    pub admin: String,
    pub centre: String,
    pub units: Vec<(i64, String)>,
    pub district_path: String,
    pub category: i64,
}

/// Accounts, a district with 5 streets and 40 communities, and a category, through the API.
///
/// `cli` makes a `gongzhi` command on the benchmarked data (and database), for the accounts
/// and the grant.
pub fn set_up(cli: impl Fn() -> Command, addr: &str) -> anyhow::Result<District> {
    for (user, role) in [("bench_admin", "admin"), ("bench_centre", "member")] {
        crate::proc::add_user(cli(), user, role)?;
    }
    let mut h = Http::new(addr);
    let login = |h: &mut Http, u: &str| -> anyhow::Result<String> {
        let v = json_request(
            h,
            "POST",
            "/api/v1/auth/login",
            None,
            &json!({"username": u, "password": "bench-password-1"}),
        )?;
        Ok(v["token"].as_str().unwrap_or_default().to_string())
    };
    let admin = login(&mut h, "bench_admin")?;
    let mut unit = |parent: Option<i64>,
                    kind: &str,
                    code: String|
     -> anyhow::Result<(i64, String)> {
        let v = json_request(
            &mut h,
            "POST",
            "/api/v1/gov/units",
            Some(&admin),
            &json!({"parent_id": parent, "kind": kind, "name": format!("{code}单位"), "code": code, "residents": 5000}),
        )?;
        Ok((
            v["id"].as_i64().unwrap_or_default(),
            v["path"].as_str().unwrap_or_default().to_string(),
        ))
    };
    let (district, district_path) = unit(None, "district", "BD".into())?;
    let mut units = Vec::new();
    for s in 0..5 {
        let street = unit(Some(district), "street", format!("BS{s}"))?;
        units.push(street.clone());
        for c in 0..8 {
            units.push(unit(Some(street.0), "community", format!("BC{s}{c}"))?);
        }
    }
    let st = cli()
        .args([
            "gov",
            "grant",
            "bench_centre",
            "--unit",
            "BD",
            "--role",
            "worker",
        ])
        .output()?;
    anyhow::ensure!(
        st.status.success(),
        "grant: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    let centre = login(&mut h, "bench_centre")?;
    let cat = json_request(
        &mut h,
        "POST",
        "/api/v1/cases/categories",
        Some(&admin),
        &json!({"code": "noise", "name": "噪声扰民", "route_kind": "community"}),
    )?;
    Ok(District {
        admin,
        centre,
        units,
        district_path: if district_path.is_empty() {
            format!("/{district}/")
        } else {
            district_path
        },
        category: cat["id"].as_i64().unwrap_or(1),
    })
}

/// (2) Open311 intake from many clients: as fast as answers come (`rate` None), or at a
/// fixed total rate, each client sending on its own schedule and latency counted from when
/// the request was due.
pub fn intake(
    addr: &str,
    key: &str,
    clients: usize,
    seconds: u64,
    rate: Option<f64>,
) -> (f64, Value, usize, Option<String>) {
    let stop = AtomicBool::new(false);
    let lat = Mutex::new(Vec::new());
    let errors = Mutex::new((0usize, None::<String>));
    let started = Instant::now();
    std::thread::scope(|s| {
        for i in 0..clients {
            let (stop, lat, errors) = (&stop, &lat, &errors);
            s.spawn(move || {
                let mut h = Http::new(addr);
                let mut mine = Vec::new();
                let mut n = 0u64;
                let every = rate.map(|r| Duration::from_secs_f64(clients as f64 / r));
                let first_due =
                    started + every.map_or(Duration::ZERO, |e| e * i as u32 / clients as u32);
                while !stop.load(Ordering::Relaxed) {
                    let due = match every {
                        Some(e) => {
                            let due = first_due + e * n as u32;
                            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                                std::thread::sleep(wait);
                            }
                            due
                        }
                        None => Instant::now(),
                    };
                    let desc = format!("客户端{i}第{n}次上报：夜间施工噪声");
                    let body = form(&[
                        ("api_key", key),
                        ("service_code", "noise"),
                        ("address_id", "BC00"),
                        ("description", &desc),
                        ("email", "bench@example.org"),
                    ]);
                    match h.request(
                        "POST",
                        "/open311/v2/requests.json",
                        &[("Content-Type", "application/x-www-form-urlencoded")],
                        body.as_bytes(),
                    ) {
                        Ok((200, _)) => mine.push(due.elapsed()),
                        Ok((st, b)) => {
                            let mut e = errors.lock().unwrap();
                            e.0 += 1;
                            e.1.get_or_insert_with(|| {
                                format!("HTTP {st}: {}", String::from_utf8_lossy(&b))
                            });
                        }
                        Err(err) => {
                            let mut e = errors.lock().unwrap();
                            e.0 += 1;
                            e.1.get_or_insert_with(|| err.to_string());
                        }
                    }
                    n += 1;
                }
                lat.lock().unwrap().extend(mine);
            });
        }
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
    });
    let wall = started.elapsed().as_secs_f64();
    let l = lat.into_inner().unwrap();
    let rps = l.len() as f64 / wall;
    let (errs, first) = errors.into_inner().unwrap();
    (rps, latency_json(l), errs, first)
}
