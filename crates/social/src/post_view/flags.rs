//! What the viewer did to a page of posts (liked, reposted, bookmarked, voted in its poll), in
//! one statement: each resource gives its part as a query, and the parts run as one
//! `UNION ALL`, each row tagged with the part it answers. A page's flags were four round trips;
//! on a pool that 64 clients share, each one is a wait (decision 0025, "Measurements").

use std::collections::{HashMap, HashSet};

use agora_core::UserId;
use agora_store::DbResult;
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, FromQueryResult, StatementBuilder};
use uuid::Uuid;

use crate::{bookmarks, polls, reactions, reposts};

/// The viewer's flags on a page of posts; all empty for an anonymous viewer.
#[derive(Debug, Default)]
pub struct ViewerFlags {
    /// The posts the viewer likes.
    pub liked: HashSet<Uuid>,
    /// The posts the viewer has a live plain repost of.
    pub reposted: HashSet<Uuid>,
    /// The posts the viewer bookmarked.
    pub bookmarked: HashSet<Uuid>,
    /// The option the viewer voted for, by the post of the poll.
    pub voted: HashMap<Uuid, Uuid>,
}

/// Which part of the statement a row answers (its `kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Liked = 1,
    Reposted = 2,
    Bookmarked = 3,
    Voted = 4,
}

impl Part {
    const ALL: [Part; 4] = [Part::Liked, Part::Reposted, Part::Bookmarked, Part::Voted];

    fn of(kind: i32) -> Option<Part> {
        Part::ALL.into_iter().find(|part| *part as i32 == kind)
    }
}

#[derive(Debug, FromQueryResult)]
struct Row {
    kind: i32,
    id: Uuid,
    option_id: Option<Uuid>,
}

/// `viewer`'s flags: likes, reposts and bookmarks of `targets` (what the viewer acts on: a
/// plain repost's original), votes in the polls of `posts`. One statement, none without a
/// viewer or posts.
pub async fn of(
    conn: &impl ConnectionTrait,
    viewer: Option<UserId>,
    targets: &[Uuid],
    posts: &[Uuid],
) -> DbResult<ViewerFlags> {
    let mut flags = ViewerFlags::default();
    let Some(viewer) = viewer else {
        return Ok(flags);
    };
    if targets.is_empty() && posts.is_empty() {
        return Ok(flags);
    }
    let mut union = tagged(
        Part::Liked,
        reactions::queries::liked_posts(viewer, targets),
    );
    for (part, query) in [
        (Part::Reposted, reposts::queries::reposted(viewer, targets)),
        (
            Part::Bookmarked,
            bookmarks::queries::bookmarked(viewer, targets),
        ),
        (Part::Voted, polls::queries::votes_on_posts(viewer, posts)),
    ] {
        union.union(UnionType::All, tagged(part, query));
    }
    let statement = StatementBuilder::build(&union, &conn.get_database_backend());
    for row in Row::find_by_statement(statement).all(conn).await? {
        match (Part::of(row.kind), row.option_id) {
            (Some(Part::Liked), _) => flags.liked.insert(row.id),
            (Some(Part::Reposted), _) => flags.reposted.insert(row.id),
            (Some(Part::Bookmarked), _) => flags.bookmarked.insert(row.id),
            (Some(Part::Voted), Some(option)) => flags.voted.insert(row.id, option).is_none(),
            (Some(Part::Voted), None) | (None, _) => false,
        };
    }
    Ok(flags)
}

/// `query` (its `id`, and `option_id` when it has one) as rows of the union: `kind`, `id`,
/// `option_id`.
fn tagged(part: Part, query: SelectStatement) -> SelectStatement {
    let part_alias = Alias::new("part");
    let option = if part == Part::Voted {
        Expr::col((part_alias.clone(), Alias::new("option_id")))
    } else {
        // Typed, so that PostgreSQL gives the union's column one type whichever part comes first.
        Expr::cust("CAST(NULL AS uuid)")
    };
    Query::select()
        .expr_as(Expr::cust(format!("{}", part as i32)), Alias::new("kind"))
        .expr_as(
            Expr::col((part_alias.clone(), Alias::new("id"))),
            Alias::new("id"),
        )
        .expr_as(option, Alias::new("option_id"))
        .from_subquery(query, part_alias)
        .to_owned()
}
