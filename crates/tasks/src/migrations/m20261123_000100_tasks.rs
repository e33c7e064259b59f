//! Tasks and their tags.

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000100_tasks"
    }
}

/// One index per sort of the list (`?sort=`), each ending in `id`, the tie-breaker of the
/// keyset cursor, so that any page is one index range scan of one user's rows.
const SORT_INDEXES: [(&str, &str); 4] = [
    ("ix_tasks_user_created", "created_at"),
    ("ix_tasks_user_updated", "updated_at"),
    ("ix_tasks_user_due", "due_at"),
    ("ix_tasks_user_priority", "priority"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("tasks")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(string_len("title", 200))
                    .col(text_null("description"))
                    .col(string_len("status", 16))
                    // 1 low, 2 medium, 3 high: sorts by importance.
                    .col(small_integer("priority"))
                    .col(timestamp_with_time_zone_null("due_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    // Optimistic locking: 1 at creation, +1 on every write.
                    .col(big_integer("version"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("tasks", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in SORT_INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("tasks")
                        .col("user_id")
                        .col(column)
                        .col("id")
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("task_tags")
                    .col(uuid("task_id"))
                    .col(string_len("tag", 50))
                    // Copied from the task, so the tag filter reads one user's index range.
                    .col(uuid("user_id"))
                    .primary_key(Index::create().col("task_id").col("tag"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("task_tags", "task_id")
                            .to("tasks", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_task_tags_user_tag")
                    .table("task_tags")
                    .col("user_id")
                    .col("tag")
                    .col("task_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("task_tags").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("tasks").to_owned())
            .await
    }
}
