//! The asset list: filters, word and infix search, sort orders and keyset pagination in
//! both directions, fast at a million items.
//!
//! Use: build an [`AssetQuery`] (every field optional) and call [`list`]; it returns an
//! [`AssetPage`] with `next_cursor` (present when more rows follow: pass it back as
//! `cursor`) and `prev_cursor` (present when rows precede: pass it back as `before`).
//! [`AssetQuery::counter_filter`] says whether a maintained counter can count the query.
//!
//! Invariants:
//! - Every page is a keyset page: ordered by its [`AssetSort`] and continued from a cursor
//!   that carries the sort key of the last (or first) row seen. No OFFSET, no COUNT(*).
//! - Every sort has an index: `id` (the primary key: newest and oldest, as ids are UUIDv7),
//!   `tag_key` (unique, so it is a total order by itself) and `(updated_at, id)`. Other
//!   columns (state, model, site) are filters, not sorts: sorting by them would need an
//!   index per filter combination and still tie-break on id.
//! - Every equality filter is served by an index that ends with `id` (see the registry
//!   migration), and the top-level scope (`parent_id IS NULL`) by partial twins of them
//!   and of the sort indexes (the search migration), so a page reads about `limit` index
//!   entries.
//! - Free text is split into words; every word must match somewhere in the item's tag,
//!   serial, manufacturer or catalog model ("dell poweredge r740"), case-insensitively.
//!   Words of three characters or more match anywhere (infix) through the search index
//!   (`asset_search_docs`, kept by triggers: SQLite FTS5 trigram, PostgreSQL pg_trgm);
//!   shorter words, which a trigram index cannot serve, match tags and serials by prefix
//!   and models by substring.
//! - Selective text is resolved to a bounded set of ids first (at most [`TEXT_CAP`]) and
//!   the page is read from that set; text that matches more than [`TEXT_CAP`] items is
//!   dense, so walking the sort's index and checking each row finds a page quickly.
//!   (Known limit: dense text combined with a filter that few of its matches pass walks
//!   that filter's index until a page is found.)

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, BinOper, Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::Asset;
use crate::catalog::{contains_pattern, matching_ids_subquery};
use crate::db::entities::asset;
use crate::error::{AppError, AppResult};
use crate::ids::{ModelId, SiteId};
use crate::rules::{AssetKind, State};
use crate::text;

/// Above this many text matches, a page is found by walking the sort's index instead.
pub const TEXT_CAP: u64 = 10_000;
/// Text matching more catalog models than this is not selective by model.
const MODEL_CAP: u64 = 1000;
pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;
/// At most this many words in `q`.
pub const MAX_WORDS: usize = 8;
/// Words at least this long (in characters) match anywhere through the trigram index.
pub const INFIX_MIN: usize = 3;

/// The orders of the asset list: each has an index, so every page is a keyset page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetSort {
    /// Newest registered first (by id: ids are time-ordered UUIDv7).
    #[default]
    Newest,
    /// Oldest registered first.
    Oldest,
    /// By asset tag, A to Z (case-insensitive).
    TagAsc,
    /// By asset tag, Z to A.
    TagDesc,
    /// Most recently changed first.
    UpdatedDesc,
    /// Least recently changed first.
    UpdatedAsc,
}

/// The column a sort orders by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SortKey {
    Id,
    Tag,
    Updated,
}

impl AssetSort {
    pub const ALL: &'static [AssetSort] = &[
        AssetSort::Newest,
        AssetSort::Oldest,
        AssetSort::TagAsc,
        AssetSort::TagDesc,
        AssetSort::UpdatedDesc,
        AssetSort::UpdatedAsc,
    ];

    /// The spelling in URLs and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetSort::Newest => "newest",
            AssetSort::Oldest => "oldest",
            AssetSort::TagAsc => "tag_asc",
            AssetSort::TagDesc => "tag_desc",
            AssetSort::UpdatedDesc => "updated_desc",
            AssetSort::UpdatedAsc => "updated_asc",
        }
    }

    /// The label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            AssetSort::Newest => "Newest first",
            AssetSort::Oldest => "Oldest first",
            AssetSort::TagAsc => "Tag A–Z",
            AssetSort::TagDesc => "Tag Z–A",
            AssetSort::UpdatedDesc => "Recently changed",
            AssetSort::UpdatedAsc => "Least recently changed",
        }
    }

    fn key(self) -> SortKey {
        match self {
            AssetSort::Newest | AssetSort::Oldest => SortKey::Id,
            AssetSort::TagAsc | AssetSort::TagDesc => SortKey::Tag,
            AssetSort::UpdatedDesc | AssetSort::UpdatedAsc => SortKey::Updated,
        }
    }

    fn descending(self) -> bool {
        matches!(self, AssetSort::Newest | AssetSort::TagDesc | AssetSort::UpdatedDesc)
    }
}

impl std::fmt::Display for AssetSort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AssetSort {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        AssetSort::ALL.iter().copied().find(|o| o.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = AssetSort::ALL.iter().map(|o| o.as_str()).collect();
            format!("must be one of {}", names.join(", "))
        })
    }
}

/// What the asset list shows. Every field is optional; filters combine with AND.
#[derive(Clone, Debug, Default, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssetQuery {
    pub kind: Option<AssetKind>,
    pub state: Option<State>,
    pub site_id: Option<SiteId>,
    pub model_id: Option<ModelId>,
    /// Words, each of which must match the item's tag, serial, manufacturer or catalog
    /// model (case-insensitive; at most 8 words). A word of 3 characters or more matches
    /// anywhere ("740" finds "R740", a serial fragment finds the serial); a shorter word
    /// matches the start of a tag or serial, or anywhere in a model.
    pub q: Option<String>,
    /// Whether installed parts are listed. Absent or `true`: every item (the API's
    /// default); `false`: only top-level items, those not installed in another (the web
    /// list's default).
    pub include_parts: Option<bool>,
    /// The order: `newest` (default), `oldest`, `tag_asc`, `tag_desc`, `updated_desc`,
    /// `updated_asc`. Each is served by an index (id, tag, `updated_at`+id).
    pub sort: Option<AssetSort>,
    /// The next page: a page's `next_cursor`. Cursors belong to their sort order.
    pub cursor: Option<String>,
    /// The previous page: a page's `prev_cursor` (not together with `cursor`).
    pub before: Option<String>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<u64>,
}

/// The filters of a query that maintained counters can count: no text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CounterFilter {
    pub kind: Option<AssetKind>,
    pub state: Option<State>,
    pub site_id: Option<SiteId>,
    pub model_id: Option<ModelId>,
    /// Only items without a parent.
    pub top_level_only: bool,
}

impl AssetQuery {
    pub fn limit(&self) -> AppResult<u64> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        Ok(limit)
    }

    /// Only top-level items (`include_parts=false`).
    pub fn top_level_only(&self) -> bool {
        self.include_parts == Some(false)
    }

    /// The filters as a counter can count them, or `None` when the query has text (a
    /// counter cannot know how many items match words).
    pub fn counter_filter(&self) -> Option<CounterFilter> {
        let has_text = self.q.as_deref().is_some_and(|q| !q.trim().is_empty());
        (!has_text).then_some(CounterFilter {
            kind: self.kind,
            state: self.state,
            site_id: self.site_id,
            model_id: self.model_id,
            top_level_only: self.top_level_only(),
        })
    }

    /// The words of `q`: lower-cased, without repeats (400 naming `q` when too long or too
    /// many).
    pub fn words(&self) -> AppResult<Vec<String>> {
        let key = self.q.as_deref().map(text::key).unwrap_or_default();
        if key.chars().count() > text::NAME_MAX {
            return Err(AppError::invalid("q", format!("must be at most {} characters", text::NAME_MAX)));
        }
        let mut words: Vec<String> = Vec::new();
        for w in key.split_whitespace() {
            if !words.iter().any(|x| x == w) {
                words.push(w.to_owned());
            }
        }
        if words.len() > MAX_WORDS {
            return Err(AppError::invalid("q", format!("must have at most {MAX_WORDS} words")));
        }
        Ok(words)
    }

    /// Where the page starts: after `cursor`, before `before`, or at the start.
    fn position(&self, sort: AssetSort) -> AppResult<Option<(Key, Direction)>> {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned);
        match (given(&self.cursor), given(&self.before)) {
            (Some(_), Some(_)) => Err(AppError::bad_request(Some("before".into()), "cannot be combined with cursor")),
            (Some(c), None) => Ok(Some((Key::parse(&c, sort, "cursor")?, Direction::After))),
            (None, Some(b)) => Ok(Some((Key::parse(&b, sort, "before")?, Direction::Before))),
            (None, None) => Ok(None),
        }
    }
}

/// One page of the asset list.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct AssetPage<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page (so its presence says
    /// whether more rows follow).
    pub next_cursor: Option<String>,
    /// Pass as `before` for the previous page; absent on the first page.
    pub prev_cursor: Option<String>,
}

impl<T> AssetPage<T> {
    /// The same page with every item converted.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<AssetPage<U>, E> {
        Ok(AssetPage {
            items: self.items.into_iter().map(f).collect::<Result<_, E>>()?,
            next_cursor: self.next_cursor,
            prev_cursor: self.prev_cursor,
        })
    }

    /// Whether rows follow this page.
    pub fn more(&self) -> bool {
        self.next_cursor.is_some()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    After,
    Before,
}

/// A position in a sort order: the sort key of a row.
#[derive(Clone, Debug, PartialEq)]
enum Key {
    /// `newest`/`oldest`: the id.
    Id(Uuid),
    /// `tag_*`: the tag key (unique). Written `t.` + hex of its UTF-8 bytes.
    Tag(String),
    /// `updated_*`: the change time and the id. Written `u.` + seconds `.` nanoseconds `.` id.
    Updated(DateTime<Utc>, Uuid),
}

impl Key {
    fn of(sort: AssetSort, row: &asset::Model) -> Key {
        match sort.key() {
            SortKey::Id => Key::Id(row.id),
            SortKey::Tag => Key::Tag(row.tag_key.clone()),
            SortKey::Updated => Key::Updated(row.updated_at, row.id),
        }
    }

    fn encode(&self) -> String {
        match self {
            Key::Id(id) => id.to_string(),
            Key::Tag(t) => format!("t.{}", t.bytes().map(|b| format!("{b:02x}")).collect::<String>()),
            Key::Updated(at, id) => format!("u.{}.{}.{id}", at.timestamp(), at.timestamp_subsec_nanos()),
        }
    }

    /// Reads a cursor of `sort` (400 naming `param` when it is not one).
    fn parse(s: &str, sort: AssetSort, param: &str) -> AppResult<Key> {
        let bad = || AppError::bad_request(Some(param.into()), format!("{param} is not a valid page cursor"));
        let key = if let Some(hex) = s.strip_prefix("t.") {
            if hex.len() % 2 != 0 || !hex.is_ascii() {
                return Err(bad());
            }
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| bad())?;
            Key::Tag(String::from_utf8(bytes).map_err(|_| bad())?)
        } else if let Some(rest) = s.strip_prefix("u.") {
            let mut parts = rest.splitn(3, '.');
            let (Some(secs), Some(nanos), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(bad());
            };
            let at = DateTime::from_timestamp(secs.parse().map_err(|_| bad())?, nanos.parse().map_err(|_| bad())?)
                .ok_or_else(bad)?;
            Key::Updated(at, Uuid::parse_str(id).map_err(|_| bad())?)
        } else {
            Key::Id(Uuid::parse_str(s).map_err(|_| bad())?)
        };
        let fits = matches!(
            (&key, sort.key()),
            (Key::Id(_), SortKey::Id) | (Key::Tag(_), SortKey::Tag) | (Key::Updated(..), SortKey::Updated)
        );
        if !fits {
            return Err(AppError::bad_request(
                Some(param.into()),
                format!("{param} is a page cursor of another order than sort={sort}"),
            ));
        }
        Ok(key)
    }

    /// Rows strictly past this key when walking `descending` or ascending.
    fn past(&self, descending: bool) -> SimpleExpr {
        let cmp = |l: SimpleExpr, r: SimpleExpr| if descending { l.lt(r) } else { l.gt(r) };
        match self {
            Key::Id(id) => cmp(Expr::col((asset::Entity, asset::Column::Id)), Expr::val(*id)),
            Key::Tag(t) => cmp(Expr::col((asset::Entity, asset::Column::TagKey)), Expr::val(t.as_str())),
            Key::Updated(at, id) => cmp(
                Expr::tuple([
                    Expr::col((asset::Entity, asset::Column::UpdatedAt)),
                    Expr::col((asset::Entity, asset::Column::Id)),
                ]),
                Expr::tuple([Expr::val(*at), Expr::val(*id)]),
            ),
        }
    }
}

/// One page of the asset list: see the module documentation for how each part is served.
pub async fn list<C: ConnectionTrait>(conn: &C, query: &AssetQuery) -> AppResult<AssetPage<Asset>> {
    let limit = query.limit()?;
    let sort = query.sort.unwrap_or_default();
    let position = query.position(sort)?;
    let words = query.words()?;
    let backward = matches!(position, Some((_, Direction::Before)));
    // Walking backwards reads the order reversed and turns the rows round afterwards.
    let descending = sort.descending() != backward;

    let mut base = Condition::all();
    if let Some(k) = query.kind {
        base = base.add(asset::Column::Kind.eq(k.as_str()));
    }
    if let Some(s) = query.state {
        base = base.add(asset::Column::State.eq(s.as_str()));
    }
    if let Some(s) = query.site_id {
        base = base.add(asset::Column::SiteId.eq(s.0));
    }
    if let Some(m) = query.model_id {
        base = base.add(asset::Column::ModelId.eq(m.0));
    }
    if query.top_level_only() {
        base = base.add(top_level(conn.get_database_backend(), sort));
    }
    if let Some((key, _)) = &position {
        base = base.add(key.past(descending));
    }

    let (infix, prefix): (Vec<String>, Vec<String>) = words.into_iter().partition(|w| w.chars().count() >= INFIX_MIN);
    let mut short = Vec::with_capacity(prefix.len());
    for w in &prefix {
        // Matching models are resolved first: as a sub-query, PostgreSQL cannot estimate
        // the IN and falls back to a sequential scan of every asset.
        let models = crate::catalog::ids_matching(conn, w, MODEL_CAP).await?;
        let models = (models.len() as u64 <= MODEL_CAP).then_some(models);
        short.push((w.as_str(), models));
    }
    let short_condition = |dense: bool| {
        short.iter().fold(Condition::all(), |c, (w, models)| c.add(text_condition(w, models.as_deref(), dense)))
    };
    let many_models = short.iter().any(|(_, m)| m.is_none());

    let rows = if infix.is_empty() && short.is_empty() {
        walk(conn, base, sort, descending, limit).await?
    } else if !infix.is_empty() {
        let ids = infix_ids(conn, &infix, TEXT_CAP + 1).await?;
        if ids.len() as u64 <= TEXT_CAP {
            // The short words' conditions are written so that no index serves them: the
            // planner keeps to the id list.
            let cond = base.add(asset::Column::Id.is_in(ids)).add(short_condition(true));
            walk(conn, cond, sort, descending, limit).await?
        } else {
            walk(conn, base.add(doc_contains_all(&infix)).add(short_condition(true)), sort, descending, limit).await?
        }
    } else {
        let ids: Vec<Uuid> = if many_models {
            Vec::new()
        } else {
            asset::Entity::find()
                .select_only()
                .column(asset::Column::Id)
                .filter(base.clone().add(short_condition(false)))
                .limit(TEXT_CAP + 1)
                .into_tuple()
                .all(conn)
                .await?
        };
        if !many_models && ids.len() as u64 <= TEXT_CAP {
            walk(conn, base.add(asset::Column::Id.is_in(ids)), sort, descending, limit).await?
        } else {
            walk(conn, base.add(short_condition(true)), sort, descending, limit).await?
        }
    };

    let mut rows = rows;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let key = |r: &asset::Model| Key::of(sort, r).encode();
    let (next_cursor, prev_cursor) = match &position {
        None => (if more { rows.last().map(key) } else { None }, None),
        // A page after a cursor has rows before it: at least the cursor's row.
        Some((at, Direction::After)) => {
            (if more { rows.last().map(key) } else { None }, Some(rows.first().map(key).unwrap_or_else(|| at.encode())))
        }
        Some((_, Direction::Before)) => {
            rows.reverse();
            // The `before` row itself follows this page.
            (rows.last().map(key), if more { rows.first().map(key) } else { None })
        }
    };
    AssetPage { items: rows, next_cursor, prev_cursor }.try_map(Asset::try_from)
}

/// Items without a parent. SQLite's statistics average over every parent, so it takes
/// `parent_id IS NULL` for a handful of rows and, for the tag and change-time orders,
/// reads every top-level item through `(parent_id, id)` and sorts them (2 s at 1M items).
/// There the term is written `+parent_id IS NULL`, which no index serves, so SQLite walks
/// the order's index and checks each row (about one in ten is top-level); the id orders
/// keep the plain term, which `(parent_id, id)` and the partial filter indexes serve in
/// order. PostgreSQL knows the share of NULLs and uses the partial indexes.
fn top_level(backend: DbBackend, sort: AssetSort) -> SimpleExpr {
    match backend {
        DbBackend::Sqlite if sort.key() != SortKey::Id => Expr::cust(r#"+"assets"."parent_id" IS NULL"#),
        _ => Expr::col((asset::Entity, asset::Column::ParentId)).is_null(),
    }
}

/// Up to `limit + 1` rows matching `cond`, in the sort's order (`descending` or not).
async fn walk<C: ConnectionTrait>(
    conn: &C,
    cond: Condition,
    sort: AssetSort,
    descending: bool,
    limit: u64,
) -> AppResult<Vec<asset::Model>> {
    let order = if descending { Order::Desc } else { Order::Asc };
    let q = asset::Entity::find().filter(cond);
    let q = match sort.key() {
        SortKey::Id => q.order_by(asset::Column::Id, order),
        SortKey::Tag => q.order_by(asset::Column::TagKey, order),
        SortKey::Updated => q.order_by(asset::Column::UpdatedAt, order.clone()).order_by(asset::Column::Id, order),
    };
    Ok(q.limit(limit + 1).all(conn).await?)
}

/// The ids of items whose search document contains every word (each at least
/// [`INFIX_MIN`] characters), at most `cap`, through the search index.
async fn infix_ids<C: ConnectionTrait>(conn: &C, words: &[String], cap: u64) -> AppResult<Vec<Uuid>> {
    let rows = match conn.get_database_backend() {
        DbBackend::Sqlite => {
            // FTS5 with the trigram tokenizer: a quoted string matches as a substring;
            // strings side by side must all match.
            let expr = words.iter().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" ");
            let sql = "SELECT d.asset_id AS id FROM asset_search JOIN asset_search_docs d ON d.id = asset_search.rowid \
                       WHERE asset_search MATCH ? LIMIT ?";
            conn.query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                sql,
                [expr.into(), (cap as i64).into()],
            ))
            .await?
        }
        _ => {
            // pg_trgm's GIN index serves LIKE '%word%'.
            let mut q = Query::select();
            q.expr_as(Expr::col(Alias::new("asset_id")), Alias::new("id")).from(Alias::new("asset_search_docs"));
            for w in words {
                q.and_where(Expr::col(Alias::new("doc")).like(contains_pattern(w)));
            }
            q.limit(cap);
            conn.query_all(&q).await?
        }
    };
    rows.iter().map(|r| r.try_get::<Uuid>("", "id").map_err(AppError::from)).collect()
}

/// The item's search document contains every word, for dense text: written as a scalar
/// sub-query, `(SELECT doc LIKE … AND … FROM asset_search_docs WHERE asset_id = assets.id)`,
/// so that both planners walk the sort's index and look each row's document up by its key,
/// stopping after a page. (As `EXISTS`, PostgreSQL turns it into a join driven by a scan of
/// every document: 0.23 s instead of 23 ms for `dell r740` at 1M items.)
fn doc_contains_all(words: &[String]) -> SimpleExpr {
    let docs = Alias::new("asset_search_docs");
    let doc = || Expr::col((docs.clone(), Alias::new("doc")));
    let all = words.iter().map(|w| doc().like(contains_pattern(w))).reduce(|a, b| a.and(b));
    let mut q = Query::select();
    q.expr(all.unwrap_or_else(|| Expr::val(true)))
        .from(docs.clone())
        .and_where(Expr::col((docs.clone(), Alias::new("asset_id"))).equals((asset::Entity, asset::Column::Id)));
    SimpleExpr::SubQuery(None, Box::new(q.into()))
}

/// A short word: tag or serial starting with `needle`, or a model whose label contains it.
///
/// `dense` is for text that matches many items: the key columns are wrapped in `|| ''` so
/// that no index serves them and the planner walks the sort's index instead, stopping after
/// a page (with the plain form, both SQLite and PostgreSQL would collect every match through
/// the tag and serial indexes and sort them all).
/// `models` are the ids of the matching catalog models, or `None` when there are too many
/// to list (then a sub-query finds them).
fn text_condition(needle: &str, models: Option<&[Uuid]>, dense: bool) -> Condition {
    let upper = text::prefix_upper_bound(needle);
    let key = |col: asset::Column| {
        if dense {
            // Written as an operator, not custom SQL: custom SQL's placeholders are
            // backend-specific (`$1` on PostgreSQL, `?` on SQLite).
            Expr::col((asset::Entity, col)).binary(BinOper::Custom("||"), Expr::cust("''"))
        } else {
            Expr::col((asset::Entity, col))
        }
    };
    let any = Condition::any()
        .add(
            Condition::all()
                .add(key(asset::Column::TagKey).gte(needle))
                .add(key(asset::Column::TagKey).lt(upper.as_str())),
        )
        .add(
            Condition::all()
                .add(key(asset::Column::SerialKey).gte(needle))
                .add(key(asset::Column::SerialKey).lt(upper.as_str())),
        );
    match models {
        Some([]) => any,
        Some(ids) => any.add(asset::Column::ModelId.is_in(ids.to_vec())),
        None => any.add(asset::Column::ModelId.in_subquery(matching_ids_subquery(needle))),
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, EntityTrait, QueryFilter, QueryTrait};

    use super::*;

    #[test]
    fn the_dense_search_compares_the_key_columns_on_both_databases() {
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let sql = asset::Entity::find().filter(text_condition("ab", Some(&[]), true)).build(backend).to_string();
            assert!(sql.contains(r#"("assets"."tag_key" || ('')) >= 'ab'"#), "{backend:?}: {sql}");
            assert!(sql.contains(r#"("assets"."serial_key" || ('')) >= 'ab'"#), "{backend:?}: {sql}");
            assert!(!sql.contains("$1"), "{backend:?}: {sql}");
            let words = ["r740".to_owned(), "50%".to_owned()];
            let sql = asset::Entity::find().filter(doc_contains_all(&words)).build(backend).to_string();
            assert!(sql.contains(r#"WHERE (SELECT "asset_search_docs"."doc" LIKE '%r740%'"#), "{backend:?}: {sql}");
            assert!(sql.contains(r#"WHERE "asset_search_docs"."asset_id" = "assets"."id")"#), "{backend:?}: {sql}");
            assert!(sql.contains(r"LIKE '%50\%%'") || sql.contains(r"LIKE E'%50\\%%'"), "{backend:?}: {sql}");
        }
    }

    #[test]
    fn cursors_carry_their_sort_key_and_belong_to_their_order() {
        let id = Uuid::now_v7();
        let at = DateTime::from_timestamp(1_765_000_000, 123_456_789).expect("time");
        for (key, sort) in [
            (Key::Id(id), AssetSort::Newest),
            (Key::Tag("rl-0001 ünï/".to_owned()), AssetSort::TagAsc),
            (Key::Updated(at, id), AssetSort::UpdatedDesc),
        ] {
            assert_eq!(Key::parse(&key.encode(), sort, "cursor").ok(), Some(key.clone()), "{key:?}");
        }
        assert_eq!(Key::Tag("ab".into()).encode(), "t.6162");
        let other = Key::parse(&Key::Id(id).encode(), AssetSort::TagDesc, "before");
        assert!(matches!(other, Err(AppError::BadRequest { field: Some(f), .. }) if f == "before"));
        for bad in ["x", "t.6", "t.zz", "t.ff", "u.1.2", "u.a.b.c", &format!("u.1.99999999999.{id}")] {
            assert!(Key::parse(bad, AssetSort::TagAsc, "cursor").is_err(), "{bad}");
            assert!(Key::parse(bad, AssetSort::UpdatedAsc, "cursor").is_err(), "{bad}");
        }
    }

    #[test]
    fn only_text_free_queries_can_be_counted() {
        let q = AssetQuery { kind: Some(AssetKind::Server), include_parts: Some(false), ..Default::default() };
        assert_eq!(
            q.counter_filter(),
            Some(CounterFilter { kind: Some(AssetKind::Server), top_level_only: true, ..Default::default() })
        );
        let q = AssetQuery { q: Some("  ".into()), sort: Some(AssetSort::TagAsc), ..Default::default() };
        assert_eq!(q.counter_filter(), Some(CounterFilter::default()));
        assert_eq!(AssetQuery { q: Some("r740".into()), ..Default::default() }.counter_filter(), None);
    }

    #[test]
    fn words_are_lower_cased_once_each_and_bounded() {
        let q = AssetQuery { q: Some(" Dell  R740 dell ".into()), ..Default::default() };
        assert_eq!(q.words().ok(), Some(vec!["dell".to_owned(), "r740".to_owned()]));
        let q = AssetQuery { q: Some("a b c d e f g h i".into()), ..Default::default() };
        assert_eq!(q.words().err().as_ref().and_then(AppError::field), Some("q"));
        assert_eq!("tag_desc".parse::<AssetSort>(), Ok(AssetSort::TagDesc));
        assert!("size".parse::<AssetSort>().is_err());
    }
}
