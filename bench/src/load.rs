//! The load: for each measured page, concurrent signed-in HTTP clients requesting random
//! URLs of that page (or saving parts at the harvest bench) for a fixed time after a
//! warm-up; latencies become percentiles.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reloop::web::identity::SESSION_COOKIE;

use crate::BenchArgs;
use crate::donors::{Donor, DonorPart};
use crate::fleet::Fleet;

pub struct PageResult {
    pub name: &'static str,
    pub count: usize,
    pub errors: usize,
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// What one GET of a page looks like, given a random source.
type UrlFn = Arc<dyn Fn(&mut StdRng) -> String + Send + Sync>;

/// One request and the status that means it worked.
pub struct Req {
    path: String,
    /// A POST body and its content type; none for a GET.
    body: Option<(&'static str, String)>,
    /// The status expected; none: any 2xx.
    expect: Option<u16>,
}

/// One client's requests, in turn; `None` when it has nothing left to ask (it stops).
type ClientReqs = Box<dyn FnMut(&mut StdRng) -> Option<Req> + Send>;
/// A page: what each of its clients asks.
type PageLoad = Arc<dyn Fn() -> ClientReqs + Send + Sync>;

/// A page of GETs of random URLs.
fn gets(url: UrlFn) -> PageLoad {
    Arc::new(move || {
        let url = url.clone();
        Box::new(move |rng: &mut StdRng| Some(Req { path: url(rng), body: None, expect: None }))
    })
}

/// The donors' unrecorded parts, each handed out once, so every save is a first-time
/// recording. A client takes a whole job (as a technician works through one server) and
/// records its parts in turn, then takes the next; a client that stops hands back the parts
/// it did not get to.
pub struct Saves {
    jobs: Mutex<VecDeque<Donor>>,
}

impl Saves {
    pub fn new(donors: &[Donor]) -> Saves {
        Saves { jobs: Mutex::new(donors.iter().cloned().collect()) }
    }

    fn take(&self) -> Option<Donor> {
        self.jobs.lock().ok()?.pop_front()
    }

    fn give_back(&self, d: Donor) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.push_front(d);
        }
    }

    /// Parts not yet handed out.
    pub fn left(&self) -> usize {
        self.jobs.lock().map(|j| j.iter().map(|d| d.parts.len()).sum()).unwrap_or(0)
    }
}

/// One client's current job and how far it got.
struct SaveClient {
    saves: Arc<Saves>,
    current: Option<Donor>,
    next: usize,
}

impl SaveClient {
    fn next_part(&mut self) -> Option<(reloop::ids::JobId, DonorPart)> {
        while self.current.as_ref().is_none_or(|d| self.next >= d.parts.len()) {
            self.current = Some(self.saves.take()?);
            self.next = 0;
        }
        let d = self.current.as_ref()?;
        let part = d.parts.get(self.next)?.clone();
        self.next += 1;
        Some((d.job, part))
    }
}

impl Drop for SaveClient {
    fn drop(&mut self) {
        if let Some(mut d) = self.current.take()
            && self.next < d.parts.len()
        {
            d.parts.drain(..self.next);
            self.saves.give_back(d);
        }
    }
}

/// Saving parts at the bench, through the UI form (303 to the sheet) or the API (200).
fn saves(saves: &Arc<Saves>, csrf: &str, api: bool) -> PageLoad {
    let (saves, csrf) = (saves.clone(), csrf.to_owned());
    Arc::new(move || {
        let mut c = SaveClient { saves: saves.clone(), current: None, next: 0 };
        let csrf = csrf.clone();
        Box::new(move |_: &mut StdRng| {
            let (job, p) = c.next_part()?;
            let (serial, dest) = (form_value(&p.serial), p.destination.as_str());
            Some(if api {
                Req {
                    path: format!("/api/v1/dismantle-jobs/{job}/parts"),
                    body: Some((
                        "application/json",
                        format!(r#"{{"code":"{serial}","test_result":"passed","destination":"{dest}"}}"#),
                    )),
                    expect: Some(200),
                }
            } else {
                Req {
                    path: format!("/dismantle/{job}/parts"),
                    body: Some((
                        "application/x-www-form-urlencoded",
                        format!("csrf_token={}&code={serial}&test_result=passed&destination={dest}", form_value(&csrf)),
                    )),
                    expect: Some(303),
                }
            })
        })
    })
}

/// A value the bench generates (hex, letters, digits, `-`) as it goes into a form or JSON
/// string unescaped; anything else would be a bench bug, so it is dropped visibly.
fn form_value(v: &str) -> String {
    v.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}

/// Measures every page in turn against the server at `base`.
pub async fn run(args: &BenchArgs, base: &str, fleet: &Fleet, donors: &[Donor]) -> anyhow::Result<Vec<PageResult>> {
    let kinds = ["server", "dimm", "cpu", "nvme"];
    let states = ["deployed", "in_stock", "redeployed", "retired"];
    let sites: Arc<Vec<String>> = Arc::new(fleet.sites.iter().map(|s| s.to_string()).collect());
    // The fleet's own models (not the replacement models the policy names, which no item uses).
    let models: Arc<Vec<String>> = Arc::new(fleet.models.iter().take(7).map(|m| m.to_string()).collect());
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
    // Word and infix search (the search index) and the other orders: a serial fragment from
    // the middle (about ten items), a manufacturer and model word (dense: half the servers),
    // a model fragment among top-level items, a two-letter prefix, a top-level page by tag.
    let servers = args.servers.max(1);
    let search_api: UrlFn = Arc::new(move |rng: &mut StdRng| match rng.random_range(0..5) {
        0 => format!("/api/v1/assets?q={}", &format!("{:08X}", rng.random_range(0..servers))[2..7]),
        1 => "/api/v1/assets?q=benchco%20s-2u&include_parts=false&sort=updated_desc".to_owned(),
        2 => "/api/v1/assets?q=m-64&include_parts=false".to_owned(),
        3 => "/api/v1/assets?q=sv&sort=oldest".to_owned(),
        _ => "/api/v1/assets?include_parts=false&sort=tag_asc".to_owned(),
    });
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
    let jobs: Arc<Vec<String>> = Arc::new(donors.iter().map(|d| d.job.to_string()).collect());
    let sheet_ui: UrlFn = {
        let jobs = jobs.clone();
        Arc::new(move |rng: &mut StdRng| format!("/dismantle/{}", jobs[rng.random_range(0..jobs.len())]))
    };
    let sheet_api: UrlFn = {
        let jobs = jobs.clone();
        Arc::new(move |rng: &mut StdRng| format!("/api/v1/dismantle-jobs/{}", jobs[rng.random_range(0..jobs.len())]))
    };
    let dispositions = ["keep_in_place", "redeploy", "parts_donor", "resale", "recycle"];
    let reasons = ["age", "failures", "support_ending", "retired"];
    let fleet_query: UrlFn = {
        let (sites, sample) = (sites.clone(), sample.clone());
        Arc::new(move |rng: &mut StdRng| match rng.random_range(0..5) {
            0 => String::new(),
            1 => format!("?disposition={}", dispositions[rng.random_range(0..dispositions.len())]),
            2 => format!("?site={}", sites[rng.random_range(0..sites.len())]),
            3 => format!("?due={}", reasons[rng.random_range(0..reasons.len())]),
            _ => format!("?cursor={}", sample[rng.random_range(0..sample.len())]),
        })
    };
    let fleet_ui: UrlFn = {
        let q = fleet_query.clone();
        Arc::new(move |rng: &mut StdRng| format!("/fleet/due{}", q(rng)))
    };
    let fleet_api: UrlFn = {
        let q = fleet_query.clone();
        Arc::new(move |rng: &mut StdRng| format!("/api/v1/fleet/due{}", q(rng)))
    };
    let servers: Arc<Vec<String>> = Arc::new(fleet.servers.iter().map(|a| a.to_string()).collect());
    let next_life_ui: UrlFn = {
        let servers = servers.clone();
        Arc::new(move |rng: &mut StdRng| format!("/assets/{}/next-life", servers[rng.random_range(0..servers.len())]))
    };
    let next_life_api: UrlFn = {
        let servers = servers.clone();
        Arc::new(move |rng: &mut StdRng| {
            format!("/api/v1/assets/{}/suggestions", servers[rng.random_range(0..servers.len())])
        })
    };
    let parts = Arc::new(Saves::new(donors));
    let mut out = Vec::new();
    // The sheets are read before any part is saved: each lists 100 unrecorded parts.
    let home_ui: UrlFn = Arc::new(|_: &mut StdRng| "/".to_owned());
    let overview_api: UrlFn = Arc::new(|_: &mut StdRng| "/api/v1/overview".to_owned());
    for (name, f) in [
        ("home page (UI, fleet overview)", gets(home_ui)),
        ("fleet overview (API)", gets(overview_api)),
        ("list page (UI, filters)", gets(list_ui)),
        ("list page (UI, tag search)", gets(search_ui)),
        ("list page (API)", gets(list_api)),
        ("list page (API, word search and orders)", gets(search_api)),
        ("asset page (UI)", gets(asset_ui)),
        ("asset detail (API)", gets(asset_api)),
        ("fleet view (UI)", gets(fleet_ui)),
        ("fleet view (API)", gets(fleet_api)),
        ("next life of a server (UI)", gets(next_life_ui)),
        ("next life of a server (API)", gets(next_life_api)),
        ("bench page (UI)", gets(sheet_ui)),
        ("bench sheet (API)", gets(sheet_api)),
        ("save a part (UI)", saves(&parts, &fleet.csrf, false)),
        ("save a part (API)", saves(&parts, &fleet.csrf, true)),
    ] {
        // Without donors (`--donors 0`) the bench measures the fleet's pages alone.
        let harvest = name.contains("bench") || name.starts_with("save");
        if (name.contains("search") && tags.is_empty()) || (harvest && jobs.is_empty()) {
            continue;
        }
        let page = hammer(name, base, fleet, f, args.clients, Duration::from_secs(args.seconds))
            .await
            .with_context(|| format!("loading {name}"))?;
        out.push(page);
        if name.starts_with("save") {
            eprintln!("  {} donor parts left unrecorded", parts.left());
        }
    }
    Ok(out)
}

/// `clients` concurrent clients make `load`'s requests for 1 s of warm-up plus `dur`. A
/// request fails if it gets another status than expected (or its body cannot be read); the
/// first failure is printed. A client that runs out of requests stops, counted as a failure.
async fn hammer(
    name: &'static str,
    base: &str,
    fleet: &Fleet,
    load: PageLoad,
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
    let first_error: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, base, first_error) = (client.clone(), base.to_owned(), first_error.clone());
        let mut reqs = load();
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(1000 + c as u64);
            let mut lat = Vec::new();
            let mut errors = 0usize;
            loop {
                let t0 = Instant::now();
                if t0 >= until {
                    break;
                }
                let Some(req) = reqs(&mut rng) else {
                    errors += 1;
                    note_error(
                        &first_error,
                        "a client ran out of requests (too few donor parts: raise --donors)".into(),
                    );
                    break;
                };
                let url = format!("{base}{}", req.path);
                let sent = match req.body {
                    None => client.get(&url).send().await,
                    Some((ct, body)) => {
                        client.post(&url).header(reqwest::header::CONTENT_TYPE, ct).body(body).send().await
                    }
                };
                let failure = match sent {
                    Ok(r) => {
                        let status = r.status();
                        let body = r.bytes().await;
                        let good = req.expect.map_or(status.is_success(), |e| status.as_u16() == e);
                        match body {
                            Ok(_) if good => None,
                            Ok(b) => Some(format!("{status} from {url}: {}", snippet(&b))),
                            Err(e) => Some(format!("{status} from {url}, body unreadable: {e}")),
                        }
                    }
                    Err(e) => Some(format!("{url}: {e}")),
                };
                if t0 >= warm {
                    lat.push(t0.elapsed().as_micros() as u32);
                    errors += usize::from(failure.is_some());
                }
                if let Some(f) = failure {
                    note_error(&first_error, f);
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
    if let Some(e) = first_error.lock().ok().and_then(|e| e.clone()) {
        eprintln!("  {name}: first error: {e}");
    }
    Ok(PageResult {
        name,
        count: all.len(),
        errors,
        rate: all.len() as f64 / secs,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    })
}

/// Keeps the first failure of a page, to print.
fn note_error(first: &Mutex<Option<String>>, what: String) {
    if let Ok(mut f) = first.lock()
        && f.is_none()
    {
        *f = Some(what);
    }
}

/// The start of a response body as text: for a page, the text of its main region (where a
/// refusal shows), without tags.
fn snippet(body: &[u8]) -> String {
    let raw = String::from_utf8_lossy(body);
    let from = raw.find("<main").unwrap_or(0);
    let mut text = String::new();
    let mut in_tag = false;
    for c in raw[from..].chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(600) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}
