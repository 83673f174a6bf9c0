resource "terrace_data" "db" {
  triggers_replace = "b"
  lifecycle {
    prevent_destroy = true
  }
}
resource "terrace_data" "replicas" {
  count = 1
  lifecycle {
    prevent_destroy = true
  }
}
