//! The social benchmark's data set, written straight into the tables (not through the API), in
//! multi-row inserts of a few thousand rows each: users, a power-law follow graph, posts with
//! tickers and polls, reposts and quotes, likes, comments, mutes and blocks.
//!
//! Shape (at scale 1.0): 100,000 users; each follows 10–200 accounts (about 57 on average),
//! 30% of those picked among the 1,000 most followed by a Zipf law (so the largest accounts
//! have 50,000+ followers) and the rest uniformly; 1,000,000 posts over the last 30 days, 30% by
//! the most followed accounts, 20% naming tickers, 5% with a poll (votes as counts only), 10%
//! reposts (7%) or quotes (3%); 5,000,000 likes tried (about 4 million distinct) and 500,000
//! comments on posts picked by a Zipf law; 1% of users mute someone, 1% block someone.

use std::collections::HashSet;
use std::time::Instant;

use agora_store::Db;
use agora_store::sea_orm::ConnectionTrait;
use agora_store::sea_orm::sea_query::{Alias, InsertStatement, OnConflict, Query, SimpleExpr};
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// The tickers posts name, most named first.
pub const TICKERS: [&str; 24] = [
    "AAPL", "TSLA", "NVDA", "MSFT", "AMZN", "GOOG", "META", "AMD", "SPY", "QQQ", "NFLX", "INTC",
    "BRK.B", "JPM", "BAC", "DIS", "PLTR", "COIN", "UBER", "SHOP", "SQ", "PYPL", "BA", "XOM",
];
const WORDS: [&str; 32] = [
    "earnings",
    "guidance",
    "breakout",
    "support",
    "resistance",
    "calls",
    "puts",
    "rally",
    "dip",
    "buying",
    "selling",
    "long",
    "short",
    "volume",
    "chart",
    "trend",
    "market",
    "rates",
    "inflation",
    "revenue",
    "margin",
    "growth",
    "value",
    "dividend",
    "split",
    "squeeze",
    "hold",
    "target",
    "bullish",
    "bearish",
    "week",
    "today",
];

/// What was written, for the load that follows.
pub struct Seeded {
    pub users: Vec<Uuid>,
    /// The most followed accounts, most followed first.
    pub celebrities: Vec<Uuid>,
    pub posts: usize,
    pub follows: usize,
    /// The post the Zipf law gives the most likes.
    pub most_liked: Uuid,
    /// The words of the posts, most used first (searches draw from them).
    pub vocabulary: Vec<String>,
}

pub struct Scale {
    pub users: usize,
    pub posts: usize,
}

impl Scale {
    pub fn of(factor: f64) -> Scale {
        Scale {
            users: ((100_000.0 * factor) as usize).max(1_000),
            posts: ((1_000_000.0 * factor) as usize).max(1_000),
        }
    }
}

/// A Zipf-like pick in `0..n`: rank r with a probability proportional to 1/(r+1).
fn zipf(rng: &mut StdRng, n: usize) -> usize {
    // Inverse of the continuous law: exp(u · ln(n+1)) − 1.
    let u: f64 = rng.random();
    ((((n + 1) as f64).ln() * u).exp() - 1.0)
        .floor()
        .min((n - 1) as f64) as usize
}

/// Inserts `rows` into `table` in statements of at most ~30,000 values (under SQLite's and
/// PostgreSQL's parameter limits), committing every `per_txn` rows.
struct Writer<'a> {
    db: &'a Db,
    table: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<SimpleExpr>>,
    written: usize,
    ignore_conflicts: bool,
    /// Rows wait for `finish` (rows that reference rows still being written).
    deferred: bool,
}

impl<'a> Writer<'a> {
    fn new(db: &'a Db, table: &'static str, columns: &'static [&'static str]) -> Self {
        Writer {
            db,
            table,
            columns,
            rows: Vec::new(),
            written: 0,
            ignore_conflicts: false,
            deferred: false,
        }
    }

    fn ignoring_conflicts(mut self) -> Self {
        self.ignore_conflicts = true;
        self
    }

    fn deferred(mut self) -> Self {
        self.deferred = true;
        self
    }

    fn chunk(&self) -> usize {
        30_000 / self.columns.len()
    }

    async fn push(&mut self, row: Vec<SimpleExpr>) {
        self.rows.push(row);
        if !self.deferred && self.rows.len() >= self.chunk() {
            self.flush().await;
        }
    }

    /// Writes the rows held, in statements of one chunk each.
    async fn flush(&mut self) {
        let mut rows = std::mem::take(&mut self.rows);
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(self.chunk()));
            self.write(rows).await;
            rows = rest;
        }
    }

    async fn write(&mut self, rows: Vec<Vec<SimpleExpr>>) {
        let mut insert: InsertStatement = Query::insert()
            .into_table(Alias::new(self.table))
            .columns(self.columns.iter().map(|c| Alias::new(*c)))
            .to_owned();
        if self.ignore_conflicts {
            insert.on_conflict(OnConflict::new().do_nothing().to_owned());
        }
        for row in rows {
            self.written += 1;
            insert.values_panic(row);
        }
        self.db
            .writer()
            .execute(&insert)
            .await
            .unwrap_or_else(|err| panic!("inserting into {}: {err}", self.table));
    }

    async fn finish(mut self) -> usize {
        self.flush().await;
        self.written
    }
}

fn at(now: DateTime<Utc>, rng: &mut StdRng) -> DateTime<Utc> {
    let seconds = rng.random_range(0..30 * 24 * 3600);
    agora_core::time::to_stored(now - Duration::seconds(seconds))
}

/// 5,000 made-up words; posts draw them by a Zipf law, as words of a language are used, so
/// searches meet both words in half the posts and words in a handful.
fn vocabulary() -> Vec<String> {
    const SYLLABLES: [&str; 20] = [
        "ka", "lo", "mi", "ne", "ru", "ta", "shi", "vo", "de", "pa", "zu", "ri", "mo", "ha", "ke",
        "su", "no", "be", "ti", "ga",
    ];
    let mut words: Vec<String> = WORDS.iter().map(|w| (*w).to_owned()).collect();
    let mut n = 0usize;
    while words.len() < 5_000 {
        let word: String = [n % 20, (n / 20) % 20, (n / 400) % 20]
            .iter()
            .map(|&i| SYLLABLES[i])
            .collect();
        words.push(word);
        n += 1;
    }
    words
}

fn text(rng: &mut StdRng, vocabulary: &[String], tickers: &[&str]) -> String {
    let mut words: Vec<String> = (0..rng.random_range(6..24))
        .map(|_| vocabulary[zipf(rng, vocabulary.len())].clone())
        .collect();
    for ticker in tickers {
        let at = rng.random_range(0..words.len());
        words.insert(at, format!("${ticker}"));
    }
    words.join(" ")
}

/// Every table the seed writes.
const SEEDED_TABLES: [&str; 8] = [
    "users",
    "user_relations",
    "posts",
    "post_tickers",
    "polls",
    "poll_options",
    "post_likes",
    "comments",
];

/// Writes the data set; prints a line per table.
pub async fn seed(db: &Db, scale: &Scale) -> Seeded {
    if db.kind_name() == "sqlite" {
        // The writer pool is one connection: a 1 GiB page cache for it keeps the indexes being
        // filled in memory (at SQLite's default of 2 MB, the random inserts into the index of
        // followers go to the file).
        // And no sync at each commit while seeding (put back at the end): a crash would only
        // lose a data set that is made again.
        for pragma in ["PRAGMA cache_size = -1048576", "PRAGMA synchronous = OFF"] {
            db.writer().execute_unprepared(pragma).await.expect(pragma);
        }
    }
    let mut rng = StdRng::seed_from_u64(42);
    let now = agora_core::time::now();
    let step = |name: &str, started: Instant, rows: usize| {
        println!(
            "  {name:<16} {rows:>9} rows in {:>6.1} s",
            started.elapsed().as_secs_f64()
        );
    };

    let started = Instant::now();
    let users: Vec<Uuid> = (0..scale.users).map(|_| Uuid::now_v7()).collect();
    let mut writer = Writer::new(
        db,
        "users",
        &[
            "id",
            "username",
            "username_key",
            "email",
            "email_key",
            "display_name",
            "role",
            "status",
            "created_at",
            "updated_at",
        ],
    );
    for (n, id) in users.iter().enumerate() {
        let created = at(now, &mut rng);
        writer
            .push(vec![
                (*id).into(),
                format!("u{n}").into(),
                format!("u{n}").into(),
                format!("u{n}@bench.test").into(),
                format!("u{n}@bench.test").into(),
                format!("User {n}").into(),
                "user".into(),
                "active".into(),
                created.into(),
                created.into(),
            ])
            .await;
    }
    step("users", started, writer.finish().await);

    // The most followed accounts are a random thousand (not the first made).
    let celebrities: Vec<Uuid> = (0..1_000.min(users.len()))
        .map(|_| users[rng.random_range(0..users.len())])
        .collect();
    let started = Instant::now();
    let mut writer = Writer::new(
        db,
        "user_relations",
        &["user_id", "kind", "target_id", "created_at"],
    );
    let mut follows = 0;
    for user in &users {
        let u: f64 = rng.random();
        let wanted = 10 + (190.0 * u * u * u) as usize;
        let mut targets = HashSet::with_capacity(wanted);
        while targets.len() < wanted {
            let target = if rng.random_bool(0.3) {
                celebrities[zipf(&mut rng, celebrities.len())]
            } else {
                users[rng.random_range(0..users.len())]
            };
            if target != *user {
                targets.insert(target);
            }
        }
        follows += targets.len();
        for target in targets {
            let created = at(now, &mut rng);
            writer
                .push(vec![
                    (*user).into(),
                    "follow".into(),
                    target.into(),
                    created.into(),
                ])
                .await;
        }
    }
    // Mutes and blocks on 1% of users each (a block ends follows both ways: those rows go).
    let mut blocks = Vec::new();
    for _ in 0..users.len() / 100 {
        let (user, target) = (
            users[rng.random_range(0..users.len())],
            users[rng.random_range(0..users.len())],
        );
        if user != target {
            writer
                .push(vec![user.into(), "mute".into(), target.into(), now.into()])
                .await;
        }
        let (user, target) = (
            users[rng.random_range(0..users.len())],
            users[rng.random_range(0..users.len())],
        );
        if user != target {
            blocks.push((user, target));
        }
    }
    writer.flush().await;
    let mut writer = writer.ignoring_conflicts();
    for (user, target) in &blocks {
        writer
            .push(vec![
                (*user).into(),
                "block".into(),
                (*target).into(),
                now.into(),
            ])
            .await;
    }
    let relations = writer.finish().await;
    for (user, target) in &blocks {
        let sql = "DELETE FROM user_relations WHERE kind = 'follow' AND ((user_id = $1 AND target_id = $2) OR (user_id = $2 AND target_id = $1))";
        let statement = agora_store::sea_orm::Statement::from_sql_and_values(
            db.backend(),
            sql,
            [(*user).into(), (*target).into()],
        );
        db.writer()
            .execute_raw(statement)
            .await
            .expect("a block ends follows");
    }
    step("user_relations", started, relations);

    let started = Instant::now();
    let vocabulary = vocabulary();
    let mut posts = Writer::new(
        db,
        "posts",
        &[
            "id",
            "author_id",
            "content",
            "created_at",
            "like_count",
            "comment_count",
            "repost_count",
            "repost_of_id",
            "quote_of_id",
        ],
    );
    // Written once the posts they reference are.
    let mut tickers =
        Writer::new(db, "post_tickers", &["post_id", "symbol", "created_at"]).deferred();
    let mut polls =
        Writer::new(db, "polls", &["id", "post_id", "created_at", "closes_at"]).deferred();
    let mut options = Writer::new(
        db,
        "poll_options",
        &["id", "poll_id", "position", "label", "vote_count"],
    )
    .deferred();
    // Originals first (90%), then reposts and quotes of them (10%), so every repost points at
    // a post that exists; the most reposted are picked by a Zipf law.
    let originals_wanted = scale.posts - scale.posts / 10;
    let mut originals: Vec<(Uuid, DateTime<Utc>)> = Vec::with_capacity(originals_wanted);
    let mut reposted = HashSet::new();
    for n in 0..scale.posts {
        let author = if rng.random_bool(0.3) {
            celebrities[zipf(&mut rng, celebrities.len())]
        } else {
            users[rng.random_range(0..users.len())]
        };
        let id = Uuid::now_v7();
        let (content, created, repost_of, quote_of, named) = if n < originals_wanted {
            let named: Vec<&str> = if rng.random_bool(0.2) {
                let first = TICKERS[zipf(&mut rng, TICKERS.len())];
                let second = TICKERS[zipf(&mut rng, TICKERS.len())];
                if first == second {
                    vec![first]
                } else {
                    vec![first, second]
                }
            } else {
                Vec::new()
            };
            let created = at(now, &mut rng);
            originals.push((id, created));
            (
                text(&mut rng, &vocabulary, &named),
                created,
                None,
                None,
                named,
            )
        } else {
            let (original, original_at) = originals[zipf(&mut rng, originals.len())];
            let later = Duration::seconds(rng.random_range(0..86_400));
            let created = (original_at + later).min(now);
            if rng.random_bool(0.7) && reposted.insert((author, original)) {
                (String::new(), created, Some(original), None, Vec::new())
            } else {
                let quote = text(&mut rng, &vocabulary, &[]);
                (quote, created, None, Some(original), Vec::new())
            }
        };
        posts
            .push(vec![
                id.into(),
                author.into(),
                content.into(),
                created.into(),
                0i64.into(),
                0i64.into(),
                0i64.into(),
                repost_of.into(),
                quote_of.into(),
            ])
            .await;
        for symbol in named {
            tickers
                .push(vec![id.into(), symbol.into(), created.into()])
                .await;
        }
        if repost_of.is_none() && quote_of.is_none() && rng.random_bool(0.05) {
            let poll = Uuid::now_v7();
            let closes = created + Duration::days(rng.random_range(1..=7));
            polls
                .push(vec![poll.into(), id.into(), created.into(), closes.into()])
                .await;
            for position in 0..rng.random_range(2..=4i16) {
                let label = format!("Option {}", position + 1);
                let votes = rng.random_range(0..50i64);
                let option = Uuid::now_v7();
                options
                    .push(vec![
                        option.into(),
                        poll.into(),
                        position.into(),
                        label.into(),
                        votes.into(),
                    ])
                    .await;
            }
        }
    }
    let written = posts.finish().await;
    let linked = tickers.finish().await;
    let with_polls = polls.finish().await;
    options.finish().await;
    step("posts", started, written);
    println!("  {:<16} {linked:>9} rows", "post_tickers");
    println!("  {:<16} {with_polls:>9} rows", "polls");

    // Likes: posts picked by a Zipf law (the most liked has nearly every user), users at random;
    // a second like of the same pair is dropped by the primary key.
    let started = Instant::now();
    let mut likes =
        Writer::new(db, "post_likes", &["post_id", "user_id", "created_at"]).ignoring_conflicts();
    for _ in 0..scale.posts * 5 {
        let (post, created) = originals[zipf(&mut rng, originals.len())];
        let user = users[rng.random_range(0..users.len())];
        likes
            .push(vec![post.into(), user.into(), created.into()])
            .await;
    }
    let attempted = likes.finish().await;
    step("post_likes", started, attempted);

    let started = Instant::now();
    let mut comments = Writer::new(
        db,
        "comments",
        &[
            "id",
            "post_id",
            "author_id",
            "depth",
            "content",
            "created_at",
            "like_count",
            "reply_count",
        ],
    );
    for _ in 0..scale.posts / 2 {
        let (post, created) = originals[zipf(&mut rng, originals.len())];
        let author = users[rng.random_range(0..users.len())];
        let content = text(&mut rng, &vocabulary, &[]);
        comments
            .push(vec![
                Uuid::now_v7().into(),
                post.into(),
                author.into(),
                0i16.into(),
                content.into(),
                created.into(),
                0i64.into(),
                0i64.into(),
            ])
            .await;
    }
    let written_comments = comments.finish().await;
    step("comments", started, written_comments);

    // The counters the writes keep, set once from the rows: counted by one grouped scan per
    // kind and written in one pass to the posts that have any (each rewritten once, not once
    // per counter: on PostgreSQL every UPDATE of a row writes a new version of it).
    let started = Instant::now();
    for sql in [
        "UPDATE posts SET like_count = c.likes, comment_count = c.comments \
         FROM (SELECT post_id, SUM(likes) AS likes, SUM(comments) AS comments FROM ( \
                 SELECT post_id, 1 AS likes, 0 AS comments FROM post_likes \
                 UNION ALL SELECT post_id, 0, 1 FROM comments) AS counted \
               GROUP BY post_id) AS c \
         WHERE posts.id = c.post_id",
        "UPDATE posts SET repost_count = c.shares \
         FROM (SELECT shared, COUNT(*) AS shares FROM ( \
                 SELECT repost_of_id AS shared FROM posts WHERE repost_of_id IS NOT NULL \
                 UNION ALL SELECT quote_of_id FROM posts WHERE quote_of_id IS NOT NULL) AS counted \
               GROUP BY shared) AS c \
         WHERE posts.id = c.shared",
    ] {
        db.writer().execute_unprepared(sql).await.expect(sql);
    }
    step("counters", started, written);

    if db.kind_name() == "sqlite" {
        db.writer()
            .execute_unprepared("PRAGMA synchronous = NORMAL")
            .await
            .expect("PRAGMA synchronous");
    }
    // Statistics, as autovacuum or `PRAGMA optimize` would have gathered them; on PostgreSQL
    // also the visibility map autovacuum keeps, without which an index-only scan still reads
    // the table. Only the seeded tables: a bare `ANALYZE` covers every schema of the database
    // and waits on other sessions' locks.
    let maintain = if db.kind_name() == "sqlite" {
        "ANALYZE"
    } else {
        "VACUUM ANALYZE"
    };
    for table in SEEDED_TABLES {
        let sql = format!("{maintain} {table}");
        db.writer().execute_unprepared(&sql).await.expect(&sql);
    }
    let most_liked = originals[0].0;
    Seeded {
        users,
        celebrities,
        posts: written,
        follows,
        most_liked,
        vocabulary,
    }
}
