//! Accounts and organizations: the tables identity and the forums build on.

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000001_accounts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(pk_uuid("id"))
                    .col(string_len("username", 30))
                    // Lower-cased copies carry the case-insensitive uniqueness, portably.
                    .col(string_len_uniq("username_key", 30))
                    .col(string_len("email", 254))
                    .col(string_len_uniq("email_key", 254))
                    // Null for accounts that only sign in through an external identity provider.
                    .col(text_null("password_hash"))
                    .col(string_len_null("display_name", 50))
                    .col(string_len("role", 16).default("user"))
                    .col(string_len("status", 16).default("active"))
                    .col(timestamp_with_time_zone_null("email_verified_at"))
                    .col(timestamp_with_time_zone_null("disabled_at"))
                    .col(text_null("disabled_reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .check(Expr::col("role").is_in(["user", "moderator", "admin"]))
                    .check(Expr::col("status").is_in(["active", "disabled"]))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("organizations")
                    .col(pk_uuid("id"))
                    .col(string_len("name", 100))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("organizations", "created_by")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("organization_members")
                    .col(uuid("organization_id"))
                    .col(uuid("user_id"))
                    .col(string_len("role", 16).default("member"))
                    .col(boolean("active").default(true))
                    .col(timestamp_with_time_zone("joined_at"))
                    .primary_key(Index::create().col("organization_id").col("user_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("organization_members", "organization_id")
                            .to("organizations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("organization_members", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Expr::col("role").is_in(["org_admin", "member"]))
                    .to_owned(),
            )
            .await?;

        manager
            .create_index(
                Index::create()
                    .name("ix_organization_members_user")
                    .table("organization_members")
                    .col("user_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["organization_members", "organizations", "users"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
