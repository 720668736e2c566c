//! The document as one self-contained HTML file: inline CSS, charts as inline `<svg>`, no
//! script and nothing fetched. The markup is also well-formed XML (void elements closed,
//! all text escaped), so XML tools can check it.

use crate::document::{Block, Document, Table};
use crate::format::escape_html;

const STYLE: &str = "
body { margin: 0; color: #222; background: #fff; line-height: 1.6;
  font-family: system-ui, -apple-system, 'Segoe UI', 'Hiragino Sans', 'Noto Sans CJK JP',
    'Yu Gothic', Meiryo, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #4e79a7; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-left: 4px solid #4e79a7; padding-left: .5rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .92rem; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: .3rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; vertical-align: top; }
th { background: #eef2f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1.5rem 0; }
figcaption { font-size: .92rem; color: #444; margin-top: .3rem; }
svg.chart { display: block; max-width: 100%; height: auto; border: 1px solid #ddd; }
li { margin: .3rem 0; }
";

pub(crate) fn render(doc: &Document) -> String {
    let title = escape_html(&doc.title);
    let head = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n",
        doc.lang.code()
    );
    let body: String = doc.blocks.iter().map(block).collect();
    format!("{head}{body}</main>\n</body>\n</html>\n")
}

fn block(block: &Block) -> String {
    match block {
        Block::Heading(text) => format!("<h2>{}</h2>\n", escape_html(text)),
        Block::Paragraph(text) => format!("<p>{}</p>\n", escape_html(text)),
        Block::List(items) => {
            let items: String = items
                .iter()
                .map(|item| format!("<li>{}</li>\n", escape_html(item)))
                .collect();
            format!("<ul>\n{items}</ul>\n")
        }
        Block::Table(t) => table(t),
        Block::Figure(chart) => {
            format!(
                "<figure>\n{}<figcaption>{}</figcaption>\n</figure>\n",
                chart.svg,
                escape_html(&chart.title)
            )
        }
    }
}

fn table(table: &Table) -> String {
    let head: String = table
        .head
        .iter()
        .map(|cell| format!("<th>{}</th>", escape_html(cell)))
        .collect();
    let row = |cells: &Vec<String>| {
        let cells = cells.iter().zip(&table.numeric).map(|(cell, &numeric)| {
            let class = if numeric { " class=\"num\"" } else { "" };
            format!("<td{class}>{}</td>", escape_html(cell))
        });
        format!("<tr>{}</tr>\n", cells.collect::<String>())
    };
    let rows: String = table.rows.iter().map(row).collect();
    format!(
        "<table>\n<caption>{}</caption>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n",
        escape_html(&table.title)
    )
}
