//! Word and infix search over the asset list, and the indexes of its new orders and of
//! the top-level scope.
//!
//! - `asset_search_docs` holds one search document per asset: its tag, serial and
//!   manufacturer keys and its catalog model's key ("dell poweredge r740"), lower-cased and
//!   separated by spaces. Triggers keep it in the same transaction as every write, whoever
//!   writes: an asset's insert, an edit of its tag, serial, manufacturer or model, and a
//!   catalog model's rename (which rewrites the documents of that model's items).
//! - SQLite indexes the documents with FTS5 and the trigram tokenizer (SQLite ≥ 3.34; the
//!   bundled build has FTS5): `asset_search` is an external-content table over
//!   `asset_search_docs`, whose `INTEGER PRIMARY KEY` keeps FTS rowids stable across
//!   `VACUUM` (the rowids of `assets`, keyed by a UUID, are not).
//! - PostgreSQL indexes them with a `pg_trgm` GIN index. The extension ships with
//!   PostgreSQL's contrib modules (Debian and Ubuntu: in `postgresql-NN` since version 10;
//!   RHEL and the PGDG repositories: `postgresqlNN-contrib`); it is trusted, so a database
//!   owner may create it. When it is not installed, this migration fails with a message
//!   naming the package, and nothing is applied (a search without its index would scan
//!   a million rows per keystroke, so there is no silent fallback).
//! - Indexes for the new sort (`updated_at, id`) and for the top-level scope
//!   (`parent_id IS NULL`): partial indexes for the tag and change-time orders and mirroring
//!   each list filter's index, so "loose DIMMs in stock" does not walk every installed DIMM
//!   and a top-level page by tag does not sort every top-level item (PostgreSQL uses the
//!   tag and change-time ones; SQLite walks the full order indexes instead, see
//!   `assets::query`). The newest/oldest top-level page is served by the registry's
//!   `(parent_id, id)`.
//!
//! Existing rows are backfilled.
//!
//! Triggers, virtual tables and extensions have no sea-query form, so this migration
//! speaks SQL, one statement per backend.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The search document of the asset `a` (a row alias or `NEW`) with model key `model`.
fn doc(a: &str, model: &str) -> String {
    format!("{a}.tag_key || ' ' || COALESCE({a}.serial_key, '') || ' ' || {a}.mfr_key || ' ' || COALESCE({model}, '')")
}

fn model_of(a: &str) -> String {
    format!("(SELECT m.model_key FROM hardware_models m WHERE m.id = {a}.model_id)")
}

/// What changes a document.
const CHANGED: &str = "OLD.tag_key IS DISTINCT FROM NEW.tag_key OR OLD.serial_key IS DISTINCT FROM NEW.serial_key \
     OR OLD.mfr_key IS DISTINCT FROM NEW.mfr_key OR OLD.model_id IS DISTINCT FROM NEW.model_id";

/// Indexes for the sorts and the top-level scope, on both backends.
const INDEXES: &[&str] = &[
    "CREATE INDEX ix_assets_updated_at_id ON assets (updated_at, id)",
    "CREATE INDEX ix_assets_top_tag_key ON assets (tag_key) WHERE parent_id IS NULL",
    "CREATE INDEX ix_assets_top_updated_at_id ON assets (updated_at, id) WHERE parent_id IS NULL",
    "CREATE INDEX ix_assets_top_kind_state_id ON assets (kind, state, id) WHERE parent_id IS NULL",
    "CREATE INDEX ix_assets_top_kind_id ON assets (kind, id) WHERE parent_id IS NULL",
    "CREATE INDEX ix_assets_top_state_id ON assets (state, id) WHERE parent_id IS NULL",
    "CREATE INDEX ix_assets_top_site_state_id ON assets (site_id, state, id) WHERE parent_id IS NULL",
    "CREATE INDEX ix_assets_top_site_id ON assets (site_id, id) WHERE parent_id IS NULL",
    "CREATE INDEX ix_assets_top_model_id ON assets (model_id, id) WHERE parent_id IS NULL",
];

fn sqlite() -> Vec<String> {
    let new_doc = doc("NEW", &model_of("NEW"));
    let a_doc = doc("a", &model_of("a"));
    vec![
        "CREATE TABLE asset_search_docs (id INTEGER PRIMARY KEY, asset_id BLOB NOT NULL UNIQUE, doc TEXT NOT NULL)"
            .to_owned(),
        format!("INSERT INTO asset_search_docs (asset_id, doc) SELECT a.id, {a_doc} FROM assets a ORDER BY a.id"),
        "CREATE VIRTUAL TABLE asset_search USING fts5(doc, content='asset_search_docs', content_rowid='id', \
         tokenize='trigram', columnsize=0)"
            .to_owned(),
        "INSERT INTO asset_search (asset_search) VALUES ('rebuild')".to_owned(),
        // The FTS index follows the documents.
        "CREATE TRIGGER asset_search_docs_ai AFTER INSERT ON asset_search_docs BEGIN \
         INSERT INTO asset_search (rowid, doc) VALUES (NEW.id, NEW.doc); END"
            .to_owned(),
        "CREATE TRIGGER asset_search_docs_au AFTER UPDATE ON asset_search_docs BEGIN \
         INSERT INTO asset_search (asset_search, rowid, doc) VALUES ('delete', OLD.id, OLD.doc); \
         INSERT INTO asset_search (rowid, doc) VALUES (NEW.id, NEW.doc); END"
            .to_owned(),
        "CREATE TRIGGER asset_search_docs_ad AFTER DELETE ON asset_search_docs BEGIN \
         INSERT INTO asset_search (asset_search, rowid, doc) VALUES ('delete', OLD.id, OLD.doc); END"
            .to_owned(),
        // The documents follow the assets and the catalog.
        format!(
            "CREATE TRIGGER assets_search_ai AFTER INSERT ON assets BEGIN \
             INSERT INTO asset_search_docs (asset_id, doc) VALUES (NEW.id, {new_doc}); END"
        ),
        format!(
            "CREATE TRIGGER assets_search_au AFTER UPDATE OF tag_key, serial_key, mfr_key, model_id ON assets \
             WHEN {} BEGIN UPDATE asset_search_docs SET doc = {new_doc} WHERE asset_id = NEW.id; END",
            CHANGED.replace("IS DISTINCT FROM", "IS NOT")
        ),
        "CREATE TRIGGER assets_search_ad AFTER DELETE ON assets BEGIN \
         DELETE FROM asset_search_docs WHERE asset_id = OLD.id; END"
            .to_owned(),
        format!(
            "CREATE TRIGGER hardware_models_search_au AFTER UPDATE OF model_key ON hardware_models \
             WHEN OLD.model_key IS NOT NEW.model_key BEGIN \
             UPDATE asset_search_docs SET doc = (SELECT {} FROM assets a WHERE a.id = asset_search_docs.asset_id) \
             WHERE asset_id IN (SELECT id FROM assets WHERE model_id = NEW.id); END",
            doc("a", "NEW.model_key")
        ),
    ]
}

fn postgres() -> Vec<String> {
    let new_doc = doc("NEW", &model_of("NEW"));
    let a_doc = doc("a", &model_of("a"));
    vec![
        // A clear message instead of "could not open extension control file".
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN \
         RAISE EXCEPTION 'reloop needs the PostgreSQL extension pg_trgm for the asset search: install \
         PostgreSQL''s contrib modules on the database server (Debian/Ubuntu: postgresql-NN, RHEL/PGDG: \
         postgresqlNN-contrib) and run the migrations again'; END IF; END $$"
            .to_owned(),
        "CREATE EXTENSION IF NOT EXISTS pg_trgm".to_owned(),
        "CREATE TABLE asset_search_docs (asset_id uuid PRIMARY KEY, doc text NOT NULL)".to_owned(),
        format!("INSERT INTO asset_search_docs (asset_id, doc) SELECT a.id, {a_doc} FROM assets a"),
        "CREATE INDEX ix_asset_search_docs_doc ON asset_search_docs USING gin (doc gin_trgm_ops)".to_owned(),
        format!(
            "CREATE FUNCTION asset_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF TG_OP = 'DELETE' THEN DELETE FROM asset_search_docs WHERE asset_id = OLD.id; RETURN NULL; END IF; \
             INSERT INTO asset_search_docs (asset_id, doc) VALUES (NEW.id, {new_doc}) \
             ON CONFLICT (asset_id) DO UPDATE SET doc = EXCLUDED.doc; RETURN NULL; END $$"
        ),
        "CREATE TRIGGER assets_search_ai AFTER INSERT ON assets FOR EACH ROW EXECUTE FUNCTION asset_search_sync()"
            .to_owned(),
        format!(
            "CREATE TRIGGER assets_search_au AFTER UPDATE OF tag_key, serial_key, mfr_key, model_id ON assets \
             FOR EACH ROW WHEN ({CHANGED}) EXECUTE FUNCTION asset_search_sync()"
        ),
        "CREATE TRIGGER assets_search_ad AFTER DELETE ON assets FOR EACH ROW EXECUTE FUNCTION asset_search_sync()"
            .to_owned(),
        format!(
            "CREATE FUNCTION asset_search_model_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             UPDATE asset_search_docs d SET doc = {} FROM assets a WHERE a.model_id = NEW.id AND d.asset_id = a.id; \
             RETURN NULL; END $$",
            doc("a", "NEW.model_key")
        ),
        "CREATE TRIGGER hardware_models_search_au AFTER UPDATE OF model_key ON hardware_models FOR EACH ROW \
         WHEN (OLD.model_key IS DISTINCT FROM NEW.model_key) EXECUTE FUNCTION asset_search_model_sync()"
            .to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        let search = match manager.get_database_backend() {
            DbBackend::Postgres => postgres(),
            _ => sqlite(),
        };
        for sql in search.iter().map(String::as_str).chain(INDEXES.iter().copied()) {
            conn.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        let mut sql: Vec<String> =
            INDEXES.iter().filter_map(|i| i.split_whitespace().nth(2)).map(|n| format!("DROP INDEX {n}")).collect();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (trigger, table) in [
            ("hardware_models_search_au", "hardware_models"),
            ("assets_search_ad", "assets"),
            ("assets_search_au", "assets"),
            ("assets_search_ai", "assets"),
        ] {
            sql.push(if postgres {
                format!("DROP TRIGGER {trigger} ON {table}")
            } else {
                format!("DROP TRIGGER {trigger}")
            });
        }
        if postgres {
            sql.push("DROP FUNCTION asset_search_model_sync()".to_owned());
            sql.push("DROP FUNCTION asset_search_sync()".to_owned());
        } else {
            sql.push("DROP TABLE asset_search".to_owned());
        }
        sql.push("DROP TABLE asset_search_docs".to_owned());
        for s in sql {
            conn.execute_unprepared(&s).await?;
        }
        Ok(())
    }
}
