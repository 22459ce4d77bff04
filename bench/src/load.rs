//! The load: for each measured page, concurrent signed-in HTTP clients requesting random
//! URLs of that page for a fixed time after a warm-up; latencies become percentiles.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reloop::web::identity::SESSION_COOKIE;

use crate::BenchArgs;
use crate::fleet::Fleet;

pub struct PageResult {
    pub name: &'static str,
    pub count: usize,
    pub errors: usize,
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// What one request of a page looks like, given a random source.
type UrlFn = Arc<dyn Fn(&mut StdRng) -> String + Send + Sync>;

/// Measures every page in turn against the server at `base`.
pub async fn run(args: &BenchArgs, base: &str, fleet: &Fleet) -> anyhow::Result<Vec<PageResult>> {
    let kinds = ["server", "dimm", "cpu", "nvme"];
    let states = ["deployed", "in_stock", "redeployed", "retired"];
    let sites: Arc<Vec<String>> = Arc::new(fleet.sites.iter().map(|s| s.to_string()).collect());
    let models: Arc<Vec<String>> = Arc::new(fleet.models.iter().map(|m| m.to_string()).collect());
    let sample: Arc<Vec<String>> = Arc::new(fleet.sample.iter().map(|a| a.to_string()).collect());
    let tags: Arc<Vec<String>> = Arc::new(fleet.tags.clone());
    let list_ui: UrlFn = {
        let (sites, models) = (sites.clone(), models.clone());
        Arc::new(move |rng: &mut StdRng| match rng.random_range(0..6) {
            0 => "/assets".to_owned(),
            1 => format!("/assets?kind={}", kinds[rng.random_range(0..kinds.len())]),
            2 => format!(
                "/assets?kind={}&state={}",
                kinds[rng.random_range(0..kinds.len())],
                states[rng.random_range(0..states.len())]
            ),
            3 => format!(
                "/assets?site_id={}&state={}",
                sites[rng.random_range(0..sites.len())],
                states[rng.random_range(0..states.len())]
            ),
            4 => format!("/assets?model_id={}", models[rng.random_range(0..models.len())]),
            _ => format!("/assets?state={}&kind=server", states[rng.random_range(0..states.len())]),
        })
    };
    let search_ui: UrlFn = {
        let tags = tags.clone();
        Arc::new(move |rng: &mut StdRng| {
            let t = &tags[rng.random_range(0..tags.len().max(1)) % tags.len().max(1)];
            format!("/assets?q={}", &t[..t.len().min(7 + rng.random_range(0..4))])
        })
    };
    let list_api: UrlFn = Arc::new(move |rng: &mut StdRng| {
        format!(
            "/api/v1/assets?kind={}&state={}",
            kinds[rng.random_range(0..kinds.len())],
            states[rng.random_range(0..states.len())]
        )
    });
    let asset_ui: UrlFn = {
        let sample = sample.clone();
        Arc::new(move |rng: &mut StdRng| format!("/assets/{}", sample[rng.random_range(0..sample.len())]))
    };
    let asset_api: UrlFn = {
        let sample = sample.clone();
        Arc::new(move |rng: &mut StdRng| format!("/api/v1/assets/{}", sample[rng.random_range(0..sample.len())]))
    };
    let mut out = Vec::new();
    for (name, f) in [
        ("list page (UI, filters)", list_ui),
        ("list page (UI, tag search)", search_ui),
        ("list page (API)", list_api),
        ("asset page (UI)", asset_ui),
        ("asset detail (API)", asset_api),
    ] {
        if name.contains("search") && tags.is_empty() {
            continue;
        }
        let page = hammer(name, base, fleet, f, args.clients, Duration::from_secs(args.seconds))
            .await
            .with_context(|| format!("loading {name}"))?;
        out.push(page);
    }
    Ok(out)
}

/// `clients` concurrent clients request `url`s for 1 s of warm-up plus `dur`.
async fn hammer(
    name: &'static str,
    base: &str,
    fleet: &Fleet,
    url: UrlFn,
    clients: usize,
    dur: Duration,
) -> anyhow::Result<PageResult> {
    let mut headers = reqwest::header::HeaderMap::new();
    if name.contains("API") {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", fleet.token).parse().context("the bearer token as a header")?,
        );
    } else {
        headers.insert(
            reqwest::header::COOKIE,
            format!("{SESSION_COOKIE}={}", fleet.cookie).parse().context("the session cookie as a header")?,
        );
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the HTTP client")?;
    // A short warm-up fills caches and the connection pool.
    let warm = Instant::now() + Duration::from_secs(1);
    let until = warm + dur;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, url, base) = (client.clone(), url.clone(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(1000 + c as u64);
            let mut lat = Vec::new();
            let mut errors = 0usize;
            loop {
                let t0 = Instant::now();
                if t0 >= until {
                    break;
                }
                let ok = match client.get(format!("{base}{}", url(&mut rng))).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if t0 >= warm {
                    lat.push(t0.elapsed().as_micros() as u32);
                    if !ok {
                        errors += 1;
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.context("a load client failed")?;
        all.extend(lat);
        errors += e;
    }
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).map_or(0.0, |v| *v as f64 / 1000.0)
    };
    let secs = dur.as_secs_f64();
    eprintln!("  {name}: {} requests", all.len());
    Ok(PageResult {
        name,
        count: all.len(),
        errors,
        rate: all.len() as f64 / secs,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    })
}
