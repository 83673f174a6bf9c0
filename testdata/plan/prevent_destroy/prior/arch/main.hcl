resource "terrace_data" "db" {
  triggers_replace = "a"
  lifecycle {
    prevent_destroy = true
  }
}
