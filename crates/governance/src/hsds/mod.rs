//! The Open Referral HSDS 3.0 publication of the service network (SPEC G3): stable UUIDs
//! for our rows, the mapping of organisations, services, service points, categories and
//! units to HSDS objects, and the public read API under `/hsds/`. Only active services of
//! organisations are published, and no personal data (legal representatives, leading
//! figures, population figures) is.
//!
//! Units are published as a second taxonomy (`gongzhi-units`, one term per unit, code =
//! unit code) and linked from organisations and locations through attributes, so that an
//! import can put every record back into its scope.

use crate::dates::days_from_civil;
use crate::network::model::Hours;
use crate::network::model::PointKind;
use crate::network::model::Service;
use crate::network::model::ServicePoint;
use crate::network::model::TAXONOMY;
use crate::network::model::Taxonomy;
use crate::network::model::Term;
use crate::network::model::derive_uuid;
use crate::registry::model::Org;
use gov_core::Unit;
use gov_core::UnitKind;
use serde_json::{Map, Value, json};

pub mod api;

pub mod io;

/// The HSDS version we publish.
pub const HSDS_VERSION: &str = "3.0";

/// The virtual taxonomy of our units.
pub const UNITS_TAXONOMY: &str = "gongzhi-units";

/// A UUID in canonical (lower-case, hyphenated) form, or `None`.
pub fn parse_uuid(raw: &str) -> Option<String> {
    let v = raw.trim().to_ascii_lowercase();
    let ok = v.len() == 36
        && v.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    ok.then_some(v)
}

pub fn org_uuid(id: i64) -> String {
    derive_uuid(&format!("org:{id}"))
}

pub fn unit_term_uuid(code: &str) -> String {
    derive_uuid(&format!("unit:{code}"))
}

pub fn units_taxonomy_uuid() -> String {
    derive_uuid(&format!("taxonomy:{UNITS_TAXONOMY}"))
}

/// The UUID of a sub-object (phone, schedule, attribute…) of a published object.
fn child_uuid(kind: &str, parent: &str, n: usize) -> String {
    derive_uuid(&format!("{kind}:{parent}:{n}"))
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix-millisecond instant (UTC).
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses what [`rfc3339`] writes (whole seconds, `Z`) back into milliseconds.
pub fn parse_rfc3339(raw: &str) -> Option<i64> {
    let b = raw.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let n = |s: &str| s.parse::<i64>().ok();
    let (y, mo, d) = (n(&raw[..4])?, n(&raw[5..7])?, n(&raw[8..10])?);
    let (h, mi, s) = (n(&raw[11..13])?, n(&raw[14..16])?, n(&raw[17..19])?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    Some((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) * 1000)
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Inserts an optional string only when it is not empty (HSDS omits unknown fields).
fn put_str(o: &mut Map<String, Value>, key: &str, v: &str) {
    if !v.is_empty() {
        o.insert(key.into(), Value::String(v.into()));
    }
}

fn attribute(
    parent: &str,
    n: usize,
    entity: &str,
    link_type: &str,
    term: Option<&str>,
    value: &str,
) -> Value {
    let mut a = Map::new();
    a.insert("id".into(), json!(child_uuid("attribute", parent, n)));
    a.insert("link_id".into(), json!(parent));
    a.insert("link_type".into(), json!(link_type));
    a.insert("link_entity".into(), json!(entity));
    if let Some(t) = term {
        a.insert("taxonomy_term_id".into(), json!(t));
    }
    a.insert("value".into(), json!(value));
    Value::Object(a)
}

fn phones(parent: &str, key: &str, number: &str) -> Value {
    if number.is_empty() {
        return json!([]);
    }
    json!([{ "id": child_uuid("phone", parent, 0), key: parent, "number": number }])
}

pub fn org_type_label(t: crate::registry::model::OrgType) -> &'static str {
    t.label(platform::web::Lang::Zh)
}

/// An organisation with its one-to-one fields (the list shape).
pub fn org_basic(o: &Org, uuid: &str, hub_uuid: Option<&str>) -> Value {
    let lang = platform::web::Lang::Zh;
    let fields: Vec<String> = o
        .service_fields
        .iter()
        .map(|f| crate::registry::model::field_label(f, lang))
        .collect();
    let mut description = format!("{}，{}。", o.org_type.label(lang), o.hub_role.label(lang));
    if !fields.is_empty() {
        description.push_str(&format!("服务领域：{}。", fields.join("、")));
    }
    let mut m = Map::new();
    m.insert("id".into(), json!(uuid));
    m.insert("name".into(), json!(o.name));
    m.insert("description".into(), json!(description));
    m.insert("legal_status".into(), json!(org_type_label(o.org_type)));
    if let Some(y) = o.registered_on.get(..4).and_then(|y| y.parse::<i64>().ok()) {
        m.insert("year_incorporated".into(), json!(y));
    }
    if let Some(h) = hub_uuid {
        m.insert("parent_organization_id".into(), json!(h));
    }
    Value::Object(m)
}

/// An organisation with its identifiers, phones and attributes (not its services).
pub fn org_full(o: &Org, uuid: &str, hub_uuid: Option<&str>, unit_code: &str) -> Value {
    let mut v = org_basic(o, uuid, hub_uuid);
    v["organization_identifiers"] = json!([{
        "id": child_uuid("identifier", uuid, 0),
        "organization_id": uuid,
        "identifier_type": "统一社会信用代码",
        "identifier": o.credit_code,
    }]);
    v["phones"] = phones(uuid, "organization_id", &o.contact_phone);
    let mut attrs = vec![
        attribute(
            uuid,
            0,
            "organization",
            "unit",
            Some(&unit_term_uuid(unit_code)),
            unit_code,
        ),
        attribute(
            uuid,
            1,
            "organization",
            "hub_role",
            None,
            o.hub_role.as_str(),
        ),
    ];
    for (i, f) in o.service_fields.iter().enumerate() {
        attrs.push(attribute(
            uuid,
            2 + i,
            "organization",
            "service_field",
            None,
            f,
        ));
    }
    v["attributes"] = Value::Array(attrs);
    v
}

/// A service point as an HSDS location.
pub fn location(p: &ServicePoint, district_name: &str) -> Value {
    let uuid = p.uuid.as_str();
    let mut m = Map::new();
    m.insert("id".into(), json!(uuid));
    m.insert("location_type".into(), json!("physical"));
    m.insert("name".into(), json!(p.name));
    put_str(&mut m, "description", &p.description);
    if let (Some(lat), Some(lon)) = (p.latitude, p.longitude) {
        m.insert("latitude".into(), json!(lat));
        m.insert("longitude".into(), json!(lon));
    }
    let mut v = Value::Object(m);
    v["addresses"] = if p.address.is_empty() {
        json!([])
    } else {
        json!([{
            "id": child_uuid("address", uuid, 0),
            "location_id": uuid,
            "address_1": p.address,
            "city": district_name,
            "state_province": "",
            "postal_code": "",
            "country": "CN",
            "address_type": "physical",
        }])
    };
    v["phones"] = phones(uuid, "location_id", &p.contact_phone);
    v["schedules"] = Value::Array(
        p.hours
            .iter()
            .enumerate()
            .map(|(i, h)| hours_schedule(uuid, i, h))
            .collect(),
    );
    v["attributes"] = json!([
        attribute(
            uuid,
            0,
            "location",
            "unit",
            Some(&unit_term_uuid(&p.unit_code)),
            &p.unit_code
        ),
        attribute(
            uuid,
            1,
            "location",
            "service_point_kind",
            None,
            p.kind.as_str()
        ),
    ]);
    v
}

fn hours_schedule(location: &str, n: usize, h: &Hours) -> Value {
    json!({
        "id": child_uuid("schedule", location, n),
        "location_id": location,
        "freq": "WEEKLY",
        "wkst": "MO",
        "byday": h.day_code(),
        "opens_at": h.opens,
        "closes_at": h.closes,
    })
}

/// Parses a location's weekly schedules back into opening hours.
pub fn schedule_hours(s: &Value) -> Option<Hours> {
    let day = s["byday"].as_str()?;
    let weekday = crate::network::model::WEEKDAYS
        .iter()
        .position(|(c, _, _)| *c == day)? as i64
        + 1;
    Some(Hours {
        weekday,
        opens: s["opens_at"].as_str()?.to_string(),
        closes: s["closes_at"].as_str()?.to_string(),
    })
}

/// A service with its one-to-one fields (the list shape).
pub fn service_basic(s: &Service, org_uuid: &str) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(s.uuid));
    m.insert("organization_id".into(), json!(org_uuid));
    m.insert("name".into(), json!(s.name));
    put_str(&mut m, "description", &s.description);
    m.insert("status".into(), json!(s.status.as_str()));
    put_str(&mut m, "eligibility_description", &s.eligibility);
    m.insert("last_modified".into(), json!(rfc3339(s.updated_at)));
    Value::Object(m)
}

/// A service with its phones, schedule and attributes (categories, capacity).
pub fn service_full(s: &Service, org_uuid: &str, terms: &[Term]) -> Value {
    let uuid = s.uuid.as_str();
    let mut v = service_basic(s, org_uuid);
    v["phones"] = phones(uuid, "service_id", &s.contact_phone);
    v["schedules"] = if s.schedule.is_empty() {
        json!([])
    } else {
        json!([{ "id": child_uuid("schedule", uuid, 0), "service_id": uuid, "description": s.schedule }])
    };
    let mut attrs = Vec::new();
    for code in &s.categories {
        if let Some(t) = terms.iter().find(|t| &t.code == code) {
            attrs.push(attribute(
                uuid,
                attrs.len(),
                "service",
                "category",
                Some(&t.uuid),
                code,
            ));
        }
    }
    if let Some(c) = s.capacity {
        attrs.push(attribute(
            uuid,
            100,
            "service",
            "capacity",
            None,
            &c.to_string(),
        ));
    }
    v["attributes"] = Value::Array(attrs);
    v
}

pub fn service_at_location_basic(uuid: &str, service: &str, location: &str, desc: &str) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(uuid));
    m.insert("service_id".into(), json!(service));
    m.insert("location_id".into(), json!(location));
    put_str(&mut m, "description", desc);
    Value::Object(m)
}

pub fn taxonomy(t: &Taxonomy) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(t.uuid));
    m.insert("name".into(), json!(t.name));
    m.insert("description".into(), json!(t.description));
    put_str(&mut m, "version", &t.version);
    Value::Object(m)
}

pub fn units_taxonomy() -> Value {
    json!({
        "id": units_taxonomy_uuid(),
        "name": UNITS_TAXONOMY,
        "description": "共治单位架构：区、街道、社区、网格与区级职能部门。社会组织与服务地点通过属性关联到所属单位。",
        "version": "1.0",
    })
}

pub fn term(t: &Term, taxonomy: &Taxonomy, parent_uuid: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(t.uuid));
    m.insert("code".into(), json!(t.code));
    m.insert("name".into(), json!(t.name));
    m.insert("description".into(), json!(t.description));
    if let Some(p) = parent_uuid {
        m.insert("parent_id".into(), json!(p));
    }
    m.insert("taxonomy".into(), json!(taxonomy.name));
    m.insert("language".into(), json!("zh"));
    m.insert("taxonomy_id".into(), json!(taxonomy.uuid));
    Value::Object(m)
}

/// A unit as a term of the units taxonomy; `unit_kind` is our extension field.
pub fn unit_term(u: &Unit, parent_code: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(unit_term_uuid(&u.code)));
    m.insert("code".into(), json!(u.code));
    m.insert("name".into(), json!(u.name));
    m.insert(
        "description".into(),
        json!(u.kind.label(platform::web::Lang::Zh)),
    );
    if let Some(p) = parent_code {
        m.insert("parent_id".into(), json!(unit_term_uuid(p)));
    }
    m.insert("taxonomy".into(), json!(UNITS_TAXONOMY));
    m.insert("language".into(), json!("zh"));
    m.insert("taxonomy_id".into(), json!(units_taxonomy_uuid()));
    m.insert("unit_kind".into(), json!(u.kind.as_str()));
    Value::Object(m)
}

/// The value of the first attribute of `link_type` (and its term id).
pub fn attr<'a>(v: &'a Value, link_type: &str) -> Option<(&'a str, Option<&'a str>)> {
    v["attributes"].as_array()?.iter().find_map(|a| {
        (a["link_type"].as_str() == Some(link_type)).then(|| {
            (
                a["value"].as_str().unwrap_or(""),
                a["taxonomy_term_id"].as_str(),
            )
        })
    })
}

pub fn attrs<'a>(v: &'a Value, link_type: &str) -> Vec<(&'a str, Option<&'a str>)> {
    v["attributes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|a| a["link_type"].as_str() == Some(link_type))
                .map(|a| {
                    (
                        a["value"].as_str().unwrap_or(""),
                        a["taxonomy_term_id"].as_str(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn point_kind_of(v: &Value) -> PointKind {
    attr(v, "service_point_kind")
        .and_then(|(k, _)| PointKind::parse(k))
        .unwrap_or(PointKind::Other)
}

pub fn unit_kind_of(v: &Value) -> Option<UnitKind> {
    UnitKind::parse(v["unit_kind"].as_str()?)
}

/// Whether a taxonomy is our own category taxonomy (stored) rather than the units one.
pub fn is_category_taxonomy(name: &str) -> bool {
    name == TAXONOMY
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::model::{HubRole, OrgType, StaffProfile};
    use gov_core::{UnitId, UnitPath};

    #[test]
    fn uuids_are_stable_well_formed_and_distinct() {
        let a = derive_uuid("org:42");
        assert_eq!(a, derive_uuid("org:42"));
        assert_ne!(a, derive_uuid("org:43"));
        assert_eq!(parse_uuid(&a).as_deref(), Some(a.as_str()));
        assert_eq!(&a[14..15], "8", "version 8");
        assert!("89ab".contains(&a[19..20]), "RFC variant");
        assert_eq!(parse_uuid(&a.to_uppercase()).as_deref(), Some(a.as_str()));
        for bad in ["", "42", "not-a-uuid", &a[..35], &format!("{a}0")] {
            assert!(parse_uuid(bad).is_none(), "{bad}");
        }
        let ids: std::collections::HashSet<String> = (0..2000)
            .map(|i| derive_uuid(&format!("service:{i}")))
            .collect();
        assert_eq!(ids.len(), 2000);
    }

    #[test]
    fn the_seeded_taxonomy_carries_derived_uuids() {
        // The migration's literal UUIDs are derive_uuid("term:<taxonomy>:<code>").
        let sql = include_str!("../../migrations/002_services.sql");
        for code in [
            "elderly",
            "meal_aid",
            "childcare",
            "legal_aid",
            "party_service",
        ] {
            let u = derive_uuid(&format!("term:{TAXONOMY}:{code}"));
            assert!(sql.contains(&format!("('{u}', ")), "{code}");
        }
        assert!(sql.contains(&derive_uuid(&format!("taxonomy:{TAXONOMY}"))));
        let terms = sql.matches("INSERT INTO governance_taxonomy_terms").count();
        assert!((18..=25).contains(&terms), "{terms} categories");
    }

    #[test]
    fn times_round_trip() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_780_000_000_000), "2026-05-28T20:26:40Z");
        for ms in [0, 951_782_400_000, 1_780_000_000_000, 4_102_444_799_000] {
            assert_eq!(parse_rfc3339(&rfc3339(ms)), Some(ms));
        }
        for bad in [
            "",
            "2026-13-01T00:00:00Z",
            "2026-05-28 20:26:40Z",
            "2026-05-28T20:26:40",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    fn org() -> Org {
        Org {
            id: 7,
            name: "桂园老年协会".into(),
            credit_code: "51330199MJ0000011X".into(),
            org_type: OrgType::SocialGroup,
            registered_on: "2019-06-30".into(),
            legal_rep: "林某某".into(),
            address: "某路 1 号".into(),
            unit_id: UnitId(4),
            unit_name: "桂园社区".into(),
            unit_path: UnitPath::parse("/1/2/4/").unwrap(),
            service_fields: vec!["elderly".into()],
            staff: StaffProfile {
                count: 3,
                under_35: 1,
                from_35_to_54: 1,
                from_55: 1,
            },
            volunteers: 5,
            contact_phone: "000-12345678".into(),
            hub_role: HubRole::Member,
            hub_id: Some(2),
            hub_name: Some("养老服务协会".into()),
            brand: false,
            leading_figure: "某某".into(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn organisations_map_without_personal_data() {
        let o = org();
        let u = org_uuid(o.id);
        let hub = org_uuid(2);
        let v = org_full(&o, &u, Some(&hub), "YX0101");
        assert_eq!(v["id"], u.as_str());
        assert_eq!(v["parent_organization_id"], hub.as_str());
        assert_eq!(v["year_incorporated"], 2019);
        assert_eq!(v["legal_status"], "社会团体");
        assert_eq!(
            v["organization_identifiers"][0]["identifier"],
            o.credit_code.as_str()
        );
        assert_eq!(
            attr(&v, "unit"),
            Some(("YX0101", Some(unit_term_uuid("YX0101").as_str())))
        );
        assert_eq!(attr(&v, "hub_role").map(|a| a.0), Some("member"));
        let text = v.to_string();
        assert!(
            !text.contains("林某某") && !text.contains("\"某某\""),
            "no personal data: {text}"
        );
        // Every id in the object is a UUID.
        fn ids(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        if k == "id" || k.ends_with("_id") {
                            out.push(x.as_str().unwrap_or("").to_string());
                        }
                        ids(x, out);
                    }
                }
                Value::Array(a) => a.iter().for_each(|x| ids(x, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        ids(&v, &mut all);
        assert!(all.len() >= 8);
        assert!(all.iter().all(|i| parse_uuid(i).is_some()), "{all:?}");
    }

    #[test]
    fn locations_carry_weekly_hours_that_parse_back() {
        let p = ServicePoint {
            id: 3,
            uuid: derive_uuid("location:3"),
            kind: PointKind::BuildingServicePoint,
            name: "云岫中心大厦楼宇服务点".into(),
            description: String::new(),
            address: "云岫区某路 8 号".into(),
            latitude: Some(30.25),
            longitude: Some(120.16),
            unit_id: UnitId(4),
            unit_name: "桂园社区".into(),
            unit_code: "YX0101".into(),
            unit_path: UnitPath::parse("/1/2/4/").unwrap(),
            contact_phone: String::new(),
            hours: vec![Hours {
                weekday: 2,
                opens: "09:00".into(),
                closes: "17:30".into(),
            }],
            created_at: 0,
            updated_at: 0,
        };
        let v = location(&p, "云岫区");
        assert!(v.get("description").is_none(), "empty strings are omitted");
        assert_eq!(v["schedules"][0]["byday"], "TU");
        assert_eq!(schedule_hours(&v["schedules"][0]), Some(p.hours[0].clone()));
        assert_eq!(point_kind_of(&v), PointKind::BuildingServicePoint);
        assert_eq!(v["addresses"][0]["city"], "云岫区");
        assert_eq!(v["phones"], json!([]));
    }
}
