//! The shape every list returns, and the one serde helper partial updates share.

use serde::{Deserialize, Deserializer, Serialize};

/// One page of a keyset-paginated list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Cuts `rows` (fetched with `limit + 1`) to a page; the cursor is the last item's key.
    pub fn from_rows(mut rows: Vec<T>, limit: usize, key: impl Fn(&T) -> String) -> Page<T> {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more { rows.last().map(key) } else { None };
        Page { items: rows, next_cursor }
    }

    /// The same page with every item converted.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page { items: self.items.into_iter().map(f).collect::<Result<_, E>>()?, next_cursor: self.next_cursor })
    }
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`) in a
/// partial update: `#[serde(default, deserialize_with = "double_option")]`.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_keeps_limit_items_and_points_past_the_last() {
        let p = Page::from_rows(vec![5, 4, 3], 2, |n| n.to_string());
        assert_eq!((p.items, p.next_cursor), (vec![5, 4], Some("4".to_owned())));
        let p = Page::from_rows(vec![5, 4], 2, |n| n.to_string());
        assert_eq!((p.items, p.next_cursor), (vec![5, 4], None));
    }

    #[derive(Deserialize)]
    struct Patch {
        #[serde(default, deserialize_with = "double_option")]
        note: Option<Option<String>>,
    }

    #[test]
    fn absent_null_and_value_are_three_things() {
        let absent: Patch = serde_json::from_str("{}").expect("absent");
        let null: Patch = serde_json::from_str(r#"{"note": null}"#).expect("null");
        let value: Patch = serde_json::from_str(r#"{"note": "x"}"#).expect("value");
        assert_eq!((absent.note, null.note, value.note), (None, Some(None), Some(Some("x".to_owned()))));
    }
}
