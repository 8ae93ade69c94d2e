//! `trendwatch backup` and `trendwatch restore`: a site's data in one tar file, taken while
//! the site keeps running, and brought back into a new data directory.
//!
//! A backup holds the store's consistent snapshot ([`Store::snapshot`]), the images uploaded
//! from the desk (`uploads/`), the configuration file when there is one, and
//! `MANIFEST.json` (format version, time, what is inside). The search index is not packed:
//! it is derived from the database and rebuilt at the first start after a restore.
//!
//! The uploads are listed after the snapshot is taken. An upload is written (under a
//! temporary name, then renamed) before any article can name it, and is never changed
//! afterwards, so every image the snapshot's articles show is in the backup; one uploaded
//! during the backup may be in it too, unused, which is harmless.

use crate::config::{Config, CONFIG_FILE};
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use trendwatch_store::Store;
use trendwatch_web::uploads;

/// The backup format this build writes and reads.
pub const BACKUP_FORMAT: u32 = 1;
/// The manifest's name inside a backup.
const MANIFEST: &str = "MANIFEST.json";
/// The database inside a backup of a PostgreSQL archive (`pg_dump --format=custom`).
const PG_DUMP: &str = trendwatch_postgres::DUMP_FILE;
/// The folder of uploaded images inside a backup, as inside the data directory.
const UPLOADS: &str = "uploads";

/// The uploaded image an entry of a backup names (`uploads/<name>`), if it is one: only names
/// the upload itself gives are taken, so no entry can point outside the folder.
fn upload_entry(name: &str) -> Option<&str> {
    let file = name.strip_prefix(UPLOADS)?.strip_prefix('/')?;
    uploads::is_upload_name(file).map(|_| file)
}

/// What a backup says about itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// [`BACKUP_FORMAT`] of the build that wrote it.
    pub format: u32,
    /// When it was taken (RFC 3339, UTC).
    pub created: String,
    /// The files it holds besides the manifest.
    pub files: Vec<String>,
}

/// Writes a backup of the site whose store is `store` and whose data directory is
/// `config.data_dir` to `out` (which must not exist yet). Returns its manifest.
pub async fn backup(
    store: &Arc<dyn Store>,
    config: &Config,
    out: &Path,
) -> anyhow::Result<Manifest> {
    if out.exists() {
        bail!(
            "{}: already exists; a backup never overwrites a file",
            out.display()
        );
    }
    // Working files beside the target, removed at the end; the tar is written under a
    // temporary name and renamed, so a failed backup leaves no file that looks complete.
    let with_suffix = |suffix: &str| {
        let mut p = out.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    let snapshot = with_suffix(".snapshot");
    let partial = with_suffix(".partial");
    let result = write_backup(store, config, &snapshot, &partial, out).await;
    let _ = std::fs::remove_file(&snapshot);
    let _ = std::fs::remove_file(&partial);
    result
}

async fn write_backup(
    store: &Arc<dyn Store>,
    config: &Config,
    snapshot: &Path,
    partial: &Path,
    out: &Path,
) -> anyhow::Result<Manifest> {
    let db_name = store.snapshot_file_name();
    store
        .snapshot(snapshot)
        .await
        .context("snapshot of the database")?;
    let mut files = vec![(db_name.to_string(), snapshot.to_path_buf())];
    let config_file = config.data_dir.join(CONFIG_FILE);
    if config_file.is_file() {
        files.push((CONFIG_FILE.to_string(), config_file));
    }
    // After the snapshot (see the module's text); temporary files of uploads under way
    // (`.<name>.tmp`) do not have an upload's name and are left out.
    let upload_dir = uploads::dir(&config.data_dir);
    let mut images: Vec<(String, PathBuf)> = match std::fs::read_dir(&upload_dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                uploads::is_upload_name(&name)?;
                Some((format!("{UPLOADS}/{name}"), e.path()))
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("{}: cannot list the uploads", upload_dir.display())))
        }
    };
    images.sort();
    files.extend(images);
    let manifest = Manifest {
        format: BACKUP_FORMAT,
        created: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        files: files.iter().map(|(n, _)| n.clone()).collect(),
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    {
        let file = std::fs::File::create(partial)
            .with_context(|| format!("{}: cannot write", partial.display()))?;
        let mut tar = tar::Builder::new(file);
        let mut header = tar::Header::new_gnu();
        header.set_size(manifest_bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, MANIFEST, manifest_bytes.as_slice())?;
        for (name, path) in &files {
            tar.append_path_with_name(path, name)
                .with_context(|| format!("adding {name}"))?;
        }
        tar.into_inner()?.sync_all()?;
    }
    std::fs::rename(partial, out)
        .with_context(|| format!("{}: cannot write the backup", out.display()))?;
    Ok(manifest)
}

/// Restores the backup `file` into the data directory `data_dir`, which must not hold an
/// archive yet. Returns the backup's manifest.
pub fn restore(file: &Path, data_dir: &Path) -> anyhow::Result<Manifest> {
    let db = data_dir.join(trendwatch_sqlite::DB_FILE);
    if db.exists() || data_dir.join(CONFIG_FILE).exists() {
        bail!(
            "{}: already holds an archive or a configuration; restore into a new data directory",
            data_dir.display()
        );
    }
    let open =
        || std::fs::File::open(file).with_context(|| format!("{}: cannot open", file.display()));
    // First pass: the manifest, and every entry checked before anything is written.
    let mut manifest: Option<Manifest> = None;
    let mut names: Vec<String> = Vec::new();
    let mut archive = tar::Archive::new(open()?);
    for entry in archive
        .entries()
        .with_context(|| format!("{}: not a Trendwatch backup (tar)", file.display()))?
    {
        let mut entry = entry.with_context(|| format!("{}: damaged", file.display()))?;
        let name = entry.path()?.to_string_lossy().into_owned();
        if name == MANIFEST {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text)?;
            manifest = Some(serde_json::from_str(&text).with_context(|| {
                format!(
                    "{}: {MANIFEST} is not a Trendwatch manifest",
                    file.display()
                )
            })?);
        } else if name == trendwatch_sqlite::DB_FILE
            || name == CONFIG_FILE
            || upload_entry(&name).is_some()
        {
            names.push(name);
        } else if name == PG_DUMP {
            bail!(
                "{}: a backup of a PostgreSQL archive: unpack it (tar -xf) and restore its \
                 {PG_DUMP} into an empty database with `pg_restore --no-owner --dbname URL \
                 {PG_DUMP}`; its {CONFIG_FILE} and {UPLOADS}/ go into the data directory (docs/deployment.md)",
                file.display()
            );
        } else {
            bail!(
                "{}: unexpected entry {name:?}: a backup holds {MANIFEST}, {}, {CONFIG_FILE} \
                 and images under {UPLOADS}/",
                file.display(),
                trendwatch_sqlite::DB_FILE
            );
        }
    }
    let manifest = manifest
        .with_context(|| format!("{}: no {MANIFEST}: not a Trendwatch backup", file.display()))?;
    if manifest.format != BACKUP_FORMAT {
        bail!(
            "{}: backup format {} (this build reads format {BACKUP_FORMAT})",
            file.display(),
            manifest.format
        );
    }
    if !names.iter().any(|n| n == trendwatch_sqlite::DB_FILE) {
        bail!("{}: no database in the backup", file.display());
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("{}: cannot create", data_dir.display()))?;
    // Second pass: every file written under a temporary name; only when all are complete
    // are they renamed, so a failure (a full disk, a cut file) leaves no half-restored
    // archive behind.
    let mut partials: Vec<(PathBuf, PathBuf)> = Vec::new();
    let written = extract(open()?, data_dir, &mut partials);
    if let Err(e) = written {
        for (partial, _) in &partials {
            let _ = std::fs::remove_file(partial);
        }
        return Err(e.context(format!(
            "{}: restore stopped; nothing was restored",
            file.display()
        )));
    }
    for (partial, target) in &partials {
        std::fs::rename(partial, target)?;
    }
    Ok(manifest)
}

/// Writes every file of the backup `tar` (but the manifest) into `data_dir` under a temporary
/// name, recording (temporary, final) names in `partials` as it goes.
fn extract(
    tar: std::fs::File,
    data_dir: &Path,
    partials: &mut Vec<(PathBuf, PathBuf)>,
) -> anyhow::Result<()> {
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        if name == MANIFEST {
            continue;
        }
        // Names were checked in the first pass: the database, the configuration, or an
        // upload's own name under `uploads/`.
        let (dir, file) = match upload_entry(&name) {
            Some(file) => {
                let dir = uploads::dir(data_dir);
                std::fs::create_dir_all(&dir)?;
                (dir, file.to_string())
            }
            None => (data_dir.to_path_buf(), name.clone()),
        };
        let partial = dir.join(format!(".{file}.restoring"));
        partials.push((partial.clone(), dir.join(&file)));
        let mut out = std::fs::File::create(&partial)?;
        std::io::copy(&mut entry, &mut out)?;
        out.sync_all()?;
    }
    Ok(())
}
