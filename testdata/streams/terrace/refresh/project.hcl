# Objects terrace reads back while planning (files: terrace_data is
# never read back), for the refresh_start / refresh_complete events that
# tests/it/streams.rs compares with Terraform's in ../../update.jsonl.
project "streams" {}
environment "dev" {}
configuration "main" {
  architecture = "./main"
}
