//! The page each hit is found on, from its pages in the database: the index holds no
//! page text (ADR 016), and only the ten or so hits of one result page are read.

use super::Hit;
use super::snippet::{Found, Needles, PageFinder};
use futures_util::TryStreamExt;
use platform::db::Db;
use sqlx::pool::PoolConnection;

/// The first pages of every hit are read in one query (most hits match there); a hit
/// whose words are further on reads on in batches, never much past its first match.
const FIRST: i64 = 3;
const BATCH: i64 = 16;

/// Sets each hit's page and snippet; hits without the query's words (a match on title,
/// tags or filters only) keep page 1 and their description. `readable[i]` is how many
/// pages the reader may see of `hits[i]`: a match further on is marked `locked` and
/// keeps the description as its snippet.
pub async fn locate(
    db: &Db,
    needles: &Needles,
    hits: &mut [Hit],
    readable: &[u64],
) -> sqlx::Result<()> {
    if needles.is_empty() || hits.is_empty() {
        return Ok(());
    }
    let mut conn = db.pool.acquire().await?;
    let mut finders: Vec<(PageFinder, Option<Found>, i64)> = readable
        .iter()
        .map(|r| (PageFinder::new(needles, *r), None, 0))
        .collect();
    // The ids are integers from the index, so inlining them is safe.
    let ids: Vec<String> = hits.iter().map(|h| h.id.to_string()).collect();
    let sql = format!(
        "SELECT document_id, n, text FROM library_pages WHERE document_id IN ({}) AND n <= {FIRST} \
         ORDER BY document_id, n",
        ids.join(",")
    );
    let mut rows = sqlx::query_as::<_, (i64, i64, String)>(&sql).fetch(&mut *conn);
    while let Some((id, n, text)) = rows.try_next().await? {
        let Some(i) = hits.iter().position(|h| h.id == id) else {
            continue;
        };
        let (finder, found, last) = &mut finders[i];
        if found.is_none() {
            *last = n;
            *found = finder.offer(n as u64, text);
        }
    }
    drop(rows);
    for (hit, (finder, found, last)) in hits.iter_mut().zip(finders) {
        let found = match found {
            Some(f) => Some(f),
            None if last < FIRST => finder.finish(),
            None => read_on(&mut conn, hit.id, last, finder).await?,
        };
        match found {
            Some(Found::Page(page, snippet)) => {
                hit.page = page;
                hit.snippet = snippet;
            }
            Some(Found::Locked(page)) => {
                hit.page = page;
                hit.locked = true;
            }
            None => {}
        }
    }
    Ok(())
}

/// The rest of one document's pages after page `after`, until one holds every word.
async fn read_on(
    conn: &mut PoolConnection<sqlx::Any>,
    id: i64,
    mut after: i64,
    mut finder: PageFinder<'_>,
) -> sqlx::Result<Option<Found>> {
    loop {
        let mut rows = sqlx::query_as::<_, (i64, String)>(
            "SELECT n, text FROM library_pages WHERE document_id = $1 AND n > $2 \
             ORDER BY n LIMIT $3",
        )
        .bind(id)
        .bind(after)
        .bind(BATCH)
        .fetch(&mut **conn);
        let mut read = 0;
        while let Some((n, text)) = rows.try_next().await? {
            read += 1;
            after = n;
            if let Some(found) = finder.offer(n as u64, text) {
                return Ok(Some(found));
            }
        }
        if read < BATCH {
            return Ok(finder.finish());
        }
    }
}
