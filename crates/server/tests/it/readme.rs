//! The README's table of operations says what the server serves: every operation of the model
//! is listed once, and "yes" exactly where the operation table answers it.

use crate::common::http::api;
use crate::common::*;
use codecommit_model::Operation;
use std::collections::BTreeMap;

/// `operation → served` from the rows between the README's table markers.
fn readme_table() -> BTreeMap<String, bool> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let start = readme
        .find("<!-- operations: start -->")
        .expect("start marker");
    let end = readme.find("<!-- operations: end -->").expect("end marker");
    let mut table = BTreeMap::new();
    for line in readme[start..end].lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // "| `Op` | area | yes |" splits into ["", "`Op`", "area", "yes", ""].
        let [_, op, _, served, _] = cells[..] else {
            continue;
        };
        let Some(op) = op.strip_prefix('`').and_then(|o| o.strip_suffix('`')) else {
            continue;
        };
        let served = match served {
            "yes" => true,
            "not yet" => false,
            other => panic!("{op}: the Served column says {other:?}, not \"yes\" or \"not yet\""),
        };
        assert!(
            table.insert(op.to_owned(), served).is_none(),
            "{op} is listed twice"
        );
    }
    table
}

#[test]
fn the_readme_lists_what_the_operation_table_serves() {
    let server = TestServer::start();
    let readme = readme_table();
    let mut wrong = Vec::new();
    for op in Operation::ALL {
        // An operation not served yet answers UnknownOperationException naming itself; a
        // served one answers anything else to an empty input (mostly "…RequiredException").
        let r = api(
            server.addr,
            &format!("CodeCommit_20150413.{}", op.name()),
            "{}",
        );
        let not_served = r.status == 400
            && r.json()["__type"] == "UnknownOperationException"
            && r.text().contains("does not serve");
        match readme.get(op.name()) {
            None => wrong.push(format!("{} is missing", op.name())),
            Some(&listed) if listed == not_served => wrong.push(format!(
                "{} is served: {}, the README says {}",
                op.name(),
                !not_served,
                if listed { "yes" } else { "not yet" }
            )),
            Some(_) => {}
        }
    }
    for op in readme.keys() {
        if Operation::from_name(op).is_none() {
            wrong.push(format!("{op} is not an operation"));
        }
    }
    assert!(
        wrong.is_empty(),
        "README.md operations table:\n{}",
        wrong.join("\n")
    );
    assert_eq!(readme.len(), Operation::ALL.len());
}
