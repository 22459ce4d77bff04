//! The fleet's counters, kept by the database itself in the transaction of every write.
//!
//! - `fleet_counts`: how many items there are of each (kind, state, site, model, top level),
//!   with how many of them carry their own mass and that mass in grams. A missing site or
//!   model is keyed by the nil UUID so that the key is a plain primary key on both
//!   databases (NULLs would be distinct in it).
//! - `fleet_yearly`: counts per calendar year (UTC) of ledger entries of interest; today
//!   `retired`, the entries that moved an item to the retired state.
//!
//! Triggers keep both exact, whatever service writes: row triggers on SQLite (writes are
//! serialised there anyway), statement triggers over transition tables on PostgreSQL, so
//! a statement of ten thousand rows adds one grouped upsert, not ten thousand. Upserts run
//! in key order, so two writers never wait on each other's counter rows in a circle.
//! The counters are derived data: the migration builds them from the registry, and
//! `reloop` can rebuild them at any time (they are never the only copy of a fact).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

const SQLITE_UP: &str = r#"
CREATE TRIGGER fleet_counts_insert AFTER INSERT ON assets BEGIN
  INSERT INTO fleet_counts (kind, state, site_key, model_key, top_level, items, mass_overridden, override_g)
  VALUES (NEW.kind, NEW.state, ifnull(NEW.site_id, zeroblob(16)), ifnull(NEW.model_id, zeroblob(16)),
          NEW.parent_id IS NULL, 1, NEW.mass_override_kg IS NOT NULL,
          ifnull(CAST(round(NEW.mass_override_kg * 1000) AS INTEGER), 0))
  ON CONFLICT (kind, state, site_key, model_key, top_level) DO UPDATE SET
    items = items + excluded.items, mass_overridden = mass_overridden + excluded.mass_overridden,
    override_g = override_g + excluded.override_g;
END;
CREATE TRIGGER fleet_counts_delete AFTER DELETE ON assets BEGIN
  INSERT INTO fleet_counts (kind, state, site_key, model_key, top_level, items, mass_overridden, override_g)
  VALUES (OLD.kind, OLD.state, ifnull(OLD.site_id, zeroblob(16)), ifnull(OLD.model_id, zeroblob(16)),
          OLD.parent_id IS NULL, -1, -(OLD.mass_override_kg IS NOT NULL),
          -ifnull(CAST(round(OLD.mass_override_kg * 1000) AS INTEGER), 0))
  ON CONFLICT (kind, state, site_key, model_key, top_level) DO UPDATE SET
    items = items + excluded.items, mass_overridden = mass_overridden + excluded.mass_overridden,
    override_g = override_g + excluded.override_g;
END;
CREATE TRIGGER fleet_counts_update
AFTER UPDATE OF kind, state, site_id, model_id, parent_id, mass_override_kg ON assets
WHEN OLD.kind IS NOT NEW.kind OR OLD.state IS NOT NEW.state OR OLD.site_id IS NOT NEW.site_id
  OR OLD.model_id IS NOT NEW.model_id OR (OLD.parent_id IS NULL) IS NOT (NEW.parent_id IS NULL)
  OR OLD.mass_override_kg IS NOT NEW.mass_override_kg
BEGIN
  INSERT INTO fleet_counts (kind, state, site_key, model_key, top_level, items, mass_overridden, override_g)
  VALUES (OLD.kind, OLD.state, ifnull(OLD.site_id, zeroblob(16)), ifnull(OLD.model_id, zeroblob(16)),
          OLD.parent_id IS NULL, -1, -(OLD.mass_override_kg IS NOT NULL),
          -ifnull(CAST(round(OLD.mass_override_kg * 1000) AS INTEGER), 0))
  ON CONFLICT (kind, state, site_key, model_key, top_level) DO UPDATE SET
    items = items + excluded.items, mass_overridden = mass_overridden + excluded.mass_overridden,
    override_g = override_g + excluded.override_g;
  INSERT INTO fleet_counts (kind, state, site_key, model_key, top_level, items, mass_overridden, override_g)
  VALUES (NEW.kind, NEW.state, ifnull(NEW.site_id, zeroblob(16)), ifnull(NEW.model_id, zeroblob(16)),
          NEW.parent_id IS NULL, 1, NEW.mass_override_kg IS NOT NULL,
          ifnull(CAST(round(NEW.mass_override_kg * 1000) AS INTEGER), 0))
  ON CONFLICT (kind, state, site_key, model_key, top_level) DO UPDATE SET
    items = items + excluded.items, mass_overridden = mass_overridden + excluded.mass_overridden,
    override_g = override_g + excluded.override_g;
END;
CREATE TRIGGER fleet_yearly_retired AFTER INSERT ON lifecycle_events
WHEN NEW.kind = 'state' AND NEW.to_value = 'retired'
BEGIN
  INSERT INTO fleet_yearly (year, metric, n) VALUES (CAST(substr(NEW.occurred_at, 1, 4) AS INTEGER), 'retired', 1)
  ON CONFLICT (year, metric) DO UPDATE SET n = n + excluded.n;
END;
INSERT INTO fleet_counts (kind, state, site_key, model_key, top_level, items, mass_overridden, override_g)
SELECT kind, state, ifnull(site_id, zeroblob(16)), ifnull(model_id, zeroblob(16)), parent_id IS NULL,
       count(*), sum(mass_override_kg IS NOT NULL),
       ifnull(sum(CAST(round(mass_override_kg * 1000) AS INTEGER)), 0)
FROM assets GROUP BY 1, 2, 3, 4, 5;
INSERT INTO fleet_yearly (year, metric, n)
SELECT CAST(substr(occurred_at, 1, 4) AS INTEGER), 'retired', count(*) FROM lifecycle_events
WHERE kind = 'state' AND to_value = 'retired' GROUP BY 1;
"#;

/// The grouped change of a statement: `rows` is a SELECT of (kind, state, site_key,
/// model_key, top_level, items, mass_overridden, override_g) per changed row.
const PG_UP: &str = r#"
CREATE FUNCTION fleet_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO fleet_counts AS f (kind, state, site_key, model_key, top_level, items, mass_overridden, override_g)
    SELECT kind, state, coalesce(site_id, '00000000-0000-0000-0000-000000000000'::uuid),
           coalesce(model_id, '00000000-0000-0000-0000-000000000000'::uuid), parent_id IS NULL,
           count(*), count(mass_override_kg), coalesce(sum(round(mass_override_kg * 1000)::bigint), 0)
    FROM new_rows GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (kind, state, site_key, model_key, top_level) DO UPDATE SET
      items = f.items + excluded.items, mass_overridden = f.mass_overridden + excluded.mass_overridden,
      override_g = f.override_g + excluded.override_g;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO fleet_counts AS f (kind, state, site_key, model_key, top_level, items, mass_overridden, override_g)
    SELECT kind, state, coalesce(site_id, '00000000-0000-0000-0000-000000000000'::uuid),
           coalesce(model_id, '00000000-0000-0000-0000-000000000000'::uuid), parent_id IS NULL,
           -count(*), -count(mass_override_kg), -coalesce(sum(round(mass_override_kg * 1000)::bigint), 0)
    FROM old_rows GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (kind, state, site_key, model_key, top_level) DO UPDATE SET
      items = f.items + excluded.items, mass_overridden = f.mass_overridden + excluded.mass_overridden,
      override_g = f.override_g + excluded.override_g;
  ELSE
    INSERT INTO fleet_counts AS f (kind, state, site_key, model_key, top_level, items, mass_overridden, override_g)
    SELECT kind, state, site_key, model_key, top_level, sum(items), sum(mo), sum(g) FROM (
      SELECT kind, state, coalesce(site_id, '00000000-0000-0000-0000-000000000000'::uuid) AS site_key,
             coalesce(model_id, '00000000-0000-0000-0000-000000000000'::uuid) AS model_key,
             parent_id IS NULL AS top_level, 1 AS items, (mass_override_kg IS NOT NULL)::int AS mo,
             coalesce(round(mass_override_kg * 1000)::bigint, 0) AS g
      FROM new_rows
      UNION ALL
      SELECT kind, state, coalesce(site_id, '00000000-0000-0000-0000-000000000000'::uuid),
             coalesce(model_id, '00000000-0000-0000-0000-000000000000'::uuid),
             parent_id IS NULL, -1, -(mass_override_kg IS NOT NULL)::int,
             -coalesce(round(mass_override_kg * 1000)::bigint, 0)
      FROM old_rows
    ) d
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(items) <> 0 OR sum(mo) <> 0 OR sum(g) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (kind, state, site_key, model_key, top_level) DO UPDATE SET
      items = f.items + excluded.items, mass_overridden = f.mass_overridden + excluded.mass_overridden,
      override_g = f.override_g + excluded.override_g;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER fleet_counts_insert AFTER INSERT ON assets REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION fleet_counts_apply();
CREATE TRIGGER fleet_counts_update AFTER UPDATE ON assets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION fleet_counts_apply();
CREATE TRIGGER fleet_counts_delete AFTER DELETE ON assets REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION fleet_counts_apply();
CREATE FUNCTION fleet_yearly_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO fleet_yearly AS y (year, metric, n)
  SELECT extract(year FROM occurred_at AT TIME ZONE 'UTC')::int, 'retired', count(*) FROM new_rows
  WHERE kind = 'state' AND to_value = 'retired' GROUP BY 1 ORDER BY 1
  ON CONFLICT (year, metric) DO UPDATE SET n = y.n + excluded.n;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER fleet_yearly_retired AFTER INSERT ON lifecycle_events REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION fleet_yearly_apply();
INSERT INTO fleet_counts (kind, state, site_key, model_key, top_level, items, mass_overridden, override_g)
SELECT kind, state, coalesce(site_id, '00000000-0000-0000-0000-000000000000'::uuid),
       coalesce(model_id, '00000000-0000-0000-0000-000000000000'::uuid), parent_id IS NULL,
       count(*), count(mass_override_kg), coalesce(sum(round(mass_override_kg * 1000)::bigint), 0)
FROM assets GROUP BY 1, 2, 3, 4, 5;
INSERT INTO fleet_yearly (year, metric, n)
SELECT extract(year FROM occurred_at AT TIME ZONE 'UTC')::int, 'retired', count(*) FROM lifecycle_events
WHERE kind = 'state' AND to_value = 'retired' GROUP BY 1;
"#;

const SQLITE_DOWN: &str = "DROP TRIGGER IF EXISTS fleet_counts_insert; DROP TRIGGER IF EXISTS fleet_counts_delete; \
     DROP TRIGGER IF EXISTS fleet_counts_update; DROP TRIGGER IF EXISTS fleet_yearly_retired;";
const PG_DOWN: &str = "DROP TRIGGER IF EXISTS fleet_counts_insert ON assets; \
     DROP TRIGGER IF EXISTS fleet_counts_update ON assets; DROP TRIGGER IF EXISTS fleet_counts_delete ON assets; \
     DROP TRIGGER IF EXISTS fleet_yearly_retired ON lifecycle_events; \
     DROP FUNCTION IF EXISTS fleet_counts_apply(); DROP FUNCTION IF EXISTS fleet_yearly_apply();";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("fleet_counts"))
                    .col(col("kind").string_len(32).not_null())
                    .col(col("state").string_len(32).not_null())
                    .col(col("site_key").uuid().not_null())
                    .col(col("model_key").uuid().not_null())
                    .col(col("top_level").boolean().not_null())
                    .col(col("items").big_integer().not_null().default(0))
                    .col(col("mass_overridden").big_integer().not_null().default(0))
                    .col(col("override_g").big_integer().not_null().default(0))
                    .primary_key(
                        Index::create()
                            .col(Alias::new("kind"))
                            .col(Alias::new("state"))
                            .col(Alias::new("site_key"))
                            .col(Alias::new("model_key"))
                            .col(Alias::new("top_level")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("fleet_yearly"))
                    .col(col("year").integer().not_null())
                    .col(col("metric").string_len(32).not_null())
                    .col(col("n").big_integer().not_null().default(0))
                    .primary_key(Index::create().col(Alias::new("year")).col(Alias::new("metric")))
                    .to_owned(),
            )
            .await?;
        let sql = match manager.get_database_backend() {
            DbBackend::Postgres => PG_UP,
            _ => SQLITE_UP,
        };
        manager.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DbBackend::Postgres => PG_DOWN,
            _ => SQLITE_DOWN,
        };
        manager.get_connection().execute_unprepared(sql).await?;
        manager.drop_table(Table::drop().table(Alias::new("fleet_yearly")).to_owned()).await?;
        manager.drop_table(Table::drop().table(Alias::new("fleet_counts")).to_owned()).await?;
        Ok(())
    }
}
