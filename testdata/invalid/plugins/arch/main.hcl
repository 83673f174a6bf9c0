resource "terrace_data" "x" {}
