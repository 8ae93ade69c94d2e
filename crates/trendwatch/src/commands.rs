//! What each subcommand does, on top of the library functions.

use crate::cli::{
    BenchCommand, Cli, Command, EvalCommand, ForecastCommand, SimilarCommand, StorylineCommand,
    UserCommand,
};
use crate::config::Config;
use crate::{app, bench, eval, eval_related, generate, import, sample};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;
use tokio::net::TcpListener;
use trendwatch_core::limits::terminal_safe;
use trendwatch_service::{derive, search_index};

/// Runs one command line to completion.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { addr, demo } => serve(&cli.data, addr, demo).await,
            Command::Demo { addr } => serve(&cli.data, addr, true).await,
            Command::Import {
                paths,
                no_progress,
                keep_duplicates,
                drafts_to,
            } => {
                let config = Config::load(&cli.data)?;
                let store = app::open_store(&config).await?;
                let options = import::ImportOptions {
                    show_progress: !no_progress && std::io::stderr().is_terminal(),
                    keep_duplicates,
                    drafts_to,
                };
                let report = import::import_paths(&store, &config, &paths, &options).await?;
                for r in &report.rejected {
                    eprintln!("rejected {}", terminal_safe(&r.to_string()));
                }
                for n in &report.notes {
                    eprintln!("note: {}", terminal_safe(&n.to_string()));
                }
                for d in &report.duplicates {
                    eprintln!("duplicate {}", terminal_safe(&d.to_string()));
                }
                println!("{report}");
                Ok(if report.rejected.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                })
            }
            Command::Generate { articles, out } => {
                let n = generate::generate(articles, &out)?;
                println!("wrote {n} articles to {}", out.join("content").display());
                Ok(ExitCode::SUCCESS)
            }
            Command::Eval {
                what: EvalCommand::Related { corpus, json },
            } => {
                let config = Config::load(&cli.data)?;
                let report = eval_related::related(&corpus, &config.file.similar)?;
                if json {
                    println!("{}", serde_json::to_string(&report)?);
                } else {
                    println!("{report}");
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Eval {
                what: EvalCommand::Threads { corpus, json },
            } => {
                let config = Config::load(&cli.data)?;
                let report = eval::threads(&corpus, &config.file.storylines)?;
                if json {
                    println!("{}", serde_json::to_string(&report)?);
                } else {
                    println!("{report}");
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Storylines { action } => {
                let config = Config::load(&cli.data)?;
                let store = app::open_store(&config).await?;
                storylines(&store, &config, action).await
            }
            Command::Users { action } => {
                let config = Config::load(&cli.data)?;
                let store = app::open_store(&config).await?;
                users(store, action).await
            }
            Command::Digest { action } => {
                let config = Config::load(&cli.data)?;
                let store = app::open_store(&config).await?;
                crate::digest::run(&config, store, action).await
            }
            Command::Forecasts { action } => {
                let config = Config::load(&cli.data)?;
                let store = app::open_store(&config).await?;
                forecasts(&store, action).await
            }
            Command::Bench { what } => {
                let config = Config::load(&cli.data)?;
                let store = app::open_store(&config).await?;
                let json = match what {
                    BenchCommand::Search { queries, rounds } => serde_json::to_string(
                        &bench::search(&store, &config, queries, rounds).await?,
                    )?,
                    BenchCommand::Publish { articles } => {
                        serde_json::to_string(&bench::publish(&store, &config, articles).await?)?
                    }
                    BenchCommand::Newsroom { rounds } => {
                        serde_json::to_string(&bench::newsroom(&store, &config, rounds).await?)?
                    }
                    BenchCommand::Similar => {
                        serde_json::to_string(&bench::similar(&store, &config).await?)?
                    }
                };
                println!("{json}");
                Ok(ExitCode::SUCCESS)
            }
            Command::Backup { out } => {
                let config = Config::load(&cli.data)?;
                let store = app::open_store(&config).await?;
                let manifest = crate::backup::backup(&store, &config, &out).await?;
                println!(
                    "backup written to {}: {}",
                    out.display(),
                    manifest.files.join(", ")
                );
                Ok(ExitCode::SUCCESS)
            }
            Command::Export { out, base_url } => {
                let config = Config::load(&cli.data)?;
                let store = app::open_store(&config).await?;
                let started = std::time::Instant::now();
                let report =
                    crate::export::export(store, &config, &out, base_url.as_deref()).await?;
                println!(
                    "exported {} pages ({} files, {:.1} MB) to {} in {:.1} s, addressed at {}",
                    report.pages,
                    report.files,
                    report.bytes as f64 / 1e6,
                    out.display(),
                    started.elapsed().as_secs_f64(),
                    report.base_url
                );
                if report.base_url == crate::export::LOCAL_BASE_URL {
                    println!(
                        "try it: python3 -m http.server --directory {} 8000",
                        out.display()
                    );
                }
                if report.broken.is_empty() {
                    return Ok(ExitCode::SUCCESS);
                }
                for (address, status, from) in &report.broken {
                    eprintln!("broken link: {address} answered {status} (linked from {from})");
                }
                eprintln!(
                    "{} links lead nowhere; the copy is written without them",
                    report.broken.len()
                );
                Ok(ExitCode::FAILURE)
            }
            Command::MigrateStore { from, to, replace } => {
                let config = Config::load(&cli.data)?;
                let started = std::time::Instant::now();
                let report = crate::migrate_store::migrate(
                    &from,
                    &to,
                    replace,
                    config.file.database.max_connections,
                )
                .await?;
                for (table, rows) in &report.tables {
                    println!("{table:>24}  {rows} rows");
                }
                println!("{report} ({:.1} s)", started.elapsed().as_secs_f64());
                println!(
                    "to serve it, set [database] url in {} (or TRENDWATCH_DATABASE_URL)",
                    cli.data.join(crate::config::CONFIG_FILE).display()
                );
                Ok(ExitCode::SUCCESS)
            }
            Command::Restore { file } => {
                let manifest = crate::backup::restore(&file, &cli.data)?;
                // Opening applies any newer migrations; the search index is rebuilt at the
                // first start.
                let config = Config::load(&cli.data)?;
                app::open_store(&config).await?;
                println!(
                    "restored the backup of {} into {}",
                    manifest.created,
                    cli.data.display()
                );
                Ok(ExitCode::SUCCESS)
            }
            Command::Reindex => {
                let config = Config::load(&cli.data)?;
                let store = app::open_store(&config).await?;
                let dir = search_index::index_dir(&config.data_dir);
                let index = std::sync::Arc::new(trendwatch_search::SearchIndex::open(&dir)?);
                let n = search_index::reindex(&store, &index).await?;
                println!("search index rebuilt: {n} articles in {}", dir.display());
                Ok(ExitCode::SUCCESS)
            }
            Command::Similar { action } => {
                let config = Config::load(&cli.data)?;
                let store = app::open_store(&config).await?;
                similar(&store, action).await
            }
            Command::RebuildSimilar => {
                let config = Config::load(&cli.data)?;
                let store = app::open_store(&config).await?;
                let started = std::time::Instant::now();
                derive::rebuild_similar(&store, &config.derivation()).await?;
                println!(
                    "similar articles rebuilt in {:.2} s",
                    started.elapsed().as_secs_f64()
                );
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

async fn bind(addr: SocketAddr, fallback: bool) -> anyhow::Result<TcpListener> {
    match TcpListener::bind(addr).await {
        Ok(l) => Ok(l),
        Err(e) if fallback && e.kind() == std::io::ErrorKind::AddrInUse => {
            eprintln!("{addr} is in use; choosing a free port");
            Ok(TcpListener::bind(SocketAddr::new(addr.ip(), 0)).await?)
        }
        Err(e) => Err(anyhow::anyhow!("cannot listen on {addr}: {e}")),
    }
}

async fn serve(data: &std::path::Path, addr: SocketAddr, demo: bool) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(data)?;
    let store = app::open_store(&config).await?;
    if demo {
        if config.file.site.notice_en.is_empty() {
            config.file.site.notice_en = sample::NOTICE_EN.into();
        }
        if config.file.site.notice_ru.is_empty() {
            config.file.site.notice_ru = sample::NOTICE_RU.into();
        }
        let folder = sample::extract(data)?;
        let options = import::ImportOptions::default();
        let report = import::import_paths(&store, &config, &[folder], &options).await?;
        eprintln!("sample archive: {report}");
        for r in &report.rejected {
            eprintln!("rejected {}", terminal_safe(&r.to_string()));
        }
    }
    let listener = bind(addr, demo).await?;
    let running = app::start(listener, store, &config).await?;
    println!(
        "Trendwatch is running at {}/en/ (Русская версия: {}/ru/) — press Ctrl-C to stop",
        running.url(),
        running.url()
    );
    running.wait().await?;
    Ok(ExitCode::SUCCESS)
}

async fn article_id(
    store: &std::sync::Arc<dyn trendwatch_store::Store>,
    name: &str,
) -> anyhow::Result<i64> {
    let (lang, slug) = name.split_once('/').ok_or_else(|| {
        anyhow::anyhow!("article {name:?}: expected <lang>/<slug>, e.g. en/gas-price-talks-drag-on")
    })?;
    let lang: trendwatch_core::Language = lang.parse()?;
    let article = store
        .article(lang, slug)
        .await?
        .ok_or_else(|| anyhow::anyhow!("article {name:?} does not exist"))?;
    Ok(article.id)
}

async fn similar(
    store: &std::sync::Arc<dyn trendwatch_store::Store>,
    action: SimilarCommand,
) -> anyhow::Result<ExitCode> {
    use trendwatch_core::article::RelatedOverride;
    let (article, related, kind, verb) = match action {
        SimilarCommand::Show { article } => {
            let (lang, slug) = article.split_once('/').unwrap_or(("", ""));
            let lang: trendwatch_core::Language = lang.parse()?;
            let a = store
                .article(lang, slug)
                .await?
                .ok_or_else(|| anyhow::anyhow!("article {article:?} does not exist"))?;
            for s in store.similar(&a, 5).await? {
                println!(
                    "{}",
                    terminal_safe(&format!("{}/{}\t{}", s.lang.code(), s.slug, s.title))
                );
            }
            for (id, kind) in store.related_overrides(a.id).await? {
                println!("{}\tarticle id {id}", kind.code());
            }
            return Ok(ExitCode::SUCCESS);
        }
        SimilarCommand::Pin { article, related } => {
            (article, related, Some(RelatedOverride::Pin), "pinned")
        }
        SimilarCommand::Exclude { article, related } => {
            (article, related, Some(RelatedOverride::Exclude), "excluded")
        }
        SimilarCommand::Clear { article, related } => (article, related, None, "cleared"),
    };
    let (a, r) = (
        article_id(store, &article).await?,
        article_id(store, &related).await?,
    );
    store.set_related_override(a, r, kind).await?;
    println!("{related} {verb} under {article}");
    Ok(ExitCode::SUCCESS)
}

async fn users(
    store: std::sync::Arc<dyn trendwatch_store::Store>,
    action: UserCommand,
) -> anyhow::Result<ExitCode> {
    use trendwatch_service::accounts::{Accounts, SessionLimits};
    match action {
        UserCommand::Add {
            email,
            role,
            name,
            password_stdin,
        } => {
            let role: trendwatch_core::accounts::Role = role
                .parse()
                .map_err(|e: String| anyhow::anyhow!("--role: {e}"))?;
            let password = read_password(password_stdin)?;
            let accounts = Accounts::new(store, SessionLimits::default());
            let id = accounts
                .add_user(
                    &email,
                    &name,
                    role,
                    &password,
                    time::OffsetDateTime::now_utc(),
                )
                .await?;
            println!(
                "account {id} created: {} ({role})",
                email.trim().to_lowercase()
            );
        }
        UserCommand::List => {
            for u in store.users().await? {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    u.id,
                    terminal_safe(&u.email),
                    u.role,
                    terminal_safe(&u.name),
                    if u.disabled { "\tdisabled" } else { "" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The new password: the first line of standard input with `--password-stdin`, otherwise
/// asked twice on the terminal without echo.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    use std::io::BufRead;
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_string());
    }
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "no terminal to ask for the password on: pass --password-stdin and give it on standard input"
    );
    let first = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Again: ")?;
    anyhow::ensure!(first == again, "the two passwords differ");
    Ok(first)
}

async fn storylines(
    store: &std::sync::Arc<dyn trendwatch_store::Store>,
    config: &Config,
    action: StorylineCommand,
) -> anyhow::Result<ExitCode> {
    // Editors' decisions go through the publish path, which refreshes the similar lists
    // they change; it reads the search index for candidates when one can be opened (a
    // running site may hold its writer), and otherwise rebuilds every list.
    let search = trendwatch_search::SearchIndex::open(&search_index::index_dir(&config.data_dir))
        .map_err(|e| tracing::warn!(error = %e, "search index unavailable; similar lists will be rebuilt"))
        .ok()
        .map(std::sync::Arc::new);
    let publisher = trendwatch_service::Publisher::new(store.clone(), search, config.derivation());
    match action {
        StorylineCommand::List { lang, limit } => {
            let lang: trendwatch_core::Language = lang.parse()?;
            for s in store.recent_storylines(lang, limit).await? {
                println!("{}", storyline_line(&s));
            }
        }
        StorylineCommand::Rename { id, title } => {
            publisher.rename_storyline(id, Some(title)).await?;
            println!("storyline {id} renamed");
        }
        StorylineCommand::Merge { from, into } => {
            publisher.merge_storylines(from, into).await?;
            println!("storyline {from} merged into {into}");
        }
        StorylineCommand::Move { article, to } => {
            let id = article_id(store, &article).await?;
            let now = publisher.move_article(id, to).await?;
            println!("{article} is now in storyline {now}");
        }
        StorylineCommand::Split { id, from } => {
            let article = article_id(store, &from).await?;
            let new = publisher.split_storyline(id, article).await?;
            println!("storyline {id} split: {from} and later articles are now in storyline {new}");
        }
        StorylineCommand::Thread => {
            let n = derive::thread_storylines(store, &config.derivation()).await?;
            println!("{n} articles threaded");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One storyline as a line of `storylines list`. Content passes through
/// [`terminal_safe`]: a title holding escape sequences must not drive the terminal.
pub fn storyline_line(s: &trendwatch_core::storyline::StorylineSummary) -> String {
    terminal_safe(&format!(
        "{:>6}  {} – {}  {:>3} articles  {:<9}  {}",
        s.id,
        s.first,
        s.last,
        s.articles,
        s.latest_status.code(),
        s.title
    ))
}

/// One forecast as a line of `forecasts list` and `forecasts overdue`, terminal-safe.
pub fn forecast_line(e: &trendwatch_core::forecast::ForecastEntry) -> String {
    terminal_safe(&format!(
        "{:>6}  {}  {:>4.0}%  {:<14}  {}/{}  {}",
        e.forecast.id,
        e.forecast.resolve_by,
        e.forecast.probability * 100.0,
        e.forecast.outcome.map(|o| o.code()).unwrap_or("open"),
        e.article.lang,
        e.article.slug,
        e.forecast.statement
    ))
}

fn print_forecast(e: &trendwatch_core::forecast::ForecastEntry) {
    println!("{}", forecast_line(e));
}

async fn forecasts(
    store: &std::sync::Arc<dyn trendwatch_store::Store>,
    action: ForecastCommand,
) -> anyhow::Result<ExitCode> {
    match action {
        ForecastCommand::List { lang } => {
            for e in store.forecasts(lang.parse()?, None, None).await? {
                print_forecast(&e);
            }
        }
        ForecastCommand::Overdue { today } => {
            let today = match today {
                Some(d) => time::Date::parse(
                    &d,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map_err(|_| {
                    anyhow::anyhow!("--today {d:?}: expected a date such as 2026-11-27")
                })?,
                None => time::OffsetDateTime::now_utc().date(),
            };
            let overdue = store.overdue_forecasts(today).await?;
            for e in &overdue {
                print_forecast(e);
            }
            println!("{} overdue forecasts", overdue.len());
        }
        ForecastCommand::Resolve { id, outcome } => {
            let outcome: trendwatch_core::forecast::Outcome = outcome.parse()?;
            store.resolve_forecast(id, outcome).await?;
            println!("forecast {id} resolved: {}", outcome.code());
        }
    }
    Ok(ExitCode::SUCCESS)
}
