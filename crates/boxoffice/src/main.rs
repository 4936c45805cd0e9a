//! `boxoffice`: serve, worker, migrate, import, openapi, seed.

use std::net::TcpListener;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use boxoffice::{
    connect_for_command, init_tracing, migrate, operator, redacted, seed, state, Settings,
};

#[derive(Parser)]
#[command(name = "boxoffice", version, about = "Booking platform backend")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP, applying pending migrations first (while the database cannot be reached, the
    /// server starts anyway, answers 503, and applies them in the background).
    Serve {
        /// Address to listen on (default: server.bind from config, 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Import a CSV file into a show (one transaction; re-importing changes nothing).
    Import {
        #[command(subcommand)]
        what: ImportKind,
    },
    /// Print the OpenAPI 3 document (needs no database).
    Openapi,
    /// Load the demo data set (idempotent).
    Seed,
    /// Run the background sweep once: write down expired holds and complete bookings of shows
    /// that ended, and retry pending refunds.
    Sweep,
    /// Run the outbox's delivery worker (and the background sweep) without serving HTTP, until
    /// stopped; with `--once`, one delivery pass and exit.
    Worker {
        #[arg(long)]
        once: bool,
    },
    /// Create an admin account; the password is read from standard input (first line).
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        first_name: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImportKind {
    /// Seats file: id,seat_identifier,seat_class
    Seats {
        #[arg(long)]
        show: i64,
        file: PathBuf,
    },
    /// Pricing file: id,seat_class,min_price,normal_price,max_price
    Pricing {
        #[arg(long)]
        show: i64,
        file: PathBuf,
    },
}

fn database_url() -> anyhow::Result<String> {
    std::env::var("DATABASE_URL")
        .context("DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/boxoffice)")
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        let spec = boxoffice_api::openapi_spec();
        println!("{}", serde_json::to_string_pretty(&spec)?);
        return Ok(());
    }
    let settings = Settings::load()?;
    init_tracing(&settings);
    let url = database_url()?;
    match cli.command {
        Command::Openapi => unreachable!("handled above"),
        Command::Migrate => {
            let db = connect_for_command(&url, &settings)?;
            let applied = migrate(&db)?;
            println!("migrations applied: {}", applied.len());
            Ok(())
        }
        Command::Serve { bind } => {
            let bind = bind.unwrap_or_else(|| settings.server.bind.clone());
            let listener =
                TcpListener::bind(&bind).with_context(|| format!("cannot listen on {bind}"))?;
            tracing::info!(%bind, database = %redacted(&url), "starting");
            actix_web::rt::System::new().block_on(async move {
                let server = boxoffice::start(listener, &url, &settings).await?;
                server.await.context("server stopped with an error")
            })
        }
        Command::Seed => runtime()?.block_on(async {
            let db = connect_for_command(&url, &settings)?;
            let m = db.clone();
            tokio::task::spawn_blocking(move || migrate(&m)).await??;
            let st = state(&db, &settings)?;
            let report = seed::seed(&st, settings.profile != "production").await?;
            println!("{report}");
            Ok(())
        }),
        Command::Sweep => runtime()?.block_on(async {
            let db = connect_for_command(&url, &settings)?;
            let parts = boxoffice::Parts::for_settings(&settings, &db);
            // The mock gateway's ledger is in the database: this process can retry refunds.
            let report = boxoffice::sweeper(&db, &settings, &parts)
                .run_once()
                .await?;
            println!(
                "expired {} holds, completed {} bookings, retried {} pending refunds",
                report.expired, report.completed, report.refunds_retried
            );
            Ok(())
        }),
        Command::Worker { once } => runtime()?.block_on(async {
            let db = connect_for_command(&url, &settings)?;
            let parts = boxoffice::Parts::for_settings(&settings, &db);
            let delivery = boxoffice::delivery(&db, &settings, &parts)?;
            if once {
                let r = delivery.run_once().await?;
                println!(
                    "delivered {}, to retry {}, dead {}",
                    r.delivered, r.retried, r.dead
                );
                return Ok(());
            }
            tracing::info!(database = %redacted(&url), "worker starting");
            boxoffice::spawn_delivery(
                delivery,
                std::time::Duration::from_millis(settings.outbox.interval_ms),
            );
            boxoffice::spawn_jobs(
                boxoffice::sweeper(&db, &settings, &parts),
                std::time::Duration::from_secs(settings.jobs.sweep_interval_secs),
            );
            tokio::signal::ctrl_c().await?;
            tracing::info!("worker stopping");
            Ok(())
        }),
        Command::Import { what } => runtime()?.block_on(async {
            let db = connect_for_command(&url, &settings)?;
            let st = state(&db, &settings)?;
            let (show, file, seats) = match what {
                ImportKind::Seats { show, file } => (show, file, true),
                ImportKind::Pricing { show, file } => (show, file, false),
            };
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let op = operator();
            let result = if seats {
                st.catalog.import_seats(&op, show, &bytes).await
            } else {
                st.catalog.import_pricing(&op, show, &bytes).await
            };
            match result {
                Ok(s) => {
                    println!(
                        "imported {}: {} rows, {} created, {} updated, {} unchanged",
                        file.display(),
                        s.rows,
                        s.created,
                        s.updated,
                        s.unchanged
                    );
                    Ok(())
                }
                Err(e) => anyhow::bail!("import failed, nothing was written: {e}"),
            }
        }),
        Command::CreateAdmin {
            email,
            first_name,
            last_name,
        } => {
            use std::io::{BufRead, IsTerminal, Write};
            if std::io::stdin().is_terminal() {
                eprint!("password for {email} (8 to 128 characters; it is echoed — pipe it in to avoid that): ");
                std::io::stderr().flush().ok();
            }
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            runtime()?.block_on(async {
                let db = connect_for_command(&url, &settings)?;
                let m = db.clone();
                tokio::task::spawn_blocking(move || migrate(&m)).await??;
                let st = state(&db, &settings)?;
                let profile = boxoffice_domain::account::ProfileInput {
                    first_name,
                    last_name,
                    ..Default::default()
                };
                match st.accounts.create_admin(&email, &password, profile).await {
                    Ok(user) => {
                        println!("admin created: {} ({})", user.email, user.id);
                        Ok(())
                    }
                    Err(e) => anyhow::bail!("could not create the admin: {e}"),
                }
            })
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
