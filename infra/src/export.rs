//! Tables for people who open reports in spreadsheets: one [`Table`], written as CSV (UTF-8
//! with a byte-order mark, so Chinese shows correctly) or as an .xlsx workbook.

use crate::error::{Error, Result};
use rust_xlsxwriter::{Format, Workbook};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A share from 0 to 1, shown as a percentage.
    Share(f64),
    /// Nothing.
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<u64> for Cell {
    fn from(n: u64) -> Self {
        #[allow(clippy::cast_precision_loss)]
        Self::Number(n as f64)
    }
}

/// A titled table with a header row.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The sheet's name (at most 31 characters in a workbook).
    pub title: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}

/// Quotes a field when needed, and defuses text a spreadsheet would run as a formula.
#[must_use]
pub fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

impl Table {
    /// The table as CSV, UTF-8 with a byte-order mark.
    #[must_use]
    pub fn csv(&self) -> Vec<u8> {
        let mut out = String::from("\u{feff}");
        let line = |cells: Vec<String>| cells.join(",") + "\r\n";
        out.push_str(&line(self.headers.iter().map(|h| csv_field(h)).collect()));
        for row in &self.rows {
            out.push_str(&line(
                row.iter()
                    .map(|c| match c {
                        Cell::Text(t) => csv_field(t),
                        Cell::Number(n) => format!("{n}"),
                        Cell::Share(s) => format!("{:.1}%", s * 100.0),
                        Cell::Empty => String::new(),
                    })
                    .collect(),
            ));
        }
        out.into_bytes()
    }

    /// The table as an .xlsx workbook of one sheet: numbers as numbers, shares as
    /// percentages, the header row bold and frozen.
    ///
    /// # Errors
    /// The workbook could not be written (never for well-formed input).
    pub fn xlsx(&self) -> Result<Vec<u8>> {
        let fail = |e: rust_xlsxwriter::XlsxError| Error::Unexpected(format!("xlsx: {e}"));
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let name: String =
            self.title.chars().filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\')).take(31).collect();
        if !name.is_empty() {
            sheet.set_name(&name).map_err(fail)?;
        }
        let bold = Format::new().set_bold();
        let percent = Format::new().set_num_format("0.0%");
        for (c, h) in self.headers.iter().enumerate() {
            let col = u16::try_from(c).map_err(|_| Error::Unexpected("too many columns".into()))?;
            sheet.write_string_with_format(0, col, h, &bold).map_err(fail)?;
            sheet.set_column_width(col, 14).map_err(fail)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let line = u32::try_from(r + 1).map_err(|_| Error::Unexpected("too many rows".into()))?;
            for (c, cell) in row.iter().enumerate() {
                let col = u16::try_from(c).map_err(|_| Error::Unexpected("too many columns".into()))?;
                match cell {
                    Cell::Text(t) => sheet.write_string(line, col, t).map(|_| ()),
                    Cell::Number(n) => sheet.write_number(line, col, *n).map(|_| ()),
                    Cell::Share(s) => sheet.write_number_with_format(line, col, *s, &percent).map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .map_err(fail)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
        book.save_to_buffer().map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_a_bom_quotes_and_defused_formulas() {
        let t = Table {
            title: "t".into(),
            headers: vec!["名称".into(), "率".into()],
            rows: vec![vec![Cell::from("=1+1"), Cell::Share(0.5)], vec![Cell::from("a,b"), Cell::Empty]],
        };
        let text = String::from_utf8(t.csv()).unwrap();
        assert_eq!(text, "\u{feff}名称,率\r\n'=1+1,50.0%\r\n\"a,b\",\r\n");
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let t = Table { title: "考核/2026".into(), headers: vec!["a".into()], rows: vec![vec![Cell::Number(1.0)]] };
        let bytes = t.xlsx().unwrap();
        assert_eq!(&bytes[..2], b"PK", "an .xlsx file is a zip archive");
    }
}
