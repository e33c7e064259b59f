//! Discovery and reports: the full-text index of posts (PostgreSQL: a generated `tsvector`
//! column with a GIN index; SQLite: an FTS5 table kept by triggers), the trending tickers'
//! roll-up, and users' reports of posts, comments and users. The index is built for the posts
//! that exist already.

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;
use sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000600_search_trending_reports"
    }
}

/// PostgreSQL: the words of a post, kept by the database itself, and their GIN index.
const POSTGRES_SEARCH: &[&str] = &[
    "ALTER TABLE posts ADD COLUMN search_vector tsvector \
     GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED",
    "CREATE INDEX ix_posts_search_vector ON posts USING GIN (search_vector)",
];

/// SQLite: posts have no integer key of their own (their implicit rowid may change on
/// `VACUUM`), so `post_search` gives each post a stable one, which is the rowid of its row in
/// the FTS5 table `posts_fts`. Triggers keep both in step with `posts`; the existing posts are
/// indexed by the last two statements.
const SQLITE_SEARCH: &[&str] = &[
    "CREATE TABLE post_search (\
        rowid INTEGER PRIMARY KEY, \
        post_id NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE posts_fts USING fts5(content, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN \
        INSERT INTO post_search (post_id) VALUES (new.id); \
        INSERT INTO posts_fts (rowid, content) \
            VALUES ((SELECT rowid FROM post_search WHERE post_id = new.id), new.content); \
     END",
    "CREATE TRIGGER posts_fts_update AFTER UPDATE OF content ON posts BEGIN \
        UPDATE posts_fts SET content = new.content \
            WHERE rowid = (SELECT rowid FROM post_search WHERE post_id = new.id); \
     END",
    "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN \
        DELETE FROM posts_fts \
            WHERE rowid = (SELECT rowid FROM post_search WHERE post_id = old.id); \
        DELETE FROM post_search WHERE post_id = old.id; \
     END",
    "INSERT INTO post_search (post_id) SELECT id FROM posts",
    "INSERT INTO posts_fts (rowid, content) \
        SELECT s.rowid, p.content FROM post_search s JOIN posts p ON p.id = s.post_id",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        let search = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_SEARCH,
            _ => SQLITE_SEARCH,
        };
        for statement in search {
            conn.execute_unprepared(statement).await?;
        }

        // Trending tickers: the ranked symbols of each window, replaced whole by each refresh.
        manager
            .create_table(
                Table::create()
                    .table("ticker_trends")
                    // The window: `1h`, `24h` or `7d`.
                    .col(string_len("period", 3))
                    .col(integer("rank"))
                    .col(string_len("symbol", 10))
                    .col(big_integer("authors"))
                    .col(big_integer("posts"))
                    .primary_key(Index::create().col("period").col("rank"))
                    .to_owned(),
            )
            .await?;
        // When each window was last computed (also when it had no ticker at all).
        manager
            .create_table(
                Table::create()
                    .table("ticker_trend_windows")
                    .col(string_len("period", 3).primary_key())
                    .col(timestamp_with_time_zone("computed_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("reports")
                    .col(pk_uuid("id"))
                    .col(uuid("reporter_id"))
                    // What is reported: a `post`, `comment` or `user` (no foreign key: the
                    // target's table depends on its type, and a report outlives its target).
                    .col(string_len("target_type", 16))
                    .col(uuid("target_id"))
                    .col(string_len("reason", 16))
                    .col(text_null("details"))
                    // `open` until a moderator `resolved` or `dismissed` it.
                    .col(string_len("status", 16).default("open"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .col(uuid_null("resolved_by"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("reports", "reporter_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("reports", "resolved_by")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .check(Expr::col("target_type").is_in(["post", "comment", "user"]))
                    .check(Expr::col("reason").is_in([
                        "spam",
                        "harassment",
                        "hate",
                        "misinformation",
                        "violence",
                        "other",
                    ]))
                    .check(Expr::col("status").is_in(["open", "resolved", "dismissed"]))
                    .to_owned(),
            )
            .await?;
        // One open report per reporter and target; a closed one does not stop a new report.
        conn.execute_unprepared(
            "CREATE UNIQUE INDEX ux_reports_open ON reports (reporter_id, target_type, target_id) \
             WHERE status = 'open'",
        )
        .await?;
        // The moderation queue: open reports, oldest first; and the reports of one target.
        manager
            .create_index(
                Index::create()
                    .name("ix_reports_status_created")
                    .table("reports")
                    .col("status")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_reports_target")
                    .table("reports")
                    .col("target_type")
                    .col("target_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["reports", "ticker_trend_windows", "ticker_trends"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        let conn = manager.get_connection();
        let statements: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &[
                "DROP INDEX ix_posts_search_vector",
                "ALTER TABLE posts DROP COLUMN search_vector",
            ],
            _ => &[
                "DROP TRIGGER posts_fts_insert",
                "DROP TRIGGER posts_fts_update",
                "DROP TRIGGER posts_fts_delete",
                "DROP TABLE posts_fts",
                "DROP TABLE post_search",
            ],
        };
        for statement in statements {
            conn.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
