"""What turns providers' pages into history: `run` takes a source through fetch -> archive ->
parse -> ingest (and drains the spool, and re-parses archived bodies); `backfill` feeds past
versions of a page (a git history, `backfill_git`, or a folder of captures,
`backfill_folder`) through the same ingest at the times they were taken."""
