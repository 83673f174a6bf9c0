resource "terrace_data" "db" {
  triggers_replace = "b"
  lifecycle {
    prevent_destroy = true
  }
}
