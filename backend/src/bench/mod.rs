//! The benchmark (filled in below).
use crate::settings::Settings;
#[derive(clap::Args, Debug)]
pub struct BenchArgs {}
pub async fn run(_args: BenchArgs, _settings: &Settings) -> anyhow::Result<()> {
    Ok(())
}
