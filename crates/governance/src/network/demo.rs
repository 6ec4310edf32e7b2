//! Demo service network for `serve --demo`: one community service centre per community,
//! about 30 building service points for office workers, and about 150 services offered by
//! the demo organisations at those places. Deterministic (a fixed seed); all invented.

use super::service::*;
use crate::network::model::Hours;
use crate::network::model::PointKind;
use crate::registry::demo::DISTRICT;
use crate::registry::demo::Plan;
use gov_core::UnitId;
use platform::db::Tx;
use platform::rng::Rng;

pub struct PlannedPoint {
    /// Index into `plan.units`.
    pub unit: usize,
    pub input: PointInput,
}

pub struct PlannedService {
    /// Index into `plan.orgs`.
    pub org: usize,
    /// Indexes into the planned points.
    pub points: Vec<usize>,
    pub input: ServiceInput,
}

pub struct Network {
    pub points: Vec<PlannedPoint>,
    pub services: Vec<PlannedService>,
}

const BUILDINGS: [&str; 6] = [
    "商务中心",
    "科技大厦",
    "创意园",
    "金融广场",
    "国际中心",
    "数智港",
];

/// (service field of the organisation, name suffix, categories, schedule, eligibility, capacity)
type Template = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    i64,
);

const TEMPLATES: &[Template] = &[
    (
        "elderly",
        "长者助餐",
        &["elderly", "meal_aid"],
        "每日 11:00–12:30",
        "辖区 60 岁以上老年人",
        40,
    ),
    (
        "elderly",
        "居家探访",
        &["elderly", "home_care"],
        "每周二、四上午",
        "独居、高龄老人",
        25,
    ),
    (
        "elderly",
        "日间托老",
        &["day_care"],
        "工作日 08:30–17:00",
        "能自理或半自理的老年人",
        20,
    ),
    (
        "children",
        "四点半课堂",
        &["after_school", "childcare"],
        "上学日 16:30–18:30",
        "辖区小学生",
        30,
    ),
    (
        "children",
        "亲子阅读会",
        &["family", "youth"],
        "每周六上午",
        "3–12 岁儿童及家长",
        24,
    ),
    (
        "disability",
        "康复训练",
        &["disability", "health"],
        "每周一、三、五下午",
        "持证残疾人",
        15,
    ),
    (
        "community",
        "居民议事会",
        &["party_service"],
        "每月第一个周五晚上",
        "社区居民",
        50,
    ),
    (
        "culture",
        "文体兴趣班",
        &["culture_sports"],
        "每周三、六晚上",
        "社区居民",
        35,
    ),
    (
        "education",
        "技能提升课",
        &["job_training", "employment"],
        "每月两期",
        "求职和转岗居民",
        30,
    ),
    (
        "health",
        "健康义诊",
        &["health"],
        "每月第二个周日上午",
        "社区居民",
        80,
    ),
    (
        "legal",
        "法律咨询",
        &["legal_aid"],
        "每周四下午",
        "有法律问题的居民",
        12,
    ),
    (
        "relief",
        "困难家庭帮扶",
        &["relief"],
        "按需预约",
        "低保、低边家庭",
        20,
    ),
    (
        "environment",
        "垃圾分类指导",
        &["environment"],
        "每周六上午",
        "社区居民",
        60,
    ),
    (
        "volunteering",
        "志愿者招募与培训",
        &["volunteering"],
        "每月第三个周六",
        "18 岁以上居民",
        40,
    ),
    (
        "mediation",
        "邻里纠纷调解",
        &["mediation", "legal_aid"],
        "工作日 09:00–17:00",
        "辖区居民",
        10,
    ),
    (
        "employment",
        "就业岗位推介",
        &["employment"],
        "每周二下午",
        "待业居民",
        50,
    ),
];

const OFFICE: &[(&str, &[&str], &str)] = &[
    (
        "白领午间讲堂",
        &["office_workers", "culture_sports"],
        "工作日 12:00–13:00",
    ),
    (
        "职场心理咨询",
        &["counselling", "office_workers"],
        "每周三 12:00–13:30",
    ),
    (
        "青年交友活动",
        &["office_workers", "youth"],
        "每月最后一个周五晚上",
    ),
    (
        "灵活就业政策咨询",
        &["employment", "office_workers"],
        "每周四 12:00–13:30",
    ),
];

fn hours(days: std::ops::RangeInclusive<i64>, opens: &str, closes: &str) -> Vec<Hours> {
    days.map(|d| Hours {
        weekday: d,
        opens: opens.into(),
        closes: closes.into(),
    })
    .collect()
}

fn phone(rng: &mut Rng) -> String {
    format!("000-{:08}", rng.range(0, 99_999_999))
}

/// The whole demo network for a district plan, computed without touching the database.
pub fn plan(p: &Plan) -> Network {
    let mut rng = Rng::new(0x5345_5256_4943_4553);
    let mut points: Vec<PlannedPoint> = Vec::new();
    let communities: Vec<usize> = (0..p.units.len())
        .filter(|&i| p.units[i].input.kind == "community")
        .collect();
    // One community service centre per community.
    let mut centre_of: Vec<(usize, usize)> = Vec::new();
    for &c in &communities {
        let name = &p.units[c].input.name;
        let stem = name.trim_end_matches("社区");
        let mut h = hours(1..=5, "08:30", "17:30");
        h.push(Hours {
            weekday: 6,
            opens: "09:00".into(),
            closes: "12:00".into(),
        });
        points.push(PlannedPoint {
            unit: c,
            input: PointInput {
                kind: Some(PointKind::CommunityServiceCentre.as_str().into()),
                name: Some(format!("{stem}社区生活服务中心")),
                description: Some(format!(
                    "{name}居民的家门口服务站：助餐、托育、议事、文体活动和便民代办。"
                )),
                address: Some(format!("{DISTRICT}{stem}路{}号", rng.range(1, 199))),
                latitude: Some(30.20 + rng.range(0, 900) as f64 / 10_000.0),
                longitude: Some(120.10 + rng.range(0, 900) as f64 / 10_000.0),
                unit_id: None,
                contact_phone: Some(phone(&mut rng)),
                hours: Some(h),
            },
        });
        centre_of.push((c, points.len() - 1));
    }
    // About 30 building service points, in communities picked by the seed.
    let mut buildings: Vec<usize> = Vec::new();
    for i in 0..30 {
        let c = communities[rng.range(0, communities.len() as i64 - 1) as usize];
        let stem = p.units[c].input.name.trim_end_matches("社区").to_string();
        let mut h = hours(1..=5, "11:30", "13:30");
        h.extend(hours(1..=5, "17:00", "19:00"));
        points.push(PlannedPoint {
            unit: c,
            input: PointInput {
                kind: Some(PointKind::BuildingServicePoint.as_str().into()),
                name: Some(format!(
                    "{stem}{}{}号楼宇服务点",
                    BUILDINGS[i % BUILDINGS.len()],
                    i / BUILDINGS.len() + 1
                )),
                description: Some("面向楼宇上班族的午间与下班后服务。".into()),
                address: Some(format!("{DISTRICT}{stem}大道{}号", rng.range(200, 999))),
                latitude: Some(30.20 + rng.range(0, 900) as f64 / 10_000.0),
                longitude: Some(120.10 + rng.range(0, 900) as f64 / 10_000.0),
                unit_id: None,
                contact_phone: Some(phone(&mut rng)),
                hours: Some(h),
            },
        });
        buildings.push(points.len() - 1);
    }
    // Services: about half of the organisations offer one, at their community's centre
    // (organisations above the communities pick a centre), some at a building.
    let mut services = Vec::new();
    let mut office_n = 0;
    for (oi, o) in p.orgs.iter().enumerate() {
        let fields = o.input.service_fields.clone().unwrap_or_default();
        let role = o.input.hub_role.as_deref().unwrap_or("member");
        if !(role != "member" || rng.chance(45)) {
            continue;
        }
        let candidates: Vec<&Template> = TEMPLATES
            .iter()
            .filter(|t| fields.iter().any(|f| f == t.0))
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let t = rng.pick(&candidates);
        let centre = match centre_of.iter().find(|(c, _)| *c == o.unit) {
            Some((_, pi)) => *pi,
            None => centre_of[rng.range(0, centre_of.len() as i64 - 1) as usize].1,
        };
        let org_name = o.input.name.clone().unwrap_or_default();
        let status = if rng.chance(8) { "inactive" } else { "active" };
        services.push(PlannedService {
            org: oi,
            points: vec![centre],
            input: ServiceInput {
                name: Some(format!("{}·{}", short(&org_name), t.1)),
                description: Some(format!("{org_name}开展的{}服务。", t.1)),
                schedule: Some(t.3.into()),
                eligibility: Some(t.4.into()),
                capacity: Some(t.5),
                contact_phone: o.input.contact_phone.clone(),
                status: Some(status.into()),
                categories: Some(t.2.iter().map(|c| c.to_string()).collect()),
                ..ServiceInput::default()
            },
        });
        // Street and district organisations also run a service at a building.
        if role != "member" || (o.unit < p.units.len() && p.units[o.unit].input.kind == "street") {
            let (suffix, cats, schedule) = OFFICE[office_n % OFFICE.len()];
            let b = buildings[office_n * 7 % buildings.len()];
            office_n += 1;
            services.push(PlannedService {
                org: oi,
                points: vec![b],
                input: ServiceInput {
                    name: Some(format!("{}·{suffix}", short(&org_name))),
                    description: Some(format!("{org_name}在楼宇服务点为上班族开设的{suffix}。")),
                    schedule: Some(schedule.into()),
                    eligibility: Some("楼宇内工作人员".into()),
                    capacity: Some(rng.range(2, 8) * 10),
                    contact_phone: o.input.contact_phone.clone(),
                    status: Some("active".into()),
                    categories: Some(cats.iter().map(|c| c.to_string()).collect()),
                    ..ServiceInput::default()
                },
            });
        }
    }
    Network { points, services }
}

/// The organisation's name without the district prefix, for service names.
fn short(name: &str) -> String {
    name.trim_start_matches(DISTRICT).to_string()
}

/// Inserts the planned network (inside the demo seed's transaction).
pub async fn seed(
    tx: &mut Tx,
    now: i64,
    p: &Plan,
    unit_ids: &[UnitId],
    org_ids: &[i64],
) -> anyhow::Result<(usize, usize)> {
    let net = plan(p);
    let mut point_ids = Vec::with_capacity(net.points.len());
    for pp in &net.points {
        let mut input = pp.input.clone();
        input.unit_id = Some(unit_ids[pp.unit].0);
        let d = validate_point(&input)
            .map_err(|e| anyhow::anyhow!("demo point {:?}: {e}", input.name))?;
        point_ids.push(
            insert_point(tx, now, &d, None)
                .await
                .map_err(|e| anyhow::anyhow!("demo point {:?}: {e}", input.name))?,
        );
    }
    for ps in &net.services {
        let mut input = ps.input.clone();
        input.org_id = Some(org_ids[ps.org]);
        input.point_ids = Some(ps.points.iter().map(|i| point_ids[*i]).collect());
        let d = validate_service(&input)
            .map_err(|e| anyhow::anyhow!("demo service {:?}: {e}", input.name))?;
        insert_service(tx, None, now, &d, None)
            .await
            .map_err(|e| anyhow::anyhow!("demo service {:?}: {e}", input.name))?;
    }
    Ok((net.points.len(), net.services.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_network_has_the_promised_shape() {
        let p = crate::registry::demo::plan();
        let a = plan(&p);
        let b = plan(&p);
        let kind = |k: PointKind| {
            a.points
                .iter()
                .filter(|x| x.input.kind.as_deref() == Some(k.as_str()))
                .count()
        };
        assert_eq!(kind(PointKind::CommunityServiceCentre), 40);
        assert_eq!(kind(PointKind::BuildingServicePoint), 30);
        assert!(
            (120..=190).contains(&a.services.len()),
            "{}",
            a.services.len()
        );
        assert_eq!(a.services.len(), b.services.len());
        for (x, y) in a.services.iter().zip(&b.services) {
            assert_eq!(x.input.name, y.input.name);
        }
        for pp in &a.points {
            let mut i = pp.input.clone();
            i.unit_id = Some(1);
            validate_point(&i).unwrap_or_else(|e| panic!("{:?}: {e}", i.name));
        }
        let names: std::collections::HashSet<_> =
            a.points.iter().map(|x| x.input.name.clone()).collect();
        assert_eq!(names.len(), a.points.len(), "point names are unique");
        let codes: Vec<&str> = vec![
            "elderly",
            "meal_aid",
            "home_care",
            "day_care",
            "childcare",
            "after_school",
            "youth",
            "employment",
            "job_training",
            "legal_aid",
            "mediation",
            "counselling",
            "volunteering",
            "culture_sports",
            "health",
            "disability",
            "family",
            "relief",
            "convenience",
            "environment",
            "office_workers",
            "party_service",
        ];
        let sql = include_str!("../../migrations/002_services.sql");
        for c in &codes {
            assert!(sql.contains(&format!("'{c}'")), "{c} is seeded");
        }
        for s in &a.services {
            let mut i = s.input.clone();
            i.org_id = Some(1);
            validate_service(&i).unwrap_or_else(|e| panic!("{:?}: {e}", i.name));
            for c in i.categories.unwrap() {
                assert!(codes.contains(&c.as_str()), "{c}");
            }
        }
    }
}
