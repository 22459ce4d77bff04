//! `reloop backup FILE` and `reloop restore FILE`: the terminal side of [`crate::backup`]
//! (a progress bar on a terminal, one summary line on standard output).

use std::path::PathBuf;

use crate::backup::{RestoreOptions, Step};
use crate::db::redact_url;
use crate::settings::Settings;

/// `reloop backup FILE [--force]`.
pub async fn backup(settings: &Settings, file: PathBuf, force: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let bar = StepBar::new();
    let done = crate::backup::backup(&settings.database_url, &file, force, &|s| bar.show(&s)).await;
    bar.finish();
    let b = done?;
    println!(
        "backed up {} to {} ({}, {:.1} MiB, {:.1} s): {}",
        redact_url(&settings.database_url),
        b.path.display(),
        b.format.label(),
        b.bytes as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64(),
        b.contents.summary()
    );
    eprintln!(
        "keep the chain key (RELOOP_CHAIN_KEY or {}) safe apart from this file: a restore verifies the chain with it",
        settings.chain_key_file.display()
    );
    Ok(())
}

/// `reloop restore FILE [--replace]`.
pub async fn restore(settings: &Settings, file: PathBuf, replace: bool) -> anyhow::Result<()> {
    let key = super::chain_key(settings, false)
        .map_err(|e| e.context("a restore verifies the chain with the key the backup was written with"))?;
    let started = std::time::Instant::now();
    let bar = StepBar::new();
    let done =
        crate::backup::restore(&settings.database_url, key, &file, &RestoreOptions { replace }, &|s| bar.show(&s))
            .await;
    bar.finish();
    let r = done?;
    println!(
        "restored {} ({}) into {} in {:.1} s: {}; {}",
        file.display(),
        r.format.label(),
        redact_url(&settings.database_url),
        started.elapsed().as_secs_f64(),
        r.contents.summary(),
        r.report.summary()
    );
    Ok(())
}

/// One progress bar on standard error when it is a terminal, restyled per step.
struct StepBar(Option<indicatif::ProgressBar>, std::sync::Mutex<&'static str>);

impl StepBar {
    fn new() -> StepBar {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| indicatif::ProgressBar::new(0));
        StepBar(bar, std::sync::Mutex::new(""))
    }

    fn show(&self, step: &Step) {
        let Some(bar) = &self.0 else { return };
        let (template, pos, len, msg) = match step {
            Step::Copying { done, total } => {
                ("copying {bar:40} {bytes}/{total_bytes} ({eta})", *done, *total, String::new())
            }
            Step::Table { done, total, name } => ("tables {bar:40} {pos}/{len} {msg}", *done, *total, name.clone()),
            Step::Migrating => ("{msg}", 0, 0, "running the migrations".to_owned()),
            Step::Verifying { done, total } => {
                ("checking the chain {bar:40} {pos}/{len} entries ({eta})", *done as u64, *total as u64, String::new())
            }
        };
        if let Ok(mut current) = self.1.lock()
            && *current != template
        {
            if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            *current = template;
        }
        bar.set_length(len);
        bar.set_position(pos);
        bar.set_message(msg);
    }

    fn finish(self) {
        if let Some(b) = self.0 {
            b.finish_and_clear();
        }
    }
}
