//! Drill-down from the leader's overview (issue 16): every number on `/overview` opens a
//! list of exactly the records it counted, for the same unit and period — a street's
//! worker and the district's each follow every card, and the list's count (and its rows)
//! is the card's number. Lists narrowed to a unit outside one's scope are refused.

use crate::common::{Backend, Server, both_dbs, page_in};
use serde_json::Value;

const PASSWORD: &str = "demo-pass-1";

async fn get(s: &Server, token: &str, path: &str) -> (u16, String) {
    let r = s.raw("GET", Some(token), path).await;
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// A card of the overview: where it links, its number and the count of a rate's list.
#[derive(Debug)]
struct Card {
    href: String,
    value: String,
    of: Option<i64>,
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = text.find(start)? + start.len();
    let j = text[i..].find(end)? + i;
    Some(&text[i..j])
}

fn cards(html: &str) -> Vec<Card> {
    html.split("<a class=\"stat\" href=\"")
        .skip(1)
        .map(|part| {
            let part = &part[..part.find("</a>").unwrap()];
            let href = part[..part.find('"').unwrap()]
                .replace("&amp;", "&")
                .replace("&#38;", "&");
            let value = between(part, "\">", "</span>")
                .and_then(|v| v.rsplit('>').next())
                .unwrap()
                .to_string();
            let of = between(part, "<span class=\"stat-of muted small\">", "</span>").map(|t| {
                t.chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .unwrap()
            });
            Card { href, value, of }
        })
        .collect()
}

/// The count line of a list ("共 N 件"), 0 for an empty list; and its table rows.
fn counted(html: &str) -> (i64, usize) {
    let total = match between(html, ">共 ", " ") {
        Some(n) => n.parse().unwrap_or_else(|_| panic!("count line {n:?}")),
        None => {
            assert!(
                html.contains("class=\"empty"),
                "neither rows nor an empty state"
            );
            0
        }
    };
    let rows = between(html, "<tbody>", "</tbody>").map_or(0, |b| b.matches("<tr").count());
    (total, rows)
}

both_dbs!(every_number_opens_the_records_it_counts);
async fn every_number_opens_the_records_it_counts(backend: Backend) {
    let s = Server::start_demo(backend, PASSWORD).await;
    let mut nonzero = 0;
    for user in ["gov_street1", "gov_district"] {
        let token = s.login_with(user, PASSWORD).await;
        let (_, dash) = s
            .get_json(Some(&token), "/api/v1/cases/dashboard?days=30")
            .await;
        for period in ["", "?period=year", "?period=month"] {
            let (st, html) = get(&s, &token, &format!("/overview{period}")).await;
            assert_eq!(st, 200, "{user} {period}");
            let cards = cards(&html);
            assert_eq!(cards.len(), 10, "{user}: {cards:?}");
            for card in &cards {
                if card.href.starts_with("/gov/stats") {
                    continue; // a ratio of organisations to residents, listed by area there
                }
                // The whole list on one page where the list pages.
                let sep = if card.href.contains('?') { '&' } else { '?' };
                let href = format!("{}{sep}per_page=200", card.href);
                let (st, list) = get(&s, &token, &href).await;
                assert_eq!(st, 200, "{user} {card:?}");
                let (total, rows) = counted(&list);
                let want = match card.value.parse::<i64>() {
                    Ok(n) => n,
                    Err(_) => match card.of {
                        Some(n) => n,
                        // Residents satisfied: the cases visited in the dashboard's period.
                        None => dash["total"]["visited"].as_i64().unwrap(),
                    },
                };
                assert_eq!(
                    total, want,
                    "{user} {period}: {card:?} opens {total} records"
                );
                if total <= 100 {
                    assert_eq!(rows as i64, total, "{user}: the rows of {}", card.href);
                }
                if period.is_empty() {
                    nonzero += usize::from(want > 0);
                }
                if let Some(p) = period.strip_prefix("?period=")
                    && (card.href.starts_with("/needs?") || card.href.starts_with("/consultation"))
                {
                    assert!(card.href.contains(&format!("period={p}")), "{card:?}");
                }
            }
        }
    }
    assert!(
        nonzero >= 8,
        "the demo gives most cards something to count: {nonzero}"
    );

    // The JSON overview says which period its needs and proposals figures cover.
    let district = s.login_with("gov_district", PASSWORD).await;
    let (st, v): (u16, Value) = s
        .get_json(Some(&district), "/api/v1/overview?period=quarter")
        .await;
    assert_eq!((st, v["period"].as_str()), (200, Some("quarter")), "{v}");
    let (st, _) = s
        .get_json(Some(&district), "/api/v1/overview?period=week")
        .await;
    assert_eq!(st, 400);

    // The demo map's note on its shapes in the reader's language only.
    let (_, zh) = get(&s, &district, "/overview").await;
    assert!(zh.contains("示意边界") && !zh.to_lowercase().contains("schematic"));
    let en = page_in(&s, &district, "/overview", "en").await;
    assert!(
        en.contains("Schematic shapes") && !en.contains("示意边界"),
        "{en}"
    );

    // A community worker may not narrow any list to a unit outside their scope; a
    // resident does not read the proposal figures; a visitor is asked to sign in.
    let community = s.login_with("gov_community1", PASSWORD).await;
    let (_, mine) = s.get_json(Some(&community), "/api/v1/overview").await;
    let (_, whole) = s.get_json(Some(&district), "/api/v1/overview").await;
    let own = mine["unit"]["id"].as_i64().unwrap();
    let district_id = whole["unit"]["id"].as_i64().unwrap();
    assert_ne!(own, district_id);
    for list in [
        "/cases/supervision?dispatched=30&unit=",
        "/needs?state=met&unit=",
        "/needs/projects/running?unit=",
        "/needs/projects/slipping?unit=",
        "/consultation/figures?which=replied&unit=",
    ] {
        let (st, _) = get(&s, &community, &format!("{list}{district_id}")).await;
        assert_eq!(st, 400, "{list}: the district is not the community's");
        let (st, _) = get(&s, &community, &format!("{list}{own}")).await;
        assert_eq!(st, 200, "{list}: its own community");
    }
    for bad in [
        "/cases/supervision?dispatched=0",
        "/needs?period=week",
        "/consultation/figures?which=all",
    ] {
        assert_eq!(get(&s, &district, bad).await.0, 400, "{bad}");
    }
    let resident = s.login_with("reader", PASSWORD).await;
    assert_eq!(get(&s, &resident, "/consultation/figures").await.0, 403);
    let r = s.raw("GET", None, "/consultation/figures").await;
    assert!(r.status().is_redirection(), "a visitor signs in first");
}
