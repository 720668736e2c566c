//! The document as Markdown (GitHub-flavoured tables), charts linked as SVG files.

use crate::document::{Block, Document, Table};
use crate::format::escape_markdown;

/// `doc` in Markdown; a chart `figure1-ports.svg` is linked as `chart_dir/figure1-ports.svg`.
pub(crate) fn render(doc: &Document, chart_dir: &str) -> String {
    let blocks = doc
        .blocks
        .iter()
        .map(|b| block(b, chart_dir.trim_end_matches('/')));
    let title = format!("# {}\n", escape_markdown(&doc.title));
    std::iter::once(title)
        .chain(blocks)
        .collect::<Vec<_>>()
        .join("\n")
}

fn block(block: &Block, chart_dir: &str) -> String {
    match block {
        Block::Heading(text) => format!("## {}\n", escape_markdown(text)),
        Block::Paragraph(text) => format!("{}\n", escape_markdown(text)),
        Block::List(items) => items
            .iter()
            .map(|item| format!("- {}\n", escape_markdown(item)))
            .collect(),
        Block::Table(t) => table(t),
        Block::Figure(chart) => {
            let title = escape_markdown(&chart.title);
            format!("![{title}]({chart_dir}/{})\n\n*{title}*\n", chart.file_name)
        }
    }
}

fn table(table: &Table) -> String {
    let align: String = table
        .numeric
        .iter()
        .map(|&numeric| if numeric { " ---: |" } else { " --- |" })
        .collect();
    let body: String = table.rows.iter().map(|cells| row(cells)).collect();
    format!(
        "**{}**\n\n{}|{align}\n{body}",
        escape_markdown(&table.title),
        row(&table.head)
    )
}

/// A table row, each cell escaped.
fn row<S: AsRef<str>>(cells: &[S]) -> String {
    let cells: Vec<String> = cells
        .iter()
        .map(|cell| escape_markdown(cell.as_ref()))
        .collect();
    format!("| {} |\n", cells.join(" | "))
}
