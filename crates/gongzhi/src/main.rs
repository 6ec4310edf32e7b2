//! `gongzhi` — the command line: serve, migrate, users, import, and the converter child.

mod app;
mod demo;
mod import;
mod storage;

use clap::{Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "gongzhi",
    version,
    about = "共治 Gongzhi — social-governance platform and document library"
)]
struct Cli {
    /// Where the database, files and index live.
    #[arg(
        long,
        global = true,
        env = "GONGZHI_DATA_DIR",
        default_value = "./data"
    )]
    data_dir: PathBuf,
    /// A TOML configuration file.
    #[arg(long, global = true, env = "GONGZHI_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (and its background workers).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// On an empty data dir, create demo accounts, categories and sample documents.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Upload every supported file under DIR (as the given user), with a progress bar.
    Import {
        dir: PathBuf,
        #[arg(long, default_value = "admin")]
        r#as: String,
        /// Category slug for every imported file.
        #[arg(long)]
        category: Option<String>,
    },
    /// Rebuild the search index from the database (with the server stopped).
    Reindex,
    /// Verify the audit log's hash chain.
    AuditCheck,
    /// Money: `gongzhi ledger check` verifies every ledger invariant.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Governance: give USERNAME a role on the unit with code CODE (and its subtree).
    Gov {
        #[command(subcommand)]
        command: GovCommand,
    },
    /// Units: `gongzhi units boundaries FILE.geojson` loads unit boundaries (matched by
    /// `properties.code`, else `properties.name`) for the overview's map.
    Units {
        #[command(subcommand)]
        command: UnitsCommand,
    },
    /// Open Referral HSDS 3.0: `gongzhi hsds export DIR` writes the published service
    /// network as JSON files; `gongzhi hsds import DIR` creates or updates it from them.
    Hsds {
        /// export or import
        action: String,
        dir: PathBuf,
    },
    /// Open311: `gongzhi open311 key add CLIENT [--district CODE]` issues an api_key.
    Open311 {
        #[command(subcommand)]
        command: Open311Command,
    },
    /// Community votes: `gongzhi votes verify ID` recounts a vote from its ballot log and
    /// hash chain, prints the tally and exits non-zero on any mismatch.
    Votes {
        #[command(subcommand)]
        command: VotesCommand,
    },
    /// Files: `gongzhi storage migrate --to s3` copies the local store into the configured
    /// S3 bucket (skipping what is there already with the same size).
    Storage {
        #[command(subcommand)]
        command: StorageCommand,
    },
    /// (internal) Convert one file in a bounded child process.
    #[command(hide = true)]
    ConvertChild {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        format: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1000)]
        page_width: u32,
        #[arg(long, default_value_t = 240)]
        thumb_width: u32,
        #[arg(long)]
        soffice: Option<PathBuf>,
        #[arg(long)]
        profile_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum StorageCommand {
    /// Copy every object of the local store to another store.
    Migrate {
        #[arg(long, value_enum)]
        to: StorageTarget,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum StorageTarget {
    /// The bucket of `storage.s3` / `GONGZHI_S3_*`.
    S3,
}

#[derive(Subcommand)]
enum GovCommand {
    /// `gongzhi gov grant USERNAME --unit CODE --role worker|unit_admin|viewer`
    Grant {
        username: String,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand)]
enum UnitsCommand {
    /// Load boundaries from a GeoJSON FeatureCollection; prints what matched no unit.
    Boundaries { file: PathBuf },
}

#[derive(Subcommand)]
enum Open311Command {
    /// Manage client api_keys.
    Key {
        #[command(subcommand)]
        command: Open311KeyCommand,
    },
}

#[derive(Subcommand)]
enum Open311KeyCommand {
    /// Issue a key for CLIENT and print it (only a hash is stored).
    Add {
        client: String,
        /// The district's unit code (default: the only district).
        #[arg(long)]
        district: Option<String>,
    },
}

#[derive(Subcommand)]
enum VotesCommand {
    /// Recount vote ID and check its chain.
    Verify { id: i64 },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Every transaction balances, every balance equals its postings, no wallet is negative;
    /// exits non-zero on any breach.
    Check,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        name: String,
        #[arg(long, default_value = "member")]
        role: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::ConvertChild {
        input,
        format,
        out,
        page_width,
        thumb_width,
        soffice,
        profile_dir,
    } = &cli.command
    {
        let Some(format) = convert::Format::parse(format) else {
            println!("ERROR unsupported unknown format {format}");
            std::process::exit(2);
        };
        let opts = convert::Options {
            page_width: *page_width,
            thumb_width: *thumb_width,
            soffice: soffice.clone(),
            profile_dir: profile_dir.clone(),
            cjk_font: convert::find_cjk_font(),
            ..convert::Options::default()
        };
        std::process::exit(convert::child_main(input, format, &opts, out));
    }
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(cli))
}

fn init_logging() {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info,sqlx=warn".into());
    let json = std::env::var("GONGZHI_LOG_FORMAT").is_ok_and(|v| v == "json");
    platform::logging::init(&filter, json);
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = platform::config::Config::load(cli.config.as_deref(), Some(cli.data_dir.clone()))?;
    match cli.command {
        Command::Serve { addr, demo } => app::serve(config, &addr, demo).await,
        Command::Migrate => {
            let state = app::open(config).await?;
            println!("migrations applied ({} database)", state.db.backend.name());
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    name,
                    role,
                    password_stdin,
                },
        } => {
            let role = platform::auth::Role::parse(&role)
                .ok_or_else(|| anyhow::anyhow!("role must be admin, moderator or member"))?;
            if !password_stdin {
                anyhow::bail!("pass --password-stdin and write the password to standard input");
            }
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            let state = app::open(config).await?;
            let user =
                platform::auth::create_user(&state.db, state.now(), &name, password, role).await?;
            println!(
                "created {} ({}) with id {}",
                user.username,
                role.as_str(),
                user.id
            );
            Ok(())
        }
        Command::Import {
            dir,
            r#as,
            category,
        } => import::run(config, &dir, &r#as, category).await,
        Command::Reindex => reindex(config).await,
        Command::Ledger {
            command: LedgerCommand::Check,
        } => {
            let state = app::open(config).await?;
            let problems = library::money::ledger::check(&state.db).await?;
            if problems.is_empty() {
                println!("ledger consistent");
                Ok(())
            } else {
                for p in &problems {
                    eprintln!("{p}");
                }
                anyhow::bail!("{} ledger problem(s)", problems.len())
            }
        }
        Command::AuditCheck => {
            let state = app::open(config).await?;
            match platform::audit::verify(&state.db).await? {
                None => {
                    println!("audit log intact");
                    Ok(())
                }
                Some(seq) => anyhow::bail!("audit log broken at entry {seq}"),
            }
        }
        Command::Gov {
            command:
                GovCommand::Grant {
                    username,
                    unit,
                    role,
                },
        } => {
            let role = gov_core::MemberRole::parse(&role)
                .ok_or_else(|| anyhow::anyhow!("role must be viewer, worker or unit_admin"))?;
            let state = app::open(config).await?;
            let unit = gov_core::find_unit_by_code(&state.db, &unit)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no unit has the code {unit}"))?;
            let user = governance::registry::units::user_id_by_name(&state.db, &username)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account named {username}"))?;
            gov_core::grant_role(&state.db, state.now(), None, user, &unit, role)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{username} is now {} of {} ({})",
                role.as_str(),
                unit.name,
                unit.code
            );
            Ok(())
        }
        Command::Units {
            command: UnitsCommand::Boundaries { file },
        } => boundaries(config, &file).await,
        Command::Hsds { action, dir } => {
            let state = app::open(config).await?;
            let counts = match action.as_str() {
                "export" => governance::hsds::io::export(&state.db, &dir).await?,
                "import" => governance::hsds::io::import(&state, &dir).await?,
                other => anyhow::bail!("hsds {other}: say export or import"),
            };
            for (name, n) in counts {
                if name.contains(' ') {
                    // What an import did beyond the files (e.g. "withdrawn services").
                    println!("{name}: {n}");
                } else {
                    println!("{name}.json: {n}");
                }
            }
            Ok(())
        }
        Command::Open311 {
            command:
                Open311Command::Key {
                    command: Open311KeyCommand::Add { client, district },
                },
        } => {
            let state = app::open(config).await?;
            let roots: Vec<_> = gov_core::list_units(&state.db, &gov_core::ScopeFilter(None))
                .await?
                .into_iter()
                .filter(|u| u.parent_id.is_none())
                .collect();
            let unit = match &district {
                Some(code) => roots.into_iter().find(|u| &u.code == code),
                None if roots.len() == 1 => roots.into_iter().next(),
                None => anyhow::bail!("several districts exist: name one with --district CODE"),
            }
            .ok_or_else(|| anyhow::anyhow!("no district to issue the key for"))?;
            let key = cases::open311::keys::issue(&state, None, &client, unit)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{key}");
            Ok(())
        }
        Command::Votes {
            command: VotesCommand::Verify { id },
        } => {
            let state = app::open(config).await?;
            consult::votes::verify_cli(&state.db, id).await
        }
        Command::Storage {
            command: StorageCommand::Migrate {
                to: StorageTarget::S3,
            },
        } => storage::migrate_to_s3(&config).await,
        Command::ConvertChild { .. } => unreachable!("handled before the runtime starts"),
    }
}

/// Loads unit boundaries from a GeoJSON file with a progress bar, then says what it did.
async fn boundaries(
    config: platform::config::Config,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let state = app::open(config).await?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} features")
            .expect("valid template"),
    );
    let summary =
        governance::registry::boundary_import::import(&state, &bytes, &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await?;
    bar.finish();
    println!("loaded {} boundaries", summary.loaded.len());
    if !summary.unmatched.is_empty() {
        println!(
            "{} features matched no unit (by properties.code or a unique properties.name):",
            summary.unmatched.len()
        );
        for name in &summary.unmatched {
            println!("  {name}");
        }
    }
    if !summary.invalid.is_empty() {
        println!("{} features were refused:", summary.invalid.len());
        for (name, why) in &summary.invalid {
            println!("  {name}: {why}");
        }
    }
    Ok(())
}

/// Rebuilds the library's search index with a progress bar.
async fn reindex(config: platform::config::Config) -> anyhow::Result<()> {
    let state = app::open(config).await?;
    let dir = library::search::index_dir(&state.config.data_dir);
    let (index, _) = library::search::SearchIndex::open_for_rebuild(&dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot open the index in {} (is the server running? stop it first): {e}",
            dir.display()
        )
    })?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} documents")
            .expect("valid template"),
    );
    let n = library::search::follow::rebuild(&state, &index, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    index.close()?;
    bar.finish();
    println!("indexed {n} published documents into {}", dir.display());
    Ok(())
}
