//! `trendwatch.toml`: the optional configuration file in the data directory. Unknown keys are
//! errors, so a typo never silently falls back to a default.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use trendwatch_core::related::RelatedConfig;
use trendwatch_web::SiteConfig;

/// File name of the configuration inside the data directory.
pub const CONFIG_FILE: &str = "trendwatch.toml";

/// The whole configuration file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// The public site (`[site]`, with `[[site.topics]]`).
    pub site: SiteConfig,
    /// Similar articles (`[similar]`): the engine's weights.
    pub similar: RelatedConfig,
    /// Storyline threading (`[storylines]`).
    pub storylines: trendwatch_core::threading::ThreadingConfig,
    /// The editors' JSON API (`[api]`).
    pub api: ApiConfig,
    /// The HTTP server's bounds: timeouts, open connections, shutdown deadline.
    pub server: trendwatch_web::server::ServerLimits,
    /// Sending e-mail (`[mail]`): the weekly digest, confirmations, invitations.
    pub mail: trendwatch_service::mailer::MailSettings,
    /// Importing (`[import]`): how a WordPress export's categories map to topics.
    pub import: ImportConfig,
    /// Prometheus metrics (`[metrics]`).
    pub metrics: MetricsConfig,
    /// Where the archive is kept (`[database]`): the embedded SQLite file unless a
    /// PostgreSQL URL is given.
    pub database: DatabaseConfig,
}

/// The environment variable that names a PostgreSQL database, overriding `[database] url`
/// (keeps the password out of the file).
pub const DATABASE_URL_ENV: &str = "TRENDWATCH_DATABASE_URL";

/// The `[database]` section. Without `url` (and without `TRENDWATCH_DATABASE_URL`) the
/// archive is the SQLite file in the data directory, and the other keys do not apply.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://user:password@host:port/database`: several web nodes can share it.
    pub url: Option<String>,
    /// Most connections one process opens to PostgreSQL.
    pub max_connections: u32,
    /// Seconds a request waits for a free connection before it fails (and the site answers
    /// 503).
    pub acquire_timeout_secs: u64,
}

impl Default for DatabaseConfig {
    fn default() -> DatabaseConfig {
        DatabaseConfig {
            url: None,
            max_connections: 16,
            acquire_timeout_secs: 5,
        }
    }
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never print it.
        f.debug_struct("DatabaseConfig")
            .field("url", &self.url.as_ref().map(|_| "<set>"))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout_secs", &self.acquire_timeout_secs)
            .finish()
    }
}

/// Whether `url` names a PostgreSQL database.
fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The `[metrics]` section: where `/metrics` is served. Without either key it is not.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve `/metrics` on a listener of its own (`127.0.0.1:9100`), off the public one.
    pub listen: Option<std::net::SocketAddr>,
    /// Serve `/metrics` on the public listener to `Authorization: Bearer <token>` (at least
    /// 32 characters); `TRENDWATCH_METRICS_TOKEN` overrides it.
    pub token: Option<String>,
}

impl std::fmt::Debug for MetricsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("MetricsConfig")
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// The `[import]` section.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportConfig {
    /// A WordPress category (its name or slug, any case) → a topic slug, for categories
    /// whose names are not already a topic's name or alias (`[import.categories]`).
    pub categories: std::collections::BTreeMap<String, String>,
}

/// The editors' JSON API (`[api]`).
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Bearer token that editors' tools send; the API is off without one. The environment
    /// variable `TRENDWATCH_API_TOKEN` overrides it (keeps the secret out of the file).
    pub token: Option<String>,
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("ApiConfig")
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// Everything a running Trendwatch needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the database and configuration live.
    pub data_dir: PathBuf,
    /// Settings from `trendwatch.toml`, or the defaults.
    pub file: FileConfig,
}

impl Config {
    /// The PostgreSQL database the archive lives in, if any: `TRENDWATCH_DATABASE_URL`, else
    /// `[database] url`.
    pub fn database_url(&self) -> Option<String> {
        std::env::var(DATABASE_URL_ENV)
            .ok()
            .filter(|u| !u.trim().is_empty())
            .or_else(|| self.file.database.url.clone())
    }

    /// The newsroom of this configuration's topics and office time zone, writing through a
    /// publisher on `store` (and `index`, when given), for commands that work outside the
    /// running site (imports of drafts, benchmarks).
    pub fn newsroom(
        &self,
        store: &std::sync::Arc<dyn trendwatch_store::Store>,
        index: Option<std::sync::Arc<trendwatch_search::SearchIndex>>,
    ) -> anyhow::Result<trendwatch_service::newsroom::Newsroom> {
        let zone = trendwatch_web::public_address::PublicAddress::of_site(
            &self.file.site,
            "http://localhost",
        )
        .map_err(anyhow::Error::msg)?
        .zone()
        .clone();
        let publisher = std::sync::Arc::new(trendwatch_service::Publisher::new(
            store.clone(),
            index,
            self.derivation(),
        ));
        Ok(trendwatch_service::newsroom::Newsroom::new(
            store.clone(),
            publisher,
            self.file.site.topics.clone(),
            zone,
        ))
    }

    /// The mailer of `[mail]`, or `None` when no host is set. The password may come from
    /// `TRENDWATCH_SMTP_PASSWORD` instead of the file.
    pub fn mailer(
        &self,
    ) -> anyhow::Result<Option<std::sync::Arc<dyn trendwatch_service::mailer::Mailer>>> {
        let password = std::env::var("TRENDWATCH_SMTP_PASSWORD").ok();
        let mailer =
            trendwatch_service::mailer::SmtpMailer::from_settings(&self.file.mail, password)
                .map_err(|e| {
                    anyhow::anyhow!("{}: {e}", self.data_dir.join(CONFIG_FILE).display())
                })?;
        Ok(mailer.map(|m| {
            std::sync::Arc::new(m) as std::sync::Arc<dyn trendwatch_service::mailer::Mailer>
        }))
    }

    /// The settings that derived work (storylines, similar lists) follows.
    pub fn derivation(&self) -> trendwatch_service::Settings {
        trendwatch_service::Settings {
            similar: self.file.similar.clone(),
            storylines: self.file.storylines.clone(),
        }
    }

    /// Reads `trendwatch.toml` from `data_dir` if it exists; defaults otherwise.
    pub fn load(data_dir: &Path) -> anyhow::Result<Config> {
        let path = data_dir.join(CONFIG_FILE);
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .with_context(|| format!("{}: invalid configuration", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        trendwatch_web::public_address::PublicAddress::of_site(&file.site, "http://localhost")
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        for (category, topic) in &file.import.categories {
            anyhow::ensure!(
                file.site.topics.by_slug(topic).is_some(),
                "{}: [import.categories] {category:?} = {topic:?}: expected a topic slug, one of {}",
                path.display(),
                file.site.topics.slugs()
            );
        }
        if file.mail.host.is_some() {
            file.mail
                .check()
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
        if let Some(url) = &file.database.url {
            anyhow::ensure!(
                is_postgres_url(url),
                "{}: [database] url: expected postgres://user:password@host:port/database \
                 (leave it out for the embedded SQLite archive)",
                path.display()
            );
            anyhow::ensure!(
                file.database.max_connections >= 1,
                "{}: [database] max_connections: expected at least 1",
                path.display()
            );
        }
        if let Ok(url) = std::env::var(DATABASE_URL_ENV) {
            anyhow::ensure!(
                url.trim().is_empty() || is_postgres_url(&url),
                "{DATABASE_URL_ENV}: expected postgres://user:password@host:port/database"
            );
        }
        file.site
            .desk_deadline
            .parse::<trendwatch_core::newsroom::Deadline>()
            .map_err(|e| anyhow::anyhow!("{}: [site] {e}", path.display()))?;
        Ok(Config {
            data_dir: data_dir.to_path_buf(),
            file,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(CONFIG_FILE), "[site]\nnmae_en = \"x\"\n").expect("write");
        let err = format!("{:#}", Config::load(dir.path()).expect_err("typo rejected"));
        assert!(
            err.contains("trendwatch.toml") && err.contains("nmae_en"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_base_url_or_time_zone_names_the_file_and_setting() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (text, want) in [
            ("[site]\nbase_url = \"monitor.example.org\"\n", "base_url"),
            ("[site]\ntime_zone = \"Mars/Olympus\"\n", "time_zone"),
            ("[site]\ndesk_deadline = \"Monday noon\"\n", "desk_deadline"),
            (
                "[mail]\nhost = \"127.0.0.1\"\nfrom = \"not an address\"\n",
                "[mail] from",
            ),
            (
                "[mail]\nhost = \"127.0.0.1\"\nper_second = 0\n",
                "per_second",
            ),
        ] {
            std::fs::write(dir.path().join(CONFIG_FILE), text).expect("write");
            let err = format!("{:#}", Config::load(dir.path()).expect_err(text));
            assert!(
                err.contains("trendwatch.toml") && err.contains(want),
                "{err}"
            );
        }
    }

    #[test]
    fn partial_file_keeps_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "[site]\nname_en = \"Arvenia Monitor\"\n",
        )
        .expect("write");
        let c = Config::load(dir.path()).expect("valid");
        assert_eq!(c.file.site.name_en, "Arvenia Monitor");
        assert_eq!(c.file.site.topics.0.len(), 5);
    }
}
