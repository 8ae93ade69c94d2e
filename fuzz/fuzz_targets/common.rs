// Shared by the import targets: every parsed draft goes through the same checks as an
// import, and nothing may panic.
pub fn check(items: Vec<trendwatch_import::Parsed>) {
    let topics = trendwatch_core::Topics::default();
    for item in items {
        if let Ok(draft) = item.result {
            let _ = draft.prepare(&topics);
        }
    }
}
