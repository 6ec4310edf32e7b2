//! The registry's demo plan for `serve --demo`: the fictional district 云岫区 (Yunxiu) with 5 streets,
//! 40 communities and their grids, 8 functional departments, about 210,000 residents and
//! about 300 social organisations in a 1+5+X structure, plus one staff account per level.
//! Everything is generated from a fixed seed, so every demo looks the same. All names,
//! people and numbers are invented (telephone numbers use the non-existent prefix 000-).

use crate::credit::{CHARSET, CreditCode};
use crate::registry::orgs::OrgInput;
use crate::registry::units::UnitInput;

/// Shared with the other modules' demo seeds (callers keep this path).
use platform::rng::Rng;

pub const DISTRICT: &str = "云岫区";

const STREETS: [&str; 5] = ["桂枝", "南浦", "青砚", "鹤鸣", "松溪"];

const STEMS: [&str; 40] = [
    "桂园", "枫林", "南苑", "芳草", "清泉", "石桥", "柳岸", "杏坛", "晴川", "梧桐", "竹韵", "荷塘",
    "兰亭", "映月", "鹭洲", "翠屏", "锦绣", "望江", "书院", "金沙", "玉泉", "紫荆", "白鹭", "长乐",
    "安澜", "松涛", "云栖", "溪畔", "新河", "春晖", "朝阳", "和美", "福寿", "丰泽", "明德", "银杏",
    "海棠", "青石", "瑞景", "星湖",
];

const DEPARTMENTS: [&str; 8] = [
    "区民政局",
    "区社会组织管理局",
    "区社会建设办公室",
    "区综合治理办公室",
    "团区委",
    "区城市管理局",
    "区卫生健康局",
    "区教育局",
];

const SURNAMES: [&str; 30] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "朱", "马", "胡", "郭",
    "林", "何", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];

const GIVEN: [&str; 30] = [
    "晓", "建", "国", "丽", "敏", "志", "明", "华", "秀", "芳", "海", "军", "静", "雪", "春", "宁",
    "峰", "磊", "霞", "涛", "婷", "欣", "然", "宇", "文", "佳", "淑", "立", "新", "德",
];

const ROADS: [&str; 8] = ["路", "街", "巷", "大道", "里", "弄", "东路", "西路"];

/// The five hubs: name, type, fields, and the member-name patterns that attach to it.
struct HubDef {
    name: &'static str,
    org_type: &'static str,
    fields: &'static [&'static str],
    members: &'static [(&'static str, &'static str)],
}

const HUBS: [HubDef; 5] = [
    HubDef {
        name: "云岫区社区服务发展促进会",
        org_type: "social_group",
        fields: &["community", "relief"],
        members: &[
            ("睦邻互助会", "social_group"),
            ("邻里调解服务社", "social_service_agency"),
            ("社区公益服务社", "social_service_agency"),
            ("就业创业服务中心", "social_service_agency"),
            ("法律援助志愿者协会", "social_group"),
        ],
    },
    HubDef {
        name: "云岫区养老服务协会",
        org_type: "social_group",
        fields: &["elderly", "health"],
        members: &[
            ("老年协会", "social_group"),
            ("居家养老服务中心", "social_service_agency"),
            ("长者关爱服务社", "social_service_agency"),
            ("健康促进会", "social_group"),
        ],
    },
    HubDef {
        name: "云岫区青少年事务服务中心",
        org_type: "social_service_agency",
        fields: &["children", "education"],
        members: &[
            ("青少年成长服务社", "social_service_agency"),
            ("四点半课堂服务中心", "social_service_agency"),
            ("助残康复服务社", "social_service_agency"),
            ("家庭教育促进会", "social_group"),
        ],
    },
    HubDef {
        name: "云岫区志愿服务联合会",
        org_type: "social_group",
        fields: &["volunteering", "environment"],
        members: &[
            ("平安志愿者协会", "social_group"),
            ("环保志愿服务社", "social_service_agency"),
            ("垃圾分类促进会", "social_group"),
        ],
    },
    HubDef {
        name: "云岫区文化体育促进会",
        org_type: "social_group",
        fields: &["culture"],
        members: &[
            ("文体协会", "social_group"),
            ("书画社", "social_group"),
            ("艺术团", "social_group"),
            ("太极拳协会", "social_group"),
            ("读书会", "social_group"),
        ],
    },
];

/// Fields that a member of each hub may add to its hub's own.
const EXTRA_FIELDS: [&[&str]; 5] = [
    &["legal", "mediation", "employment", "relief"],
    &["health", "volunteering", "disability"],
    &["disability", "culture", "health"],
    &["community", "environment", "mediation"],
    &["education", "children", "elderly"],
];

pub struct PlannedUnit {
    pub parent: Option<usize>,
    pub input: UnitInput,
}

pub struct PlannedOrg {
    pub unit: usize,
    /// Index of the hub (in `orgs`) a member attaches to.
    pub hub: Option<usize>,
    pub input: OrgInput,
}

pub struct Plan {
    pub units: Vec<PlannedUnit>,
    pub orgs: Vec<PlannedOrg>,
    pub district: usize,
    pub street1: usize,
    pub community1: usize,
}

fn person(rng: &mut Rng) -> String {
    let mut s = rng.pick(&SURNAMES).to_string();
    s.push_str(rng.pick(&GIVEN));
    if rng.chance(70) {
        s.push_str(rng.pick(&GIVEN));
    }
    s
}

fn phone(rng: &mut Rng) -> String {
    format!("000-{:08}", rng.range(0, 99_999_999))
}

fn credit_code(rng: &mut Rng, org_type: &str, seq: usize) -> String {
    let t = match org_type {
        "social_group" => '1',
        "social_service_agency" => '2',
        _ => '3',
    };
    let x = CHARSET.chars().nth(rng.range(0, 9) as usize).unwrap_or('0');
    let first17 = format!("5{t}330199MJ{seq:06}{x}");
    CreditCode::complete(&first17)
        .map(|c| c.to_string())
        .unwrap_or_default()
}

fn unit(parent: Option<usize>, kind: &str, name: String, code: String, sort: i64) -> PlannedUnit {
    PlannedUnit {
        parent,
        input: UnitInput {
            parent_id: None,
            kind: kind.into(),
            name,
            code,
            households: 0,
            residents: 0,
            party_org_name: String::new(),
            party_secretary: String::new(),
            party_members: 0,
            sort,
        },
    }
}

/// Splits `total` into `parts` positive shares with random weights.
fn split(rng: &mut Rng, total: i64, parts: usize) -> Vec<i64> {
    let weights: Vec<i64> = (0..parts).map(|_| rng.range(60, 140)).collect();
    let sum: i64 = weights.iter().sum();
    let mut out: Vec<i64> = weights.iter().map(|w| total * w / sum).collect();
    let given: i64 = out.iter().sum();
    if let Some(last) = out.last_mut() {
        *last += total - given;
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn org(
    rng: &mut Rng,
    seq: &mut usize,
    unit: usize,
    hub: Option<usize>,
    name: String,
    org_type: &str,
    hub_role: &str,
    fields: Vec<String>,
    address: String,
    staff: (i64, i64),
) -> PlannedOrg {
    *seq += 1;
    let staff_count = rng.range(staff.0, staff.1);
    let under_35 = rng.range(0, staff_count);
    let mid = rng.range(0, staff_count - under_35);
    let from_55 = staff_count - under_35 - mid;
    let brand = rng.chance(if hub_role == "member" { 8 } else { 60 });
    let leading_figure = if brand && rng.chance(50) {
        person(rng)
    } else {
        String::new()
    };
    PlannedOrg {
        unit,
        hub,
        input: OrgInput {
            name: Some(name),
            credit_code: Some(credit_code(rng, org_type, *seq)),
            org_type: Some(org_type.into()),
            registered_on: Some(format!(
                "{}-{:02}-{:02}",
                rng.range(2008, 2024),
                rng.range(1, 12),
                rng.range(1, 28)
            )),
            legal_rep: Some(person(rng)),
            address: Some(address),
            unit_id: None,
            service_fields: Some(fields),
            staff_count: Some(staff_count),
            staff_under_35: Some(under_35),
            staff_35_to_54: Some(mid),
            staff_55_plus: Some(from_55),
            volunteers: Some(rng.range(0, 20) * rng.range(1, 15)),
            contact_phone: Some(phone(rng)),
            hub_role: Some(hub_role.into()),
            hub_id: None,
            brand: Some(brand),
            leading_figure: Some(leading_figure),
        },
    }
}

/// The whole demo district, computed without touching the database.
pub fn plan() -> Plan {
    let mut rng = Rng::new(0x0059_554E_5849_5521);
    let mut units: Vec<PlannedUnit> = Vec::new();
    let mut d = unit(None, "district", DISTRICT.into(), "YX".into(), 0);
    d.input.party_org_name = "中共云岫区委员会".into();
    d.input.party_secretary = person(&mut rng);
    units.push(d);
    let district = 0;
    // Residents per community, scaled so that the district has 210,000.
    let raw: Vec<i64> = (0..40).map(|_| rng.range(3200, 7400)).collect();
    let raw_sum: i64 = raw.iter().sum();
    let mut residents: Vec<i64> = raw.iter().map(|r| r * 210_000 / raw_sum).collect();
    let fix = 210_000 - residents.iter().sum::<i64>();
    residents[39] += fix;
    let mut communities_by_street: Vec<Vec<usize>> = Vec::new();
    let mut street_idx = Vec::new();
    for (s, street) in STREETS.iter().enumerate() {
        let mut st = unit(
            Some(district),
            "street",
            format!("{street}街道"),
            format!("YX{:02}", s + 1),
            s as i64,
        );
        st.input.party_org_name = format!("{street}街道党工委");
        st.input.party_secretary = person(&mut rng);
        units.push(st);
        let si = units.len() - 1;
        street_idx.push(si);
        let mut comms = Vec::new();
        for c in 0..8 {
            let n = s * 8 + c;
            let stem = STEMS[n];
            let res = residents[n];
            let households = res * 10 / rng.range(24, 29);
            let party_members = res * rng.range(28, 42) / 1000;
            let mut cu = unit(
                Some(si),
                "community",
                format!("{stem}社区"),
                format!("YX{:02}{:02}", s + 1, c + 1),
                c as i64,
            );
            cu.input.residents = res;
            cu.input.households = households;
            cu.input.party_members = party_members;
            cu.input.party_org_name = if res > 5000 {
                format!("{stem}社区党委")
            } else {
                format!("{stem}社区党总支")
            };
            cu.input.party_secretary = person(&mut rng);
            units.push(cu);
            let ci = units.len() - 1;
            comms.push(ci);
            let grids = rng.range(2, 4) as usize;
            let gres = split(&mut rng, res, grids);
            let ghh = split(&mut rng, households, grids);
            let gpm = split(&mut rng, party_members, grids);
            for g in 0..grids {
                let mut gu = unit(
                    Some(ci),
                    "grid",
                    format!("{stem}第{}网格", ["一", "二", "三", "四"][g]),
                    format!("YX{:02}{:02}{:02}", s + 1, c + 1, g + 1),
                    g as i64,
                );
                gu.input.residents = gres[g];
                gu.input.households = ghh[g];
                gu.input.party_members = gpm[g];
                gu.input.party_org_name = format!("第{}网格党支部", ["一", "二", "三", "四"][g]);
                gu.input.party_secretary = person(&mut rng);
                units.push(gu);
            }
        }
        // The street's figures are the sum of its communities'.
        let (r, h, p) = comms.iter().fold((0, 0, 0), |acc, &i| {
            let u = &units[i].input;
            (
                acc.0 + u.residents,
                acc.1 + u.households,
                acc.2 + u.party_members,
            )
        });
        units[si].input.residents = r;
        units[si].input.households = h;
        units[si].input.party_members = p + rng.range(20, 60);
        communities_by_street.push(comms);
    }
    let mut dept_members = 0;
    for (i, name) in DEPARTMENTS.iter().enumerate() {
        let mut du = unit(
            Some(district),
            "department",
            name.to_string(),
            format!("YXD{:02}", i + 1),
            10 + i as i64,
        );
        du.input.party_org_name = format!("{name}党组");
        du.input.party_secretary = person(&mut rng);
        du.input.party_members = rng.range(25, 110);
        dept_members += du.input.party_members;
        units.push(du);
    }
    let (r, h, p) = street_idx.iter().fold((0, 0, 0), |acc, &i| {
        let u = &units[i].input;
        (
            acc.0 + u.residents,
            acc.1 + u.households,
            acc.2 + u.party_members,
        )
    });
    units[district].input.residents = r;
    units[district].input.households = h;
    units[district].input.party_members = p + dept_members;

    // The 1 + 5 + X.
    let mut orgs: Vec<PlannedOrg> = Vec::new();
    let mut seq = 0usize;
    let addr = |rng: &mut Rng, street: &str, stem: &str| {
        format!(
            "{DISTRICT}{street}街道{stem}{}{}号",
            rng.pick(&ROADS),
            rng.range(1, 288)
        )
    };
    let a = addr(&mut rng, STREETS[0], "岫山");
    orgs.push(org(
        &mut rng,
        &mut seq,
        district,
        None,
        "云岫区社会组织联合会".into(),
        "social_group",
        "federation",
        vec!["community".into(), "volunteering".into()],
        a,
        (8, 20),
    ));
    let mut hub_idx = Vec::new();
    for (i, h) in HUBS.iter().enumerate() {
        let a = addr(&mut rng, STREETS[i % 5], "岫山");
        orgs.push(org(
            &mut rng,
            &mut seq,
            district,
            None,
            h.name.into(),
            h.org_type,
            "hub",
            h.fields.iter().map(|f| f.to_string()).collect(),
            a,
            (6, 30),
        ));
        hub_idx.push(orgs.len() - 1);
    }
    for (s, comms) in communities_by_street.iter().enumerate() {
        let street = STREETS[s];
        let si = street_idx[s];
        // Street-level organisations.
        for (suffix, org_type, hub) in [
            ("社会工作服务中心", "social_service_agency", 0),
            ("社区发展基金会", "foundation", 0),
            ("文化艺术团", "social_group", 4),
        ] {
            let a = addr(&mut rng, street, street);
            let fields = HUBS[hub].fields.iter().map(|f| f.to_string()).collect();
            orgs.push(org(
                &mut rng,
                &mut seq,
                si,
                Some(hub_idx[hub]),
                format!("{DISTRICT}{street}{suffix}"),
                org_type,
                "member",
                fields,
                a,
                (3, 25),
            ));
        }
        for &ci in comms {
            let stem = units[ci].input.name.trim_end_matches("社区").to_string();
            let how_many = rng.range(5, 9) as usize;
            let mut used: Vec<(usize, usize)> = Vec::new();
            while used.len() < how_many {
                let h = rng.range(0, 4) as usize;
                let m = rng.range(0, HUBS[h].members.len() as i64 - 1) as usize;
                if used.contains(&(h, m)) {
                    continue;
                }
                used.push((h, m));
                let (suffix, org_type) = HUBS[h].members[m];
                let mut fields: Vec<String> = vec![HUBS[h].fields[0].to_string()];
                if rng.chance(50) {
                    let extra = rng.pick(EXTRA_FIELDS[h]).to_string();
                    if !fields.contains(&extra) {
                        fields.push(extra);
                    }
                }
                let a = addr(&mut rng, street, &stem);
                orgs.push(org(
                    &mut rng,
                    &mut seq,
                    ci,
                    Some(hub_idx[h]),
                    format!("{stem}{suffix}"),
                    org_type,
                    "member",
                    fields,
                    a,
                    (1, 18),
                ));
            }
        }
    }
    Plan {
        units,
        orgs,
        district,
        street1: street_idx[0],
        community1: communities_by_street[0][0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::model::HubRole;
    use gov_core::UnitKind;

    #[test]
    fn the_plan_is_deterministic() {
        let a = plan();
        let b = plan();
        assert_eq!(a.orgs.len(), b.orgs.len());
        for (x, y) in a.orgs.iter().zip(&b.orgs) {
            assert_eq!(x.input.name, y.input.name);
            assert_eq!(x.input.credit_code, y.input.credit_code);
        }
    }

    #[test]
    fn the_district_has_the_promised_shape() {
        let p = plan();
        let count = |k: UnitKind| {
            p.units
                .iter()
                .filter(|u| u.input.kind == k.as_str())
                .count()
        };
        assert_eq!(count(UnitKind::District), 1);
        assert_eq!(count(UnitKind::Street), 5);
        assert_eq!(count(UnitKind::Community), 40);
        assert_eq!(count(UnitKind::Department), 8);
        assert!((80..=160).contains(&count(UnitKind::Grid)));
        assert_eq!(p.units[p.district].input.residents, 210_000);
        // Every child hangs under the right kind of parent, and grids add up to their community.
        for (i, u) in p.units.iter().enumerate() {
            let kind = UnitKind::parse(&u.input.kind).unwrap();
            let parent_kind = u
                .parent
                .map(|pi| UnitKind::parse(&p.units[pi].input.kind).unwrap());
            assert_eq!(parent_kind, kind.parent_kind(), "{}", u.input.name);
            if kind == UnitKind::Community {
                let grids: i64 = p
                    .units
                    .iter()
                    .filter(|g| g.parent == Some(i))
                    .map(|g| g.input.residents)
                    .sum();
                assert_eq!(grids, u.input.residents, "{}", u.input.name);
            }
        }
        let codes: std::collections::HashSet<_> = p.units.iter().map(|u| &u.input.code).collect();
        assert_eq!(codes.len(), p.units.len(), "unit codes are unique");
    }

    #[test]
    fn about_300_valid_organisations_in_1_5_x() {
        let p = plan();
        let n = p.orgs.len();
        assert!((280..=320).contains(&n), "{n} organisations");
        let per_10k = n as f64 * 10_000.0 / 210_000.0;
        assert!((13.0..=15.5).contains(&per_10k), "{per_10k}");
        let role = |o: &PlannedOrg| HubRole::parse(o.input.hub_role.as_deref().unwrap()).unwrap();
        assert_eq!(
            p.orgs
                .iter()
                .filter(|o| role(o) == HubRole::Federation)
                .count(),
            1
        );
        assert_eq!(p.orgs.iter().filter(|o| role(o) == HubRole::Hub).count(), 5);
        let mut codes = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        let now = 1_780_000_000_000;
        for o in &p.orgs {
            let mut input = o.input.clone();
            input.unit_id = Some(1);
            input.hub_id = o.hub.map(|h| h as i64 + 1);
            let draft = crate::registry::orgs::validate(&input, now)
                .unwrap_or_else(|e| panic!("{:?}: {e}", input.name));
            assert!(codes.insert(draft.credit_code.to_string()));
            assert!(names.insert(draft.name.clone()), "{} twice", draft.name);
            if role(o) == HubRole::Member {
                let hub = o.hub.expect("members have a hub");
                assert_eq!(role(&p.orgs[hub]), HubRole::Hub);
            } else {
                assert!(o.hub.is_none());
            }
        }
        assert!(p.orgs.iter().any(|o| o.input.brand == Some(true)));
    }
}
