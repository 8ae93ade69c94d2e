//! A backend-neutral form of a table's rows, for copying a whole archive from one backend to
//! another (`trendwatch migrate-store`): each backend reads its tables into it, or loads
//! them from it, converting each cell to the column's own type.

/// One value as the source database holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// An integer (also booleans, as 0 and 1).
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text (also times and dates, in the source's text form; lists, as JSON arrays).
    Text(String),
    /// Bytes (hashes, secrets).
    Blob(Vec<u8>),
}

/// A table's rows, columns named.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Table name.
    pub name: String,
    /// Column names, in the order of each row's cells.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}
