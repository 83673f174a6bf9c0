resource "terrace_data" "db" {
  triggers_replace = "a"
  lifecycle {
    prevent_destroy = true
  }
}
resource "terrace_data" "replicas" {
  count = 2
  lifecycle {
    prevent_destroy = true
  }
}
