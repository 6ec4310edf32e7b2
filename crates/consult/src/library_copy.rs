//! The library copy of the public register (ADR 027): a replied proposal whose proposer
//! consented becomes a library document (its text and the reply), so the library's search
//! finds it; withdrawn consent or a second handling removes the document again. A job
//! (enqueued in the step's transaction) brings the library in line with the proposal, so a
//! crash between the two only delays the copy, and running it twice changes nothing.

use crate::model::Proposal;
use futures_util::future::BoxFuture;
use platform::auth::{Role, User};
use platform::jobs::{JobCtx, JobError, JobHandler};
use platform::web::Lang;
use platform::{Actor, AppState};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::sync::Arc;

pub const KIND: &str = "consult.library";
/// The account that uploads the copies: a library moderator (its uploads are published
/// without review, the office already checked the reply) that cannot sign in.
pub const UPLOADER: &str = "consult_register";

pub fn jobs(state: &AppState) -> Vec<(&'static str, Arc<dyn JobHandler>)> {
    vec![(
        KIND,
        Arc::new(LibraryCopy {
            state: state.clone(),
        }),
    )]
}

/// Queues the copy's reconciliation with the step that may change what is published.
pub async fn enqueue(state: &AppState, tx: &mut platform::db::Tx, id: i64) -> sqlx::Result<()> {
    state
        .jobs
        .enqueue(tx, KIND, serde_json::json!({ "proposal_id": id }))
        .await?;
    Ok(())
}

struct LibraryCopy {
    state: AppState,
}

impl JobHandler for LibraryCopy {
    fn run(&self, ctx: &JobCtx) -> BoxFuture<'_, Result<(), JobError>> {
        let id = ctx.payload["proposal_id"].as_i64();
        Box::pin(async move {
            let id = id.ok_or_else(|| JobError::Fail("no proposal_id".into()))?;
            sync(&self.state, id)
                .await
                .map_err(|e| JobError::Retry(format!("{e:#}")))
        })
    }

    fn failed<'a>(&'a self, ctx: &'a JobCtx, error: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            tracing::error!(payload = %ctx.payload, error, "library copy of a proposal failed");
        })
    }
}

/// The document's text: the proposal, then the formal reply.
pub fn document_text(p: &Proposal) -> String {
    format!(
        "{title}\n\n提案人 Proposer：{who}（{sector}）\n承办单位 Lead unit：{unit}\n\
         答复类别 Reply class：{class}\n答复日期 Replied：{day}\n\n提案 Proposal\n{body}\n\n\
         答复 Reply\n{reply}\n",
        title = p.title,
        who = p.proposer_name,
        sector = p.sector,
        unit = p.lead_name,
        class = p.reply_class,
        day = p.replied_at.map(crate::register::day).unwrap_or_default(),
        body = p.body,
        reply = p.reply_text,
    )
}

/// Makes the library agree with the proposal: a document with the current text while it
/// is published, none otherwise.
pub async fn sync(state: &AppState, id: i64) -> anyhow::Result<()> {
    let published = crate::register::published_one(state, id).await.ok();
    let text = published.as_ref().map(document_text);
    let sha = text.as_deref().map(|t| hex::encode(Sha256::digest(t)));
    let linked: Option<(i64, String)> = sqlx::query_as(
        "SELECT document_id, sha256 FROM consult_library_docs WHERE proposal_id = $1",
    )
    .bind(id)
    .fetch_optional(&state.db.pool)
    .await?;
    if let Some((doc, old)) = &linked {
        if sha.as_deref() == Some(old.as_str()) {
            return Ok(());
        }
        let actor = uploader_actor(state).await?;
        match library::service::delete(state, &actor, *doc).await {
            Ok(()) | Err(library::error::LibraryError::NotFound) => {}
            Err(e) => anyhow::bail!("removing document {doc}: {e}"),
        }
        sqlx::query("DELETE FROM consult_library_docs WHERE proposal_id = $1")
            .bind(id)
            .execute(&state.db.pool)
            .await?;
    }
    let (Some(p), Some(text), Some(sha)) = (published, text, sha) else {
        return Ok(());
    };
    let user = uploader(state).await?;
    let rec = received(state, id, &text, &sha)?;
    let fields = library::upload::Fields {
        title: Some(format!("{}（提案答复）", p.title)),
        description: Some(format!(
            "政协提案及其办理答复，经提案者同意公开。CPPCC proposal No. {id} with its formal reply, published with the proposer's consent."
        )),
        tags: vec!["政协提案".into()],
        ..Default::default()
    };
    let created = library::upload::create(state, &user, fields, rec)
        .await
        .map_err(|e| anyhow::anyhow!("uploading proposal {id}: {e}"))?;
    let linked = sqlx::query(
        "INSERT INTO consult_library_docs (proposal_id, document_id, sha256, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(created.id)
    .bind(&sha)
    .bind(state.now())
    .execute(&state.db.pool)
    .await?;
    if linked.rows_affected() == 0 {
        // Two runs for one proposal (two steps each queued one) raced and the other linked
        // its copy first: ours must not stay in the library as a second copy. The job is
        // retried, and the retry reconciles the link that won with the proposal.
        let actor = uploader_actor(state).await?;
        match library::service::delete(state, &actor, created.id).await {
            Ok(()) | Err(library::error::LibraryError::NotFound) => {}
            Err(e) => anyhow::bail!("removing the second copy {}: {e}", created.id),
        }
        anyhow::bail!("proposal {id} was copied meanwhile; reconciling again");
    }
    Ok(())
}

fn received(
    state: &AppState,
    id: i64,
    text: &str,
    sha: &str,
) -> anyhow::Result<library::upload::Received> {
    let mut file = tempfile::NamedTempFile::new_in(library::upload::temp_dir(state)?)?;
    file.write_all(text.as_bytes())?;
    file.flush()?;
    Ok(library::upload::Received {
        file,
        original_name: format!("proposal-{id}.txt"),
        size: text.len() as u64,
        sha256: sha.to_string(),
    })
}

/// The uploading account, created (disabled, so nobody signs in as it) on first use.
async fn uploader(state: &AppState) -> anyhow::Result<User> {
    let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM platform_users WHERE username = $1")
        .bind(UPLOADER)
        .fetch_optional(&state.db.pool)
        .await?;
    let id = match found {
        Some((id,)) => id,
        None => {
            let password = format!("Zz9-{:032x}", rand::random::<u128>());
            let user = match platform::auth::create_user(
                &state.db,
                state.now(),
                UPLOADER,
                &password,
                Role::Moderator,
            )
            .await
            {
                Ok(u) => u,
                // Another job created it a moment ago.
                Err(platform::auth::CreateUserError::Taken) => {
                    return Box::pin(uploader(state)).await;
                }
                Err(e) => anyhow::bail!("creating {UPLOADER}: {e}"),
            };
            sqlx::query("UPDATE platform_users SET disabled = 1, display_name = $1 WHERE id = $2")
                .bind("政协提案公开 CPPCC register")
                .bind(user.id)
                .execute(&state.db.pool)
                .await?;
            user.id
        }
    };
    Ok(User {
        id,
        username: UPLOADER.into(),
        display_name: "政协提案公开 CPPCC register".into(),
        role: Role::Moderator,
    })
}

async fn uploader_actor(state: &AppState) -> anyhow::Result<Actor> {
    Ok(Actor {
        user: Some(uploader(state).await?),
        lang: Lang::Zh,
        csrf: String::new(),
        ip: String::new(),
        session_token: None,
    })
}
