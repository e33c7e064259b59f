//! Keyset pagination in SQL, for both databases: the ORDER BY of a sort and the condition "after
//! this key", so that every cursor list pages the same way.
//!
//! A sort is a list of keys (a column, a direction, whether it may be null) ending with a
//! unique, never-null tie-breaker (usually the id), so that every row has exactly one place.
//! Nulls always sort last, whatever the direction (tasks without a due date come after the
//! others both ways). The next page starts strictly after the key of the last row sent, so rows
//! added or removed meanwhile shift nothing (an offset would send some twice and skip others).
//!
//! When every key has one direction and none is nullable the condition is the row comparison
//! `(k1, k2) < (?, ?)`, which both databases answer from an index on `(k1, k2)`. Otherwise it is
//! spelled out as `k1 beyond ? OR (k1 = ? AND k2 beyond ?) …`, where "beyond" a non-null value
//! includes the nulls of a nullable key and nothing is beyond a null but later keys.

use agora_core::pagination::{NumberedPage, PageNumber};
use sea_orm::sea_query::{
    ColumnRef, Condition, Expr, ExprTrait, IntoColumnRef, NullOrdering, Order, Query,
    SelectStatement, Value,
};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::DbResult;

/// One key of a sort.
#[derive(Debug, Clone)]
pub struct SortKey {
    column: ColumnRef,
    descending: bool,
    nullable: bool,
}

impl SortKey {
    pub fn asc(column: impl IntoColumnRef) -> SortKey {
        SortKey {
            column: column.into_column_ref(),
            descending: false,
            nullable: false,
        }
    }

    pub fn desc(column: impl IntoColumnRef) -> SortKey {
        SortKey {
            descending: true,
            ..SortKey::asc(column)
        }
    }

    /// The column may hold nulls; they come after every value, in either direction.
    pub fn nulls_last(self) -> SortKey {
        SortKey {
            nullable: true,
            ..self
        }
    }

    fn col(&self) -> Expr {
        Expr::col(self.column.clone())
    }

    /// Strictly after `value` in this key's order (nulls included, for a nullable key).
    fn beyond(&self, value: Value) -> Condition {
        let beyond = if self.descending {
            self.col().lt(value)
        } else {
            self.col().gt(value)
        };
        let condition = Condition::any().add(beyond);
        if self.nullable {
            condition.add(self.col().is_null())
        } else {
            condition
        }
    }
}

/// A sort: keys in order, the last one unique and never null.
#[derive(Debug, Clone)]
pub struct Keyset {
    keys: Vec<SortKey>,
}

impl Keyset {
    /// Sorted by `keys`, then by `tie_breaker`, which must be unique and never null.
    pub fn new(keys: impl IntoIterator<Item = SortKey>, tie_breaker: SortKey) -> Keyset {
        let mut keys: Vec<SortKey> = keys.into_iter().collect();
        keys.push(tie_breaker);
        Keyset { keys }
    }

    /// Adds this sort's ORDER BY to `select`.
    pub fn order_by(&self, select: &mut SelectStatement) {
        for key in &self.keys {
            let order = if key.descending {
                Order::Desc
            } else {
                Order::Asc
            };
            // NULLS LAST only where there are nulls: PostgreSQL walks an index backwards only
            // for the null ordering it was built with.
            if key.nullable {
                select.order_by_with_nulls(key.column.clone(), order, NullOrdering::Last);
            } else {
                select.order_by(key.column.clone(), order);
            }
        }
    }

    /// The rows strictly after the row whose key is `values` (one value per key, in order; a
    /// null as the typed null, `Option::<T>::None.into()`).
    pub fn after(&self, values: impl IntoIterator<Item = Value>) -> Condition {
        let values: Vec<Value> = values.into_iter().collect();
        debug_assert_eq!(values.len(), self.keys.len(), "one value per key");
        let plain = self.keys.iter().all(|key| !key.nullable);
        let descending = self.keys.iter().all(|key| key.descending);
        let ascending = self.keys.iter().all(|key| !key.descending);
        if plain && (descending || ascending) && self.keys.len() > 1 {
            let columns = Expr::tuple(self.keys.iter().map(SortKey::col));
            let values = Expr::tuple(values.into_iter().map(Expr::val));
            return Condition::all().add(if descending {
                columns.lt(values)
            } else {
                columns.gt(values)
            });
        }
        let mut any = Condition::any();
        // The keys before the current one, equal to the position's.
        let mut equal = Condition::all();
        for (key, value) in self.keys.iter().zip(values) {
            if value == value.as_null() {
                // Nulls come last and equal one another: only later keys can be beyond.
                equal = equal.add(key.col().is_null());
            } else {
                any = any.add(equal.clone().add(key.beyond(value.clone())));
                equal = equal.add(key.col().eq(value));
            }
        }
        any
    }
}

/// One numbered page of `select` (its columns and filters, no order): `page.per_page` rows in
/// `sort` order after skipping `page.offset()`, each read by `read`, and how many rows match in
/// all.
pub async fn numbered_page<T>(
    conn: &impl ConnectionTrait,
    select: SelectStatement,
    sort: &Keyset,
    page: PageNumber,
    read: impl Fn(&QueryResult) -> DbResult<T>,
) -> DbResult<NumberedPage<T>> {
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "total")
        .from_subquery(select.clone(), "matching")
        .to_owned();
    let total: i64 = match conn.query_one(&count).await? {
        Some(row) => row.try_get("", "total")?,
        None => 0,
    };
    let mut select = select;
    sort.order_by(&mut select);
    select.offset(page.offset()).limit(page.per_page);
    let items = conn
        .query_all(&select)
        .await?
        .iter()
        .map(read)
        .collect::<DbResult<Vec<T>>>()?;
    Ok(page.with(items, u64::try_from(total).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use sea_orm::sea_query::{Alias, PostgresQueryBuilder, SqliteQueryBuilder};
    use sea_orm::{ConnectOptions, Database, DatabaseConnection};

    use super::*;

    fn table() -> Alias {
        Alias::new("keyset_rows")
    }

    fn col(name: &str) -> Alias {
        Alias::new(name)
    }

    fn sql_of(keyset: &Keyset, values: Vec<Value>) -> (String, String) {
        let mut select = Query::select()
            .column(col("id"))
            .from(table())
            .cond_where(keyset.after(values))
            .to_owned();
        keyset.order_by(&mut select);
        (
            select.to_string(SqliteQueryBuilder),
            select.to_string(PostgresQueryBuilder),
        )
    }

    #[test]
    fn one_direction_without_nulls_is_a_row_comparison() {
        let keyset = Keyset::new([SortKey::desc(col("c"))], SortKey::desc(col("id")));
        let (sqlite, postgres) = sql_of(&keyset, vec![3.into(), 7.into()]);
        assert_eq!(
            sqlite,
            r#"SELECT "id" FROM "keyset_rows" WHERE ("c", "id") < (3, 7) ORDER BY "c" DESC, "id" DESC"#
        );
        assert_eq!(sqlite, postgres);
    }

    #[test]
    fn a_nullable_key_is_spelled_out_with_its_nulls_last() {
        let keyset = Keyset::new(
            [SortKey::desc(col("a")).nulls_last()],
            SortKey::asc(col("id")),
        );
        let (_, after_value) = sql_of(&keyset, vec![3.into(), 7.into()]);
        assert_eq!(
            after_value,
            r#"SELECT "id" FROM "keyset_rows" WHERE "a" < 3 OR "a" IS NULL OR ("a" = 3 AND "id" > 7) ORDER BY "a" DESC NULLS LAST, "id" ASC"#
        );
        let (_, after_null) = sql_of(&keyset, vec![Option::<i32>::None.into(), 7.into()]);
        assert_eq!(
            after_null,
            r#"SELECT "id" FROM "keyset_rows" WHERE "a" IS NULL AND "id" > 7 ORDER BY "a" DESC NULLS LAST, "id" ASC"#
        );
    }

    /// A row of the test table: `a` and `b` may be null, `c` not, `id` is unique.
    #[derive(Debug, Clone, Copy)]
    struct Row {
        id: i32,
        a: Option<i32>,
        b: Option<i32>,
        c: i32,
    }

    impl Row {
        fn get(&self, name: &str) -> Option<i32> {
            match name {
                "a" => self.a,
                "b" => self.b,
                "c" => Some(self.c),
                _ => Some(self.id),
            }
        }
    }

    fn rows() -> Vec<Row> {
        let values = [None, Some(1), Some(2)];
        (0..40)
            .map(|i| Row {
                id: (i * 17) % 40,
                a: values[(i % 3) as usize],
                b: values[((i / 3) % 3) as usize],
                c: i % 4,
            })
            .collect()
    }

    /// The order the SQL must produce, computed here: nulls last, then by direction.
    fn expected(rows: &[Row], keys: &[(&str, bool)]) -> Vec<i32> {
        let mut rows = rows.to_vec();
        rows.sort_by(|x, y| {
            keys.iter()
                .map(|&(name, descending)| match (x.get(name), y.get(name)) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Greater,
                    (Some(_), None) => Ordering::Less,
                    (Some(p), Some(q)) if descending => q.cmp(&p),
                    (Some(p), Some(q)) => p.cmp(&q),
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        rows.iter().map(|row| row.id).collect()
    }

    async fn connect(url: &str) -> DatabaseConnection {
        // One connection, so that the temporary table is seen by every query.
        let mut options = ConnectOptions::new(url);
        options.max_connections(1).min_connections(1);
        let db = Database::connect(options).await.expect("the test database");
        db.execute_unprepared(
            "CREATE TEMPORARY TABLE keyset_rows \
             (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c INTEGER NOT NULL)",
        )
        .await
        .expect("the test table");
        let mut insert = Query::insert()
            .into_table(table())
            .columns([col("id"), col("a"), col("b"), col("c")])
            .to_owned();
        for row in rows() {
            insert.values_panic([row.id.into(), row.a.into(), row.b.into(), row.c.into()]);
        }
        db.execute(&insert).await.expect("the test rows");
        db
    }

    /// Every row once, in the expected order, page after page, for sorts with and without
    /// nulls, in every mix of directions.
    async fn pages_follow_every_sort(db: &DatabaseConnection) {
        let all = rows();
        let directions = [false, true];
        let mut sorts: Vec<Vec<(&str, bool)>> = Vec::new();
        for a in directions {
            for b in directions {
                for id in directions {
                    sorts.push(vec![("a", a), ("b", b), ("id", id)]);
                    sorts.push(vec![("c", a), ("id", id)]);
                }
            }
        }
        for sort in sorts {
            let key = |&(name, descending): &(&str, bool)| {
                let key = if descending {
                    SortKey::desc(col(name))
                } else {
                    SortKey::asc(col(name))
                };
                if matches!(name, "a" | "b") {
                    key.nulls_last()
                } else {
                    key
                }
            };
            let (tie_breaker, keys) = sort.split_last().expect("a sort has a tie-breaker");
            let keyset = Keyset::new(keys.iter().map(key), key(tie_breaker));
            for limit in [1, 2, 7] {
                let mut seen = Vec::new();
                let mut last: Option<Row> = None;
                loop {
                    let mut select = Query::select()
                        .columns([col("id"), col("a"), col("b"), col("c")])
                        .from(table())
                        .limit(limit)
                        .to_owned();
                    keyset.order_by(&mut select);
                    if let Some(last) = last {
                        let values = sort.iter().map(|(name, _)| Value::Int(last.get(name)));
                        select.cond_where(keyset.after(values));
                    }
                    let page: Vec<Row> = db
                        .query_all(&select)
                        .await
                        .expect("a page")
                        .iter()
                        .map(|row| Row {
                            id: row.try_get("", "id").expect("id"),
                            a: row.try_get("", "a").expect("a"),
                            b: row.try_get("", "b").expect("b"),
                            c: row.try_get("", "c").expect("c"),
                        })
                        .collect();
                    seen.extend(page.iter().map(|row| row.id));
                    match page.last() {
                        Some(row) if page.len() as u64 == limit => last = Some(*row),
                        _ => break,
                    }
                }
                assert_eq!(seen, expected(&all, &sort), "{sort:?} limit {limit}");
            }
        }
    }

    #[tokio::test]
    async fn pages_follow_every_sort_on_sqlite() {
        pages_follow_every_sort(&connect("sqlite::memory:").await).await;
    }

    #[tokio::test]
    async fn pages_follow_every_sort_on_postgres() {
        match std::env::var("AGORA_TEST_POSTGRES_URL") {
            Ok(url) => pages_follow_every_sort(&connect(&url).await).await,
            Err(_) => eprintln!("AGORA_TEST_POSTGRES_URL is not set: skipped on PostgreSQL"),
        }
    }
}
