//! `trendwatch digest`: sending a week's digest from the command line, and its status. The
//! same newsletter service as the desk's digest page, with the same letters.

use crate::cli::DigestCommand;
use crate::config::Config;
use anyhow::Context;
use std::process::ExitCode;
use std::sync::Arc;
use trendwatch_core::{Language, Period};
use trendwatch_service::newsletter::Newsletter;
use trendwatch_store::Store;
use trendwatch_web::public_address::PublicAddress;

/// The newsletter of a data directory, for commands: refuses without `[mail] host` or
/// `[site] base_url`, since every link in a digest must reach the public site.
pub fn newsletter(config: &Config, store: Arc<dyn Store>) -> anyhow::Result<Newsletter> {
    let file = config.data_dir.join(crate::config::CONFIG_FILE);
    let mailer = config
        .mailer()?
        .with_context(|| format!("{}: [mail] host is not set", file.display()))?;
    let public = PublicAddress::of_site(&config.file.site, "http://localhost")
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    anyhow::ensure!(
        public.is_configured(),
        "{}: [site] base_url is not set; the digest's links need the site's public address",
        file.display()
    );
    let mut site = config.file.site.clone();
    site.base_url = public.base().to_string();
    let letters = trendwatch_web::emails::SiteLetters::new(Arc::new(site), Arc::new(public));
    Ok(Newsletter::new(
        store,
        Some(mailer),
        Arc::new(letters),
        config.file.site.topics.clone(),
        config.file.mail.pace(),
    ))
}

/// Runs one `trendwatch digest` command.
pub async fn run(
    config: &Config,
    store: Arc<dyn Store>,
    action: DigestCommand,
) -> anyhow::Result<ExitCode> {
    match action {
        DigestCommand::Send { week, lang } => {
            let lang: Language = lang
                .parse()
                .map_err(|e| anyhow::anyhow!("--lang {lang:?}: {e}"))?;
            let period: Period = match week {
                Some(w) => w
                    .parse()
                    .map_err(|e| anyhow::anyhow!("--week {w:?}: {e} (expected 2026-W48)"))?,
                None => store
                    .latest_period(lang)
                    .await?
                    .context("the archive has no commentary in this language yet")?,
            };
            let newsletter = newsletter(config, store)?;
            let send = newsletter
                .start(period, lang, None, time::OffsetDateTime::now_utc())
                .await?;
            println!(
                "digest {period} {}: {} recipients, {} left to send",
                lang.code(),
                send.total(),
                send.pending
            );
            let done = newsletter.run(send.id).await?;
            println!(
                "sent {}, refused {}, skipped (no chosen topic that week) {}, interrupted earlier {}",
                done.sent, done.failed, done.skipped, done.interrupted
            );
            Ok(if done.failed > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        DigestCommand::Status => {
            for lang in Language::ALL {
                let (pending, confirmed, left, suppressed) = store.subscriber_counts(lang).await?;
                println!(
                    "{}: {confirmed} confirmed, {pending} waiting for confirmation, {left} unsubscribed, {suppressed} suppressed",
                    lang.code()
                );
            }
            for s in store.digest_sends(20).await? {
                println!(
                    "{}\t{} {}\tsent {}\trefused {}\tskipped {}\tinterrupted {}\tleft {}",
                    s.id,
                    s.period,
                    s.language.code(),
                    s.sent,
                    s.failed,
                    s.skipped,
                    s.interrupted,
                    s.pending
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
