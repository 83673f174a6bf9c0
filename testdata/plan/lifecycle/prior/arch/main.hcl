resource "terrace_data" "cert" {
  triggers_replace = "2025"
  lifecycle {
    create_before_destroy = true
  }
}
resource "file" "motd" {
  path    = "out/motd"
  content = "welcome"
  lifecycle {
    ignore_changes = [content]
  }
}
