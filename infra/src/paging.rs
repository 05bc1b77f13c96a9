//! Keyset pagination: a page is "the next `limit` rows after this id". Ids are UUID v7, so
//! id order is creation order, and a deep page costs what the first page costs.

use crate::error::Result;
use domain::Code;
use domain::DomainError;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;

/// The most rows one page may hold.
pub const MAX_LIMIT: u64 = 200;
/// Rows per page when the client does not say.
pub const DEFAULT_LIMIT: u64 = 50;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows wanted.
    pub limit: u64,
    /// Continue after this id.
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// Checks `limit` (1 to 200) and decodes the opaque cursor.
    ///
    /// # Errors
    /// [`DomainError::Validation`] for a bad limit or cursor, both listed.
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<Self, DomainError> {
        let mut v = domain::error::Validator::new();
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => n as u64,
            Some(_) => {
                v.add("limit", Code::LimitOutOfRange);
                DEFAULT_LIMIT
            }
        };
        let after = cursor.and_then(|c| v.check("cursor", decode_cursor(c)));
        v.finish()?;
        Ok(Self { limit, after })
    }
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Pass this back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Converts every item.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

fn encode_cursor(id: Uuid) -> String {
    format!("c{}", id.simple())
}

fn decode_cursor(cursor: &str) -> Result<Uuid, Code> {
    cursor.strip_prefix('c').and_then(|hex| Uuid::try_parse(hex).ok()).ok_or(Code::InvalidCursor)
}

/// Fetches one page of `select`, ordered by `id_col` (ascending, or newest first when
/// `newest_first`), reading one row more than asked to know whether another page exists.
///
/// # Errors
/// Database errors.
pub async fn fetch<E, C>(
    db: &C,
    select: Select<E>,
    id_col: E::Column,
    id_of: impl Fn(&E::Model) -> Uuid,
    page: PageRequest,
    newest_first: bool,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let rows = one_more(select, id_col, page, newest_first).all(db).await?;
    Ok(cut(rows, page, id_of))
}

/// `select` narrowed to one page and one row more, in order (for a query [`fetch`] cannot
/// run as it is, such as one joined with other tables); [`cut`] then makes the page.
pub fn one_more<E: EntityTrait>(
    select: Select<E>,
    id_col: E::Column,
    page: PageRequest,
    newest_first: bool,
) -> Select<E> {
    let mut select = select;
    if let Some(after) = page.after {
        select = if newest_first { select.filter(id_col.lt(after)) } else { select.filter(id_col.gt(after)) };
    }
    select = if newest_first { select.order_by_desc(id_col) } else { select.order_by_asc(id_col) };
    select.limit(page.limit + 1)
}

/// The page of rows read by [`one_more`]: the extra row, if there, says another page exists.
pub fn cut<T>(mut rows: Vec<T>, page: PageRequest, id_of: impl Fn(&T) -> Uuid) -> Page<T> {
    let next_cursor = if rows.len() as u64 > page.limit {
        rows.truncate(usize::try_from(page.limit).unwrap_or(usize::MAX));
        rows.last().map(|row| encode_cursor(id_of(row)))
    } else {
        None
    };
    Page { items: rows, next_cursor }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_one_to_two_hundred_and_bad_cursors_are_both_reported() {
        let err = PageRequest::parse(Some(500), Some("nonsense")).expect_err("invalid");
        let DomainError::Validation(fields) = err else { panic!("validation error expected") };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["limit", "cursor"]);
    }

    #[test]
    fn a_cursor_round_trips() {
        let id = Uuid::now_v7();
        let page = PageRequest::parse(Some(10), Some(&encode_cursor(id))).expect("valid");
        assert_eq!(page.after, Some(id));
        assert_eq!(PageRequest::parse(None, None).map(|p| p.limit), Ok(DEFAULT_LIMIT));
    }
}
